"""SSRF: production refuses http and non-public addresses, at registration and at delivery, and the
delivery connects to the address it checked (DNS rebinding). DNS answers are faked (the network
edge); the HTTP path is real."""

import socket

import pytest
from django.utils import timezone

from config.errors import ValidationFailed
from tests.foundation.test_settings_production import PROD_ENV, _run
from tests.transactions.webhooks.conftest import production_policy
from transactions.webhooks import services, urlsafety, worker
from transactions.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS: {host: [answers...]}; each look-up pops the next answer (the last one repeats)."""
    answers: dict[str, list[list[str]]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        calls.append(host)
        queue = answers[host]
        ips = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ips
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers, calls


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # not https
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.1.2.3/x",
        "https://192.168.1.10/x",
        "https://172.16.0.1/x",
        "https://100.64.0.1/x",  # shared address space (CGNAT)
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped loopback
        "https://[fd00:ec2::254]/x",  # AWS metadata over IPv6
        "https://[64:ff9b::a00:1]/x",  # NAT64 of 10.0.0.1
        "https://0.0.0.0/x",
        "https://user:pass@hooks.example.com/x",
        "https://internal.example/x",  # a host name resolving to a private address
        "https://rebind.example/x",  # one public and one private answer
        "ftp://hooks.example.com/x",
    ],
)
def test_production_refuses_at_registration(url, settings, dns, client_user):
    production_policy(settings)
    answers, _ = dns
    answers["internal.example"] = [["10.0.0.7"]]
    answers["rebind.example"] = [[PUBLIC, "127.0.0.1"]]
    answers["hooks.example.com"] = [[PUBLIC]]
    with pytest.raises(ValidationFailed) as exc:
        services.endpoint_create(owner=client_user, url=url)
    assert exc.value.details["fields"]["url"]


def test_production_accepts_a_public_https_host(settings, dns, client_user):
    production_policy(settings)
    dns[0]["hooks.example.com"] = [[PUBLIC]]
    endpoint, _ = services.endpoint_create(owner=client_user, url="https://hooks.example.com/areamedica")
    assert endpoint.is_active


def test_api_answers_400_in_the_error_envelope(settings, auth_client, client_user):
    production_policy(settings)
    response = auth_client(client_user).post(
        "/api/v1/webhooks/endpoints/", {"url": "https://169.254.169.254/"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "url" in response.json()["error"]["details"]["fields"]


def test_dns_rebinding_after_registration_is_refused_at_delivery(
    settings, dns, client_user, make_claim, receiver
):
    production_policy(settings)
    answers, _ = dns
    answers["hooks.example.com"] = [[PUBLIC], ["127.0.0.1"]]  # public at registration, loopback later
    services.endpoint_create(owner=client_user, url="https://hooks.example.com/x")
    make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error.startswith("refused: the host resolves to a non-public address (127.0.0.1)")
    assert receiver.requests == []


def test_delivery_connects_to_the_address_it_checked(dns, client_user, make_claim, receiver):
    """One look-up per delivery, and the connection goes to its answer: a second look-up (here it
    would answer an unroutable address) is never made."""
    answers, calls = dns
    port = receiver.server.server_port
    answers["hooks.test"] = [["127.0.0.1"], ["10.255.255.1"]]
    services.endpoint_create(owner=client_user, url=f"http://hooks.test:{port}/in")
    calls.clear()
    make_claim()
    worker.deliver_due()
    (got,) = receiver.delivered()
    assert got.host == f"hooks.test:{port}"  # the URL's host name as Host, the checked IP as peer
    assert calls == ["hooks.test"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_refused_at_delivery_when_the_policy_tightens(settings, client_user, make_claim, receiver):
    """An endpoint registered under a lax policy is checked again at delivery."""
    services.endpoint_create(owner=client_user, url=receiver.url)
    production_policy(settings)
    make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "refused: the URL must be https"
    assert delivery.next_attempt_at > timezone.now()
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address,public",
    [
        (PUBLIC, True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.2", False),
        ("fe80::1", False),
        ("224.0.0.1", False),
    ],
)
def test_is_public_address(address, public):
    assert urlsafety.is_public_address(address) is public


def test_real_production_settings_force_the_strict_policy():
    """DJANGO_ENV=production ignores attempts to relax the policy from the environment."""
    code = (
        "import django; django.setup()\n"
        "from transactions.webhooks import urlsafety\n"
        "for url in ('http://93.184.216.34/', 'https://127.0.0.1/', 'https://10.0.0.1/'):\n"
        "    try:\n"
        "        urlsafety.resolve(url)\n"
        "    except urlsafety.UnsafeURL as exc:\n"
        "        print('refused', exc)\n"
    )
    result = _run({**PROD_ENV, "WEBHOOKS_ALLOW_PRIVATE": "true", "WEBHOOKS_REQUIRE_HTTPS": "false"}, code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == [
        "refused the URL must be https",
        "refused the host resolves to a non-public address (127.0.0.1)",
        "refused the host resolves to a non-public address (10.0.0.1)",
    ]
