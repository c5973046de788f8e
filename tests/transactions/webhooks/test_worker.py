"""Workers share deliveries with SKIP LOCKED; the long-running loop wakes on NOTIFY; the commands."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import run_in_threads
from tests.transactions.conftest import flat_data
from transactions import services as claim_services
from transactions.webhooks import services, signing, worker
from transactions.webhooks.models import DeliveryStatus, WebhookDelivery

ROOT = Path(__file__).resolve().parents[3]


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_four_workers_share_the_queue_without_sending_twice(roles, client_user, receiver):
    services.endpoint_create(owner=client_user, url=receiver.url)
    for _ in range(40):
        claim_services.create_claim(data=flat_data(), actor=client_user)
    receiver.delay_seconds = 0.01
    counts, errors = run_in_threads(4, lambda i: worker.deliver_due())
    assert errors == [None] * 4
    assert sum(counts) == 40
    assert sum(1 for c in counts if c) >= 2  # the work really was shared
    ids = [r.headers["Webhook-Id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 40
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


@pytest.mark.django_db(transaction=True)
def test_long_running_worker_wakes_on_notify_and_stops_cleanly(roles, client_user, receiver):
    services.endpoint_create(owner=client_user, url=receiver.url)
    loop = worker.Worker(threads=2, poll_seconds=30.0)  # polling alone would take 30 s
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        time.sleep(0.5)  # LISTEN is in place
        started = time.monotonic()
        claim, _ = claim_services.create_claim(data=flat_data(), actor=client_user)
        assert _wait_for(lambda: len(receiver.delivered()) == 1, timeout=10)
        assert time.monotonic() - started < 5
        assert receiver.delivered()[0].event["data"]["transaction_id"] == claim.transaction_id
    finally:
        loop.stop.set()
        thread.join(15)
    assert not thread.is_alive()


@pytest.mark.django_db
def test_webhook_worker_once(client_user, receiver, make_claim):
    services.endpoint_create(owner=client_user, url=receiver.url)
    make_claim()
    make_claim()
    out = io.StringIO()
    call_command("webhook_worker", "--once", stdout=out)
    assert "2 webhook deliveries attempted" in out.getvalue()
    assert len(receiver.delivered()) == 2


def test_webhook_listen_verifies_and_prints(tmp_path):
    """The receiver command, as a user runs it: a bad signature is refused, a good one printed."""
    secret = signing.generate_secret()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "WEBHOOK_SECRET": secret}
    proc = subprocess.Popen(
        [sys.executable, "-u", "manage.py", "webhook_listen", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        body = json.dumps({"id": "evt_1", "type": "ping", "sequence": None, "data": {}}).encode()

        def send(headers):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, headers=headers)
            try:
                return urllib.request.urlopen(request, timeout=5).status
            except urllib.error.HTTPError as exc:
                return exc.code

        good = signing.sign_headers([secret], "evt_1", int(time.time()), body)
        stale = signing.sign_headers([secret], "evt_1", int(time.time()) - 600, body)
        forged = signing.sign_headers([signing.generate_secret()], "evt_1", int(time.time()), body)
        assert send(forged) == 400
        assert send(stale) == 400
        assert send(good) == 204
        assert send(good) == 204  # acknowledged again, reported as a duplicate
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert "REFUSED: no matching signature" in out
    assert "REFUSED: timestamp outside the replay window" in out
    assert "ping evt_1 sequence=None" in out and "duplicate ping evt_1" in out
    assert secret not in out + err
