"""Findings 8-12 at the HTTP edge: JSON depth/keys/duplicates, chunked bodies, Swagger UI assets
served by us, Content-Security-Policy and `Cache-Control: no-store`."""

import io
import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from config.parsers import nesting_depth

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/transactions/"


@pytest.fixture
def api(auth_client, make_user, settings):
    settings.CLAIM_CREATE_RATE = "1000/m"
    return auth_client(make_user("client"))


def _post_raw(api, body: bytes | str, **extra):
    if isinstance(body, str):
        body = body.encode()
    return api.generic("POST", CREATE, body, content_type="application/json", **extra)


def _error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.json()["error"]


# --- 8. depth and key count -----------------------------------------------------------------------
def test_metadata_nested_33_levels_is_a_clear_400_not_a_500(api, api_payload):
    nested = "x"
    for _ in range(33):
        nested = {"k": nested}
    body = api_payload(metadata=nested)
    error = _error(api.post(CREATE, body, format="json"), 400)
    assert error["code"] == "json_too_deep" and error["details"]["max_depth"] == 20


def test_100000_nested_brackets_is_a_400_not_a_recursion_error(api):
    error = _error(_post_raw(api, "[" * 100_000), 400)
    assert error["code"] == "json_too_deep"


def test_brackets_inside_strings_do_not_count(api, api_payload):
    body = api_payload(metadata={"note": '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{\\"[[['})
    assert api.post(CREATE, body, format="json").status_code == 201
    assert nesting_depth('{"a": "[[[[", "b": [[1]]}', 20) == 3


def test_too_many_keys_is_a_400(api, api_payload):
    body = api_payload(metadata={f"k{i}": i for i in range(1001)})
    error = _error(api.post(CREATE, body, format="json"), 400)
    assert error["code"] == "json_too_many_keys"


# --- 9. duplicate keys ----------------------------------------------------------------------------
def test_duplicate_keys_are_a_400_naming_the_key(api, api_payload):
    body = api_payload()
    text = json.dumps(body)
    twice = text[:-1] + f', "transaction_id": "other-{body["transaction_id"]}"}}'
    error = _error(_post_raw(api, twice), 400)
    assert error["code"] == "json_duplicate_key"
    assert error["details"]["key"] == "transaction_id" and '"transaction_id"' in error["message"]
    amount = text.replace('"amount": "1500.50"', '"amount": "1500.50", "amount": "1.00"')
    assert _error(_post_raw(api, amount), 400)["details"]["key"] == "amount"


def test_duplicate_keys_in_a_nested_object_are_refused_too(api, api_payload):
    text = json.dumps(api_payload()).replace('"full_name": ', '"full_name": "A", "full_name": ')
    assert _error(_post_raw(api, text), 400)["details"]["key"] == "full_name"


# --- 10. chunked bodies ---------------------------------------------------------------------------
def _chunked_extra(body: bytes, *, terminated=True) -> dict:
    extra = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "", "wsgi.input": io.BytesIO(body)}
    if terminated:
        extra["wsgi.input_terminated"] = True  # what gunicorn sets once it has decoded the chunks
    return extra


def test_a_chunked_claim_is_read_not_dropped(api, api_payload):
    body = json.dumps(api_payload()).encode()
    response = _post_raw(api, b"", **_chunked_extra(body))
    assert response.status_code == 201, response.content[:300]


def test_a_chunked_body_the_server_cannot_delimit_is_411(api, api_payload):
    body = json.dumps(api_payload()).encode()
    error = _error(_post_raw(api, b"", **_chunked_extra(body, terminated=False)), 411)
    assert error["code"] == "length_required"


def test_a_chunked_body_over_the_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    error = _error(_post_raw(api, b"", **_chunked_extra(b"{" + b" " * 2000 + b"}")), 413)
    assert error["code"] == "payload_too_large"


# --- 11. Swagger UI from the project ----------------------------------------------------------------
def test_swagger_ui_assets_are_served_by_the_project(client):
    page = client.get(reverse("docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    script = client.get(reverse("docs") + "?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# --- 12. headers ------------------------------------------------------------------------------------
def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_csp_on_the_docs_and_the_admin_without_inline_script(client, admin_user):
    for response in (client.get(reverse("docs")), client.get(reverse("admin:login"))):
        policy = _csp(response)
        assert policy["script-src"] == "script-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["object-src"] == "object-src 'none'"
    client.force_login(admin_user)
    assert "script-src 'self'" in client.get(reverse("admin:index"))["Content-Security-Policy"]
    assert "<script>" not in client.get(reverse("docs")).content.decode()  # no inline script to allow


def test_api_json_answers_carry_the_strictest_policy_and_pages_keep_theirs(api, api_payload, client):
    from config.middleware import API_CONTENT_SECURITY_POLICY

    created = api.post(CREATE, api_payload(), format="json")
    assert created.status_code == 201
    answers = [
        created,
        api.get(CREATE),
        api.get(f"{CREATE}{created.json()['transaction_id']}/status/"),
        api.get(f"{CREATE}no-such-claim/"),  # a JSON error envelope
        client.get(CREATE),  # 401, unauthenticated
        client.get(reverse("schema") + "?format=json"),
    ]
    for answer in answers:
        assert "json" in answer["Content-Type"], answer["Content-Type"]
        policy = _csp(answer)
        assert policy == {"default-src": "default-src 'none'", "frame-ancestors": "frame-ancestors 'none'"}
        assert answer["Content-Security-Policy"] == API_CONTENT_SECURITY_POLICY
    # HTML under /api/ (the Swagger page) and outside it keep django-csp's page policy.
    for page in (client.get(reverse("docs")), client.get(reverse("admin:login"))):
        assert page["Content-Type"].startswith("text/html")
        assert _csp(page)["default-src"] == "default-src 'self'"


def test_api_responses_with_personal_data_are_no_store(api, api_payload, make_user):
    created = api.post(CREATE, api_payload(), format="json")
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    assert api.get(CREATE)["Cache-Control"] == "no-store"
    detail = api.get(f"{CREATE}{created.json()['transaction_id']}/")
    assert detail.status_code == 200 and detail["Cache-Control"] == "no-store"
    assert api.get(reverse("me"))["Cache-Control"] == "no-store"
    from rest_framework.test import APIClient

    from tests.conftest import PASSWORD

    user = make_user()
    login = APIClient().post(
        reverse("token_obtain"), {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200 and login["Cache-Control"] == "no-store"
