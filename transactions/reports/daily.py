"""The daily report: what happened to payment claims on one America/Caracas day, read from the
claims and the audit trail (never from the claims' current status alone), so a past day always
reads the same.

For day D = [00:00, 24:00) Caracas:

* **claims per status**: the claims created on D, by their status at the end of D (the `to_status`
  of their last `transaction.status_changed` event on D; IN_PROGRESS when none), with their count
  and amount in VES (the amount claimed; the bank's amount for a claim made without one);
* **decisions**: status changes on D into a final status (COMPLETED, CANCELED). *Automatic* when no
  person took it (the bank's answer, the system), *manual* when a person did; per person the
  approvals (→ COMPLETED) and rejections/withdrawals (→ CANCELED);
* **time to final status**: for those decisions, the event's time minus the claim's creation; the
  median and the 90th percentile (linear interpolation between closest ranks, as PostgreSQL's
  percentile_cont);
* **queue at the end of D**: how many claims were in TO_REVIEW at 24:00. Computed from the trail,
  backwards from the queue's current size: minus the entries into TO_REVIEW since, plus the exits
  (decisions from TO_REVIEW, soft deletions of claims in review) since.

The queries read one day of events (audit_occurred_at_idx) and claims (tx_created_idx); the
queue's back-count reads the events since the end of D.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.actions import TRANSACTION_DELETED, TRANSACTION_STATUS_CHANGED
from audit.models import ActorType, AuditEvent
from config.clock import CARACAS
from transactions.models import Status, Transaction

FINAL_STATUSES = (Status.COMPLETED.value, Status.CANCELED.value)
ZERO = Decimal("0.00")
CHUNK = 1000


@dataclass(frozen=True)
class StatusFigure:
    status: str
    count: int
    amount: Decimal  # VES


@dataclass(frozen=True)
class PersonFigure:
    label: str  # the person's e-mail as the audit trail recorded it
    approved: int
    rejected: int

    @property
    def total(self) -> int:
        return self.approved + self.rejected


@dataclass
class DayReport:
    day: dt.date
    statuses: list[StatusFigure] = field(default_factory=list)
    automatic: int = 0
    manual: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    people: list[PersonFigure] = field(default_factory=list)
    queue_end: int = 0

    @property
    def created(self) -> int:
        return sum(s.count for s in self.statuses)

    @property
    def created_amount(self) -> Decimal:
        return sum((s.amount for s in self.statuses), ZERO)

    @property
    def decisions(self) -> int:
        return self.automatic + self.manual

    def count(self, status: str) -> int:
        return next((s.count for s in self.statuses if s.status == status), 0)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Caracas day, tz-aware."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=CARACAS)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=CARACAS)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL percentile_cont, numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _claim_type() -> ContentType:
    return ContentType.objects.get_for_model(Transaction)


def _status_events(start: dt.datetime, end: dt.datetime):
    return AuditEvent.objects.filter(
        target_type=_claim_type(),
        action=TRANSACTION_STATUS_CHANGED,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )


DECISION_TIMES_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY s.seconds)
FROM (
    SELECT extract(epoch FROM e.occurred_at - t.created_at)::float8 AS seconds
    FROM audit_auditevent e JOIN transactions_transaction t ON t.id = e.target_id::uuid
    WHERE e.target_type_id = %s AND e.action = %s AND e.occurred_at >= %s AND e.occurred_at < %s
      AND e.metadata ->> 'to_status' = ANY(%s)
) AS s
"""


def decision_seconds(start: dt.datetime, end: dt.datetime) -> list[float]:
    """Seconds from claim to final status of each decision in [start, end) (any database)."""
    events = list(
        _status_events(start, end)
        .filter(metadata__to_status__in=FINAL_STATUSES)
        .values_list("target_id", "occurred_at")
    )
    ids = sorted({target_id for target_id, _ in events})
    created: dict[str, dt.datetime] = {}
    for at in range(0, len(ids), CHUNK):
        rows = Transaction.objects.filter(pk__in=ids[at : at + CHUNK]).values_list("pk", "created_at")
        created.update((str(pk), when) for pk, when in rows)
    return [(when - created[t]).total_seconds() for t, when in events if t in created]


def decision_times(start: dt.datetime, end: dt.datetime) -> tuple[float | None, float | None]:
    """(median, p90) seconds from claim to final status of the decisions in [start, end).

    On PostgreSQL one aggregate (percentile_cont over the day's final events joined to their
    claims) instead of bringing every timestamp into Python; elsewhere `decision_seconds`."""
    if connection.vendor != "postgresql":
        seconds = decision_seconds(start, end)
        return percentile(seconds, 0.5), percentile(seconds, 0.9)
    with connection.cursor() as cursor:
        cursor.execute(
            DECISION_TIMES_SQL,
            [_claim_type().pk, TRANSACTION_STATUS_CHANGED, start, end, list(FINAL_STATUSES)],
        )
        median, p90 = cursor.fetchone()
    return median, p90


def queue_sizes(days: list[dt.date], *, now: dt.datetime | None = None) -> dict[dt.date, int]:
    """TO_REVIEW queue size at the end of each day, from the trail (two queries for any number of days)."""
    if not days:
        return {}
    now = now or timezone.now()
    current = Transaction.objects.filter(status=Status.TO_REVIEW, deleted_at__isnull=True).count()
    since = day_bounds(min(days))[1]
    into, out_of = (
        Q(metadata__to_status=Status.TO_REVIEW.value),
        Q(metadata__from_status=Status.TO_REVIEW.value),
    )
    moved = (
        AuditEvent.objects.filter(
            target_type=_claim_type(),
            action__in=(TRANSACTION_STATUS_CHANGED, TRANSACTION_DELETED),
            occurred_at__gte=since,
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=CARACAS))
        .values("day")
        .annotate(
            entered=Count("pk", filter=Q(action=TRANSACTION_STATUS_CHANGED) & into),
            left=Count("pk", filter=Q(action=TRANSACTION_STATUS_CHANGED) & out_of),
            deleted=Count(
                "pk", filter=Q(action=TRANSACTION_DELETED, metadata__status=Status.TO_REVIEW.value)
            ),
        )
        .order_by()
    )
    net = {row["day"]: row["entered"] - row["left"] - row["deleted"] for row in moved}
    sizes = {}
    for day in days:
        if day_bounds(day)[1] >= now:
            sizes[day] = current  # the day is not over: its end is now
            continue
        sizes[day] = current - sum(n for d, n in net.items() if d > day)
    return sizes


def daily_report(day: dt.date, *, now: dt.datetime | None = None, queue_end: int | None = None) -> DayReport:
    """The figures of one Caracas day (see the module docstring). `queue_end` when already known."""
    start, end = day_bounds(day)
    events = list(
        _status_events(start, end)
        .order_by("sequence")
        .values_list("target_id", "metadata__to_status", "actor_type", "actor_label")
    )
    end_status: dict[str, str] = {}
    for target_id, to_status, *_ in events:
        end_status[target_id] = to_status

    amounts: dict[str, list] = {s.value: [0, ZERO] for s in Status}
    cohort = Transaction.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "pk", "amount", "bank_amount"
    )
    for pk, amount, bank_amount in cohort.iterator(chunk_size=5000):
        figure = amounts.setdefault(end_status.get(str(pk), Status.IN_PROGRESS.value), [0, ZERO])
        figure[0] += 1
        figure[1] += amount if amount is not None else (bank_amount or ZERO)

    decisions = [e for e in events if e[1] in FINAL_STATUSES]
    median, p90 = decision_times(start, end)
    by_person: Counter[tuple[str, str]] = Counter(
        (label, to_status) for _, to_status, actor_type, label in decisions if actor_type == ActorType.USER
    )
    people = sorted(
        {label for label, _ in by_person},
        key=lambda label: (-(by_person[label, "COMPLETED"] + by_person[label, "CANCELED"]), label),
    )
    manual = sum(by_person.values())
    return DayReport(
        day=day,
        statuses=[StatusFigure(status, n, amount) for status, (n, amount) in amounts.items()],
        automatic=len(decisions) - manual,
        manual=manual,
        median_seconds=median,
        p90_seconds=p90,
        people=[PersonFigure(p, by_person[p, "COMPLETED"], by_person[p, "CANCELED"]) for p in people],
        queue_end=queue_sizes([day], now=now)[day] if queue_end is None else queue_end,
    )
