import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_documents_bearer_auth_error_envelope_and_auth_endpoints():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]
    assert scheme == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["$ref"].endswith("/ErrorBody")
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"code", "message", "details"}
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/me/",
    ):
        assert path in schema["paths"], path
    login = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert login.get("security") in ([], [{}], None) or {} in login["security"]
    assert "429" in login["responses"]


def test_swagger_ui_served():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
