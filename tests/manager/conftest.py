"""The manager UI (niokistudio/areamedica-manager-ui @ ec96165) as a client of /api/manager/v1/.

`ui` replays what its code sends, request by request: `auth.ts` (login, me, refresh: plain
`fetch` with `Content-Type: application/json`, bearer only on `/auth/me`), `src/lib/axios/client.ts`
(every other call: `Content-Type: application/json` + `Authorization: Bearer <access>`), the
paths of `src/constants/api-routes.ts` (no trailing slash) and the query strings built by
`src/hooks/use-transactions.ts` (URLSearchParams: offset, limit, search, start_date, end_date,
then one `status` per value).
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import caches
from django.test import Client

from accounts.roles import MANAGER
from tests.conftest import PASSWORD

BASE = "/api/manager/v1"


class ManagerUI:
    def __init__(self):
        self.http = Client()
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.expires_in: int | None = None

    # auth.ts --------------------------------------------------------------------------------
    def login(self, email: str, password: str = PASSWORD):
        response = self.http.post(
            f"{BASE}/auth/login",
            data=json.dumps({"email": email, "password": password}),
            content_type="application/json",
        )
        if response.status_code == 200:
            self._store(response.json())
        return response

    def me(self):
        return self.http.get(f"{BASE}/auth/me", HTTP_AUTHORIZATION=f"Bearer {self.access_token}")

    def refresh(self, refresh_token: str | None = None):
        response = self.http.post(
            f"{BASE}/auth/refresh",
            data=json.dumps({"refresh_token": refresh_token or self.refresh_token}),
            content_type="application/json",
        )
        if response.status_code == 200:
            self._store(response.json())
        return response

    def _store(self, body: dict) -> None:
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]
        self.expires_in = body["expires_in"]

    # src/lib/axios/client.ts ------------------------------------------------------------------
    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_token}"} if self.access_token else {}

    def get(self, path: str):
        return self.http.get(f"{BASE}{path}", content_type="application/json", **self._headers())

    def post(self, path: str, body=None):
        data = "" if body is None else json.dumps(body)  # axios.post(url) sends no body
        return self.http.post(f"{BASE}{path}", data=data, content_type="application/json", **self._headers())

    def delete(self, path: str):
        return self.http.delete(f"{BASE}{path}", content_type="application/json", **self._headers())

    # src/hooks/use-transactions.ts -----------------------------------------------------------
    @staticmethod
    def list_path(*, page=1, limit=10, search=None, from_date=None, to_date=None, statuses=()) -> str:
        from urllib.parse import urlencode

        params = [("offset", str((page - 1) * limit)), ("limit", str(limit))]
        if search and search.strip():
            params.append(("search", search.strip()))
        if from_date:
            params.append(("start_date", from_date))
        if to_date:
            params.append(("end_date", to_date))
        params += [("status", s) for s in statuses]
        return f"/transactions?{urlencode(params)}"


# filterToStatusMap of src/constants/transactions.ts
STATUS_FILTERS = {
    "verified": ["COMPLETED"],
    "pending": ["IN_PROGRESS", "TO_REVIEW", "UNKNOWN"],
    "rejected": ["CANCELED"],
}


@pytest.fixture(autouse=True)
def _clear_ratelimit_cache():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture(autouse=True)
def _refresh_answers_at_once(settings):
    """`POST …/refresh` does not wait for a worker (none runs unless a test starts one)."""
    settings.MANAGER_REFRESH_WAIT_SECONDS = 0


@pytest.fixture
def manager_user(make_user):
    return make_user(MANAGER, full_name="Marta Manager")


@pytest.fixture
def ui():
    return ManagerUI()


@pytest.fixture
def logged_in(ui):
    """The UI logged in as `user` (through /auth/login, like the login form)."""

    def _login(user):
        response = ui.login(user.email)
        assert response.status_code == 200, response.content
        return ui

    return _login


@pytest.fixture
def new_ui():
    return ManagerUI


@pytest.fixture
def make_claim(client_user):
    """A claim created by the claim service (owner: client_user unless given)."""
    from tests.transactions.conftest import flat_data
    from transactions import services

    def _make(owner=None, **overrides):
        claim, created = services.create_claim(data=flat_data(**overrides), actor=owner or client_user)
        assert created
        return claim

    return _make
