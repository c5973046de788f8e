"""Walking the hash chain and reporting the first broken link (used by `manage.py verify_audit`).

Streams with keyset pagination on `sequence` (bounded memory, works through PgBouncer, any table
size). For each event, in order:
  1. sequence gap    -> a row was deleted (or the walk does not start where expected);
  2. prev_hash link  -> rows were reordered/swapped or a row replaced;
  3. own hash        -> the row's content was edited.
A deleted tail cannot be seen from inside the chain: compare with a published `audit_head`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from audit.chain import GENESIS_HASH, hash_matches
from audit.models import AuditEvent


@dataclass(frozen=True)
class Break:
    sequence: int
    kind: str  # "gap" | "link" | "hash" | "start"
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


def verify_chain(
    *,
    since: int | None = None,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyResult:
    """Verify the chain from sequence `since` (default: the beginning) to the current head.

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
    return _result(checked, last, None)


def _result(checked: int, last: AuditEvent | None, broken: Break | None) -> VerifyResult:
    return VerifyResult(checked, last.sequence if last else None, last.hash if last else None, broken)
