"""The manager profile's own OpenAPI schema, and the `manager` role."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from drf_spectacular.validation import validate_schema

from accounts.roles import MANAGER, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/manager/v1/auth/login": {"post"},
    "/api/manager/v1/auth/me": {"get"},
    "/api/manager/v1/auth/refresh": {"post"},
    "/api/manager/v1/auth/logout": {"post"},
    "/api/manager/v1/transactions": {"get"},
    "/api/manager/v1/transactions/{claim_id}": {"get", "delete"},
    "/api/manager/v1/transactions/{claim_id}/refresh": {"post"},
    "/api/manager/v1/transactions/bulk-delete": {"post"},
    "/api/manager/v1/transactions/full-reference": {"post"},
    "/api/manager/v1/transactions/partial-reference": {"post"},
}


def _schema(path):
    response = Client().get(path, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_manager_schema_is_valid_and_holds_exactly_the_contract():
    schema = _schema("/api/manager/schema/")
    validate_schema(schema)
    paths = {
        p: {m for m in ops if m in {"get", "post", "delete", "put", "patch"}}
        for p, ops in schema["paths"].items()
    }
    assert paths == CONTRACT_PATHS
    assert "manager" in schema["info"]["title"]


def test_main_schema_stays_clean():
    schema = _schema("/api/schema/")
    assert not [p for p in schema["paths"] if p.startswith("/api/manager/")]
    params = {p["name"] for p in schema["paths"]["/api/v1/transactions/"]["get"]["parameters"]}
    assert {"status", "from_date", "to_date", "start_date", "end_date"} <= params
    token = schema["components"]["schemas"]["TokenPairOutput"]
    assert "expires_in" in token["properties"]


def test_manager_role_is_a_group_with_the_permissions_of_roles_py():
    group = Group.objects.get(name=MANAGER)
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert perms == set(ROLE_PERMISSIONS[MANAGER])
    assert "transactions.decide_transaction" not in perms
    assert not {p for p in perms if p.startswith("accounts.")}


def test_a_manager_has_no_admin_site_access(make_user, client):
    from accounts import services

    user = services.user_create(
        email="m@example.test", password="Long-enough-pass-1", roles=[MANAGER], full_name="M"
    )
    assert user.is_staff is False
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/login/" in response["Location"]
