"""Cheap queries for the admin index dashboard.

* counts per status: one GROUP BY (index-only scan of tx_status_created_idx on PostgreSQL);
* TO_REVIEW age: oldest and median `created_at` of the queue, served by the partial index
  tx_to_review_queue_idx (PostgreSQL: `percentile_disc` in one query; other databases: the
  oldest row plus one OFFSET look-up);
* today's completions (Caracas day): `transaction.status_changed` audit events to COMPLETED
  since Caracas midnight (range scan of audit_occurred_at_idx: only today's events are read);
* bank: circuit-breaker state (shared cache) and last successful look-up (BankLookup, indexed).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from audit.actions import TRANSACTION_STATUS_CHANGED
from audit.models import AuditEvent
from banking import selectors as banking_selectors
from banking.breaker import CircuitBreaker
from banking.conf import get_config
from config.clock import CARACAS
from transactions.models import Status, Transaction
from transactions.webhooks import selectors as webhook_selectors

logger = logging.getLogger(__name__)
NOT_AVAILABLE = "n/a"


@dataclass
class BankStatus:
    breaker_state: str = NOT_AVAILABLE
    last_success_at: dt.datetime | None = None


@dataclass
class Dashboard:
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    to_review_count: int = 0
    to_review_oldest: dt.datetime | None = None
    to_review_median: dt.datetime | None = None
    completed_today: int = 0
    bank: BankStatus = field(default_factory=BankStatus)
    now: dt.datetime | None = None
    failing_webhook_endpoints: int = 0

    @property
    def status_rows(self) -> list[dict]:
        return [
            {
                "value": s.value,
                "label": str(s.label),
                "count": self.counts.get(s.value, 0),
                "css": "st-" + s.value.lower().replace("_", "-"),
            }
            for s in Status
        ]

    def _age(self, moment: dt.datetime | None) -> dt.timedelta | None:
        if moment is None or self.now is None:
            return None
        return max(self.now - moment, dt.timedelta(0))

    @property
    def oldest_age(self) -> dt.timedelta | None:
        return self._age(self.to_review_oldest)

    @property
    def median_age(self) -> dt.timedelta | None:
        return self._age(self.to_review_median)


def status_counts() -> dict[str, int]:
    rows = Transaction.objects.alive().order_by().values_list("status").annotate(n=Count("*"))
    return dict(rows)


def _queue():
    return Transaction.objects.filter(status=Status.TO_REVIEW, deleted_at__isnull=True)


def to_review_age(*, count: int) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(oldest created_at, median created_at) of the TO_REVIEW queue."""
    if count == 0:
        return None, None
    if connection.vendor == "postgresql":
        table = Transaction._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT min(created_at), percentile_disc(0.5) WITHIN GROUP (ORDER BY created_at) "  # noqa: S608
                f"FROM {table} WHERE status = %s AND deleted_at IS NULL",
                [Status.TO_REVIEW.value],
            )
            oldest, median = cursor.fetchone()
        return oldest, median
    ordered = _queue().order_by("created_at").values_list("created_at", flat=True)
    return ordered.first(), ordered[count // 2 : count // 2 + 1].first()


def caracas_midnight(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now(), CARACAS)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def completed_today(*, now: dt.datetime | None = None) -> int:
    return AuditEvent.objects.filter(
        occurred_at__gte=caracas_midnight(now),
        action=TRANSACTION_STATUS_CHANGED,
        metadata__to_status=Status.COMPLETED.value,
    ).count()


def bank_status() -> BankStatus:
    """Breaker state (shared cache) and last successful look-up (BankLookup, indexed)."""
    lookup = banking_selectors.last_successful_lookup()
    return BankStatus(
        breaker_state=CircuitBreaker(get_config()).state(),
        last_success_at=getattr(lookup, "created_at", None),
    )


def cached_status_counts() -> dict[str, int]:
    """status_counts() kept ADMIN_DASHBOARD_CACHE_SECONDS (default 30 s; 0 = off) in the shared cache.

    The GROUP BY reads every live row (an index-only scan, ~0.2 s at 1 M claims); many reconcilers
    opening the index at once share one result.
    """
    seconds = int(getattr(settings, "ADMIN_DASHBOARD_CACHE_SECONDS", 30))
    if seconds <= 0:
        return status_counts()
    key = f"admin-dashboard:counts:{connection.settings_dict.get('NAME')}"
    try:
        counts = cache.get(key)
    except Exception:
        counts = None
    if counts is None:
        counts = status_counts()
        try:
            cache.set(key, counts, seconds)
        except Exception:
            logger.warning("dashboard: cache unavailable")
    return counts


def dashboard_data() -> Dashboard:
    counts = cached_status_counts()
    to_review = counts.get(Status.TO_REVIEW.value, 0)
    oldest, median = to_review_age(count=to_review)
    return Dashboard(
        counts=counts,
        total=sum(counts.values()),
        to_review_count=to_review,
        to_review_oldest=oldest,
        to_review_median=median,
        completed_today=completed_today(),
        bank=bank_status(),
        now=timezone.now(),
        failing_webhook_endpoints=webhook_selectors.failing_endpoint_count(),
    )
