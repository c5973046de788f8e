"""Concurrent appends from several threads, each with its own DB connection, form unbroken chains."""

import threading

import pytest
from django.db import connection, transaction

from audit import actions
from audit.models import AuditEvent
from audit.services import record
from audit.verification import verify_chain

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6
PER_WRITER = 25


def test_concurrent_appends_form_unbroken_chains():
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(PER_WRITER):
                with transaction.atomic():
                    record(action=actions.ADMIN_ACTION, metadata={"writer": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)

    total = WRITERS * PER_WRITER
    assert AuditEvent.objects.values("sequence").distinct().count() == total  # unique global order
    by_chain: dict[int, list[int]] = {}
    for chain, position in AuditEvent.objects.order_by("chain", "chain_seq").values_list(
        "chain", "chain_seq"
    ):
        by_chain.setdefault(chain, []).append(position)
    assert len(by_chain) > 1  # target-less events spread over the chains: no single lock
    for positions in by_chain.values():
        assert positions == list(range(1, len(positions) + 1))  # gapless per chain
    assert AuditEvent.objects.values("prev_hash").distinct().count() == total  # no fork
    result = verify_chain(batch=50)
    assert result.ok, result.broken
    assert result.checked == total
