import pytest

from tests.transactions.webhooks.receiver import Receiver, start
from transactions.webhooks import services


@pytest.fixture(autouse=True)
def _fast_webhooks(settings):
    """Local policy (http + 127.0.0.1 allowed), short timeouts; back-off kept at its real shape."""
    settings.WEBHOOKS = {
        **settings.WEBHOOKS,
        "REQUIRE_HTTPS": False,
        "ALLOW_PRIVATE_ADDRESSES": True,
        "CONNECT_TIMEOUT": 1.0,
        "READ_TIMEOUT": 0.5,
        "LEASE_SECONDS": 30.0,
    }


@pytest.fixture
def receiver():
    r = start(Receiver())
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def endpoint(client_user, receiver):
    """(endpoint, secret) of client_user pointing at the test receiver."""
    return services.endpoint_create(owner=client_user, url=receiver.url)


def production_policy(settings):
    settings.WEBHOOKS = {**settings.WEBHOOKS, "REQUIRE_HTTPS": True, "ALLOW_PRIVATE_ADDRESSES": False}
