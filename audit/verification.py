"""Walking the hash chain and reporting the first broken link (used by `manage.py verify_audit`).

Streams with keyset pagination on `sequence` (bounded memory, works through PgBouncer, any table
size). For each event, in order:
  1. sequence gap    -> a row was deleted (or the walk does not start where expected);
  2. prev_hash link  -> rows were reordered/swapped or a row replaced;
  3. own hash        -> the row's content was edited.
Then the whole table is accounted for: its row count, lowest and highest sequence must be exactly
those of the verified chain (1..head), so a row outside the chain (a forged `sequence = -7`, or
one the walk never reached) is a break too ("accounting").
A deleted tail cannot be seen from inside the chain: `expected_head` (a head published earlier by
`audit_head --publish`) must still be in the chain with the same hash ("tail").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Max, Min

from audit.chain import GENESIS_HASH, hash_matches
from audit.models import AuditEvent


@dataclass(frozen=True)
class Break:
    sequence: int
    kind: str  # "gap" | "link" | "hash" | "start" | "accounting" | "tail"
    message: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_sequence: int | None
    head_hash: str | None
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class Head:
    """A published chain head: `SEQ:HASH`."""

    sequence: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Head:
        seq, sep, digest = (text or "").strip().partition(":")
        if not sep or not seq.isdigit() or int(seq) < 1 or len(digest) != 64:
            raise ValueError(f"Expected SEQ:HASH (a positive sequence and a 64-hex hash), got {text!r}")
        return cls(int(seq), digest.lower())


def verify_chain(
    *,
    since: int | None = None,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    expected_head: Head | None = None,
) -> VerifyResult:
    """Verify the chain from sequence `since` (default: the beginning) to the current head, then
    account for every row of the table and, when given, check a published head.

    `progress(checked, last_sequence)` is called after each batch.
    """
    batch = max(1, int(batch))
    if since is None or since <= 1:
        start, expected_prev_hash, expected_seq = 0, GENESIS_HASH, 1
    else:
        anchor = AuditEvent.objects.filter(sequence=since - 1).values_list("hash", flat=True).first()
        if anchor is None:
            return VerifyResult(
                0,
                None,
                None,
                Break(since, "start", f"sequence {since - 1} (the checkpoint's predecessor) is missing"),
            )
        start, expected_prev_hash, expected_seq = since - 1, anchor, since

    checked = 0
    last: AuditEvent | None = None
    cursor = start
    while True:
        rows = list(AuditEvent.objects.filter(sequence__gt=cursor).order_by("sequence")[:batch])
        if not rows:
            break
        for event in rows:
            problem = None
            if event.sequence != expected_seq:
                problem = (
                    "gap" if event.sequence > expected_seq else "start",
                    f"expected sequence {expected_seq} "
                    f"(events {expected_seq}..{event.sequence - 1} are missing: deleted rows)",
                )
            elif event.prev_hash != expected_prev_hash:
                problem = (
                    "link",
                    "prev_hash does not match the hash of sequence "
                    f"{event.sequence - 1} (rows reordered, swapped or replaced)",
                )
            elif not hash_matches(event):
                problem = ("hash", "hash mismatch (the event's content was edited)")
            if problem is not None:
                return _result(checked, last, Break(event.sequence, *problem))
            checked += 1
            expected_seq = event.sequence + 1
            expected_prev_hash = event.hash
            last = event
        cursor = rows[-1].sequence
        if progress is not None:
            progress(checked, cursor)
    head = last.sequence if last is not None else start
    broken = _account_for_every_row(head) or _check_expected_head(expected_head, head)
    return _result(checked, last, broken)


def _account_for_every_row(head: int) -> Break | None:
    """The table holds exactly the rows 1..head of the chain: nothing beside or below it."""
    stats = AuditEvent.objects.aggregate(rows=Count("pk"), low=Min("sequence"), high=Max("sequence"))
    rows, low, high = stats["rows"], stats["low"], stats["high"]
    if rows == head and (rows == 0 or (low == 1 and high == head)):
        return None
    return Break(
        low if low is not None and low < 1 else head + 1,
        "accounting",
        f"the table holds {rows} events (sequences {low}..{high}) but the chain accounts for {head} "
        "(1..head): rows outside the chain were inserted",
    )


def _check_expected_head(expected: Head | None, head: int) -> Break | None:
    if expected is None:
        return None
    if head < expected.sequence:
        return Break(
            head + 1,
            "tail",
            f"the chain ends at sequence {head} but the published head is {expected.sequence}: "
            f"events {head + 1}..{expected.sequence} (at least) were cut from the tail",
        )
    found = AuditEvent.objects.filter(sequence=expected.sequence).values_list("hash", flat=True).first()
    if found != expected.hash:
        return Break(
            expected.sequence,
            "tail",
            f"sequence {expected.sequence} has hash {found} but the published head says {expected.hash}: "
            "the chain was rewritten after the head was published",
        )
    return None


def _result(checked: int, last: AuditEvent | None, broken: Break | None) -> VerifyResult:
    return VerifyResult(checked, last.sequence if last else None, last.hash if last else None, broken)
