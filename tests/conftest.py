import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.roles import ADMIN, AUDITOR, CLIENT, RECONCILER

PASSWORD = "Test-pass-123!"


def expires_in_matches(expires_in: int, access: str) -> bool:
    """`expires_in` of a token answer agrees with the access token's own exp - iat (exp counts from
    the refresh token's creation, iat from the access token's, both in whole seconds: within 1 s)."""
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken(access)
    return 0 <= expires_in - (int(token["exp"]) - int(token["iat"])) <= 1


@pytest.fixture
def make_user(db):
    from accounts.models import User

    counter = {"n": 0}

    def _make(role=CLIENT, email=None, password=PASSWORD, **extra):
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.test"
        user = User.objects.create_user(email=email, password=password, **extra)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture
def client_user(make_user):
    return make_user(CLIENT)


@pytest.fixture
def reconciler_user(make_user):
    return make_user(RECONCILER, is_staff=True)


@pytest.fixture
def auditor_user(make_user):
    return make_user(AUDITOR, is_staff=True)


@pytest.fixture
def admin_user(make_user):
    return make_user(ADMIN, is_staff=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_client():
    """APIClient authenticated with a real JWT access token for the given user."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def _client(user):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return c

    return _client


@pytest.fixture
def roles(db):
    """Transactional tests flush the database, role groups (a data migration) included: restore them."""
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ROLE_PERMISSIONS

    for role, dotted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in dotted:
            app_label, codename = name.split(".", 1)
            perms += list(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def run_in_threads(n, fn, *, timeout=120):
    """Run fn(i) in n threads released together (each with its own DB connection)."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    results, errors = [None] * n, [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), name=f"race-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results, errors


@pytest.fixture
def bank_verify(db):
    """Run the real verification of a claim against a fresh in-process Banesco sandbox (the network
    edge), so a claim's stored bank answer is what production code writes, never hand-written.

    `payments`: extra sandbox payments (banking.sandbox.state.Payment fields); `faults`: switches.
    """
    import uuid

    from banking.client import BanescoClient
    from banking.conf import BanescoConfig
    from banking.sandbox.state import SandboxState
    from transactions import verification

    def _verify(claim, *, payments=(), faults=(), seed_demo=True, flavour="qa"):
        state = SandboxState(flavour=flavour, seed_demo=seed_demo)
        for payment in payments:
            state.add_payment(**payment)
        for fault in faults:
            state.set_fault(fault)
        config = BanescoConfig(environment="sandbox", cache_prefix=f"t-{uuid.uuid4().hex[:8]}")
        client = BanescoClient(config, sandbox_state=state, sleep=lambda s: None)
        outcome = verification.verify_claim(claim_id=claim.pk, client=client, force=True)
        claim.refresh_from_db()
        outcome.sandbox = state
        return outcome

    return _verify
