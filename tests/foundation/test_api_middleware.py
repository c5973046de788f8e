"""Issue 18: sessions, the session user and messages run for the admin, not for /api/."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import (
    AdminAuthenticationMiddleware,
    AdminMessageMiddleware,
    AdminSessionMiddleware,
)


def _seen(middleware_class, path):
    seen = {}

    def view(request):
        seen["session"] = hasattr(request, "session")
        seen["user"] = hasattr(request, "user")
        seen["messages"] = hasattr(request, "_messages")
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    if middleware_class in (AdminAuthenticationMiddleware, AdminMessageMiddleware):
        AdminSessionMiddleware(lambda r: None).process_request(request)  # what runs before them
    middleware_class(view)(request)
    return seen


@pytest.mark.parametrize(
    ("middleware_class", "attribute"),
    [
        (AdminSessionMiddleware, "session"),
        (AdminAuthenticationMiddleware, "user"),
        (AdminMessageMiddleware, "messages"),
    ],
)
def test_admin_middleware_skips_the_api(middleware_class, attribute):
    assert _seen(middleware_class, "/admin/login/")[attribute] is True
    api = _seen(middleware_class, "/api/v1/transactions/")
    if middleware_class is AdminSessionMiddleware:
        assert api["session"] is False
    else:
        assert api[attribute] is False


@pytest.mark.django_db
def test_the_api_and_the_admin_still_work_end_to_end(client, auth_client, make_user):
    assert auth_client(make_user()).get("/api/v1/transactions/").status_code == 200
    login_page = client.get("/admin/login/")
    assert login_page.status_code == 200 and "csrftoken" in login_page.cookies
