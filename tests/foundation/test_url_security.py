"""Walk the whole URLconf: every URL except the public ones denies anonymous requests.

Nothing is hand-listed except the small public allow-list; new endpoints are covered automatically.
"""

import re
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

PUBLIC_NAMES = {
    "health",
    "ready",
    "metrics",
    "schema",
    "docs",
    "token_obtain",
    "token_refresh",
    "manager_schema",
    "manager_auth_login",
    "manager_auth_refresh",
    "admin:login",
}
SAMPLE_UUID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _sample_for_converter(converter) -> str:
    if isinstance(converter, UUIDConverter):
        return converter.to_url(SAMPLE_UUID)
    if isinstance(converter, IntConverter):
        return converter.to_url(1)
    if isinstance(converter, (SlugConverter, StringConverter, PathConverter)):
        return converter.to_url("sample-1")
    return converter.to_url(converter.to_python("1"))  # custom converters


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")


def _sample_for_regex_group(body: str) -> str:
    alternatives = body.split("|")
    if all(re.fullmatch(r"[\w-]+", alt) for alt in alternatives):
        return alternatives[0]  # e.g. admin's (?P<app_label>auth|accounts|...)
    for candidate in ("1", "sample-1", str(SAMPLE_UUID)):
        if re.fullmatch(body, candidate):
            return candidate
    raise AssertionError(f"Cannot sample regex group {body!r}; extend the walker")


def _expand(pattern) -> str:
    route = str(pattern)
    if pattern.__class__.__name__ == "RoutePattern":
        for name, converter in pattern.converters.items():
            route = re.sub(r"<(?:\w+:)?" + name + ">", _sample_for_converter(converter), route, count=1)
        return route
    # RegexPattern
    text = pattern.regex.pattern
    text = _GROUP.sub(lambda m: _sample_for_regex_group(m.group("body")), text)
    text = text.lstrip("^").replace("\\Z", "").rstrip("$")
    text = text.replace("\\.", ".").replace("\\/", "/")
    assert not re.search(r"[()\[\]*+?|\\]", text), f"unexpanded regex left: {text!r}"
    return text


def walk(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        part = _expand(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry, prefix + part, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield "/" + prefix + part, name, entry


ALL_URLS = list(walk())


def test_walker_finds_the_expected_shape():
    names = {name for _, name, _ in ALL_URLS}
    assert {"health", "ready", "metrics", "token_obtain", "me", "logout", "admin:index"} <= names
    assert len(ALL_URLS) > 20


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "name"), [(u, n) for u, n, _ in ALL_URLS], ids=[u for u, _, _ in ALL_URLS])
def test_every_non_public_url_denies_anonymous(url, name):
    match = resolve(url)  # the sampled URL must really resolve (the walker is correct)
    assert match is not None
    if name in PUBLIC_NAMES:
        pytest.skip("public by design")
    client = Client(raise_request_exception=False)
    admin_prefix = "/" + settings.ADMIN_URL
    statuses = []
    for method in ("get", "post"):
        if method == "post":
            response = client.post(url, data="{}", content_type="application/json")
        else:
            response = client.get(url)
        status = response.status_code
        statuses.append(status)
        if url.startswith(admin_prefix):
            # the admin redirects anonymous users to its login page (counted as denied)
            assert status == 302, (method, url, status)
            location = response["Location"]
            assert location.startswith((reverse("admin:login"), reverse("admin:index"))), (
                method,
                url,
                location,
            )
        else:
            assert status in (401, 403, 405), (method, url, status, response.content[:200])
            if status != 405:
                assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}
    assert set(statuses) != {405}, f"{url}: no method reached the permission check"
