"""https delivery to a pinned address: the certificate is verified for the URL's host name (SNI),
not for the IP address connected to."""

import socket
import ssl
import subprocess

import pytest

from tests.transactions.webhooks.receiver import Receiver, start
from transactions.webhooks import services, worker
from transactions.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def _self_signed(tmp_path, name: str):
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(tmp_path, settings, monkeypatch):
    cert, key = _self_signed(tmp_path, "hooks.test")
    receiver = start(Receiver())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    settings.WEBHOOKS = {**settings.WEBHOOKS, "REQUIRE_HTTPS": True, "CA_BUNDLE": str(cert)}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):  # DNS: these names are the receiver on 127.0.0.1
        if host in ("hooks.test", "other.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_https_delivery_verifies_the_certificate_for_the_host_name(tls_receiver, client_user, make_claim):
    port = tls_receiver.server.server_port
    services.endpoint_create(owner=client_user, url=f"https://hooks.test:{port}/in")
    make_claim()
    worker.deliver_due()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    (got,) = tls_receiver.delivered()
    assert got.host == f"hooks.test:{port}"


def test_https_delivery_refuses_a_certificate_for_another_name(tls_receiver, client_user, make_claim):
    port = tls_receiver.server.server_port
    services.endpoint_create(owner=client_user, url=f"https://other.test:{port}/in")
    make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("connection error")
    assert tls_receiver.requests == []
