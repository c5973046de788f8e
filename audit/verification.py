"""Walking the hash chains and reporting the first broken link (used by `manage.py verify_audit`).

The trail is the closed legacy chain (chain 0, positions = `sequence`) plus the sharded chains
1..N (positions = `chain_seq`), see docs/AUDIT_CHAINS.md. Each chain is streamed with keyset
pagination on its position (bounded memory, works through PgBouncer, any table size). For each
event, in order:
  1. position gap    -> a row was deleted (or the walk does not start where expected);
  2. prev_hash link  -> rows were reordered/swapped or a row replaced (a sharded chain's first
                        event must link to its genesis, bound to the legacy chain's head);
  3. own hash        -> the row's content (or its chain/position) was edited.
Then the whole table is accounted for: per chain, the row count, lowest and highest position
must be exactly those of the verified chain (1..head), and no row may sit outside a verified
chain, so a row beside the chains (a forged `sequence = -7`, or one the walks never reached) is a
break too ("accounting").
A deleted tail cannot be seen from inside a chain: `expected_head` (heads published earlier by
`audit_head --publish`) must still be in their chains with the same hashes ("tail").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min

from audit.chain import GENESIS_HASH, LEGACY_CHAIN, chain_genesis, hash_matches
from audit.models import AuditEvent


@dataclass(frozen=True)
class Break:
    sequence: int
    kind: str  # "gap" | "link" | "hash" | "start" | "accounting" | "tail"
    message: str
    chain: int | None = None


@dataclass(frozen=True)
class ChainHead:
    chain: int
    position: int  # chain 0: the sequence; chains 1..N: chain_seq
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_sequence: int | None  # the highest global sequence verified
    head_hash: str | None  # its hash
    broken: Break | None
    heads: dict[int, ChainHead] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class Head:
    """A published head of one chain: `CHAIN:POSITION:HASH` (or `POSITION:HASH` for chain 0)."""

    sequence: int  # the position in its chain
    hash: str
    chain: int = LEGACY_CHAIN

    @classmethod
    def parse(cls, text: str) -> Head:
        parts = (text or "").strip().split(":")
        if len(parts) == 2:
            parts = [str(LEGACY_CHAIN), *parts]
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[2]) != 64:
            raise ValueError(
                f"Expected SEQ:HASH or CHAIN:SEQ:HASH (positive numbers, a 64-hex hash), got {text!r}"
            )
        chain, position, digest = int(parts[0]), int(parts[1]), parts[2].lower()
        if position < 1:
            raise ValueError(f"Expected a positive position, got {text!r}")
        return cls(position, digest, chain)

    @classmethod
    def parse_many(cls, text: str) -> list[Head]:
        """`c:SEQ:HASH,c:SEQ:HASH,…` (what `audit_head` publishes as `expect_head`)."""
        return [cls.parse(part) for part in (text or "").split(",") if part.strip()]

    def __str__(self) -> str:
        return f"{self.chain}:{self.sequence}:{self.hash}"


def _position_field(chain: int) -> str:
    return "sequence" if chain == LEGACY_CHAIN else "chain_seq"


def _walk(
    chain: int,
    *,
    start: int,
    expected_prev_hash: str,
    batch: int,
    progress: Callable[[int, int], None] | None,
    checked_before: int,
) -> tuple[int, AuditEvent | None, Break | None]:
    """Walk one chain from position `start` + 1: (events checked, last event, break or None)."""
    pos = _position_field(chain)
    checked, last, cursor, expected = 0, None, start, start + 1
    where = "sequence" if chain == LEGACY_CHAIN else "position"
    while True:
        rows = list(AuditEvent.objects.filter(chain=chain, **{f"{pos}__gt": cursor}).order_by(pos)[:batch])
        if not rows:
            return checked, last, None
        for event in rows:
            at = getattr(event, pos)
            problem = None
            if at != expected:
                problem = (
                    "gap" if at > expected else "start",
                    f"expected {where} {expected} (events {expected}..{at - 1} are missing: deleted rows)",
                )
            elif event.prev_hash != expected_prev_hash:
                problem = (
                    "link",
                    "prev_hash does not match the hash of "
                    + (f"{where} {at - 1}" if at > 1 else "the chain's genesis")
                    + " (rows reordered, swapped or replaced)",
                )
            elif not hash_matches(event):
                problem = ("hash", "hash mismatch (the event's content was edited)")
            if problem is not None:
                kind, text = problem
                if chain != LEGACY_CHAIN:
                    text = f"chain {chain} position {at}: {text}"
                return checked, last, Break(event.sequence, kind, text, chain)
            checked += 1
            expected = at + 1
            expected_prev_hash = event.hash
            last = event
        cursor = getattr(rows[-1], pos)
        if progress is not None:
            progress(checked_before + checked, rows[-1].sequence)


def verify_chain(
    *,
    since: int | None = None,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    expected_head: Head | list[Head] | None = None,
) -> VerifyResult:
    """Verify the legacy chain (from `since`, default its beginning) and every sharded chain, then
    account for every row of the table and, when given, check published heads.

    `progress(checked, last_sequence)` is called after each batch.
    """
    batch = max(1, int(batch))
    if since is None or since <= 1:
        start, prev = 0, GENESIS_HASH
    else:
        anchor = (
            AuditEvent.objects.filter(chain=LEGACY_CHAIN, sequence=since - 1)
            .values_list("hash", flat=True)
            .first()
        )
        if anchor is None:
            return VerifyResult(
                0,
                None,
                None,
                Break(since, "start", f"sequence {since - 1} (the checkpoint's predecessor) is missing"),
            )
        start, prev = since - 1, anchor

    heads: dict[int, ChainHead] = {}
    checked, top = 0, None
    done, last, broken = _walk(
        LEGACY_CHAIN, start=start, expected_prev_hash=prev, batch=batch, progress=progress, checked_before=0
    )
    checked += done
    if broken is not None:
        return VerifyResult(checked, None, None, broken, heads)
    legacy_position = last.sequence if last is not None else start
    legacy_hash = last.hash if last is not None else prev
    heads[LEGACY_CHAIN] = ChainHead(LEGACY_CHAIN, legacy_position, legacy_hash)
    top = last

    sharded = sorted(
        AuditEvent.objects.exclude(chain=LEGACY_CHAIN).order_by().values_list("chain", flat=True).distinct()
    )
    for chain in sharded:
        done, last, broken = _walk(
            chain,
            start=0,
            expected_prev_hash=chain_genesis(chain, legacy_hash),
            batch=batch,
            progress=progress,
            checked_before=checked,
        )
        checked += done
        if broken is not None:
            return VerifyResult(checked, None, None, broken, heads)
        if last is not None:
            heads[chain] = ChainHead(chain, last.chain_seq, last.hash)
            if top is None or last.sequence > top.sequence:
                top = last

    broken = _account_for_every_row(heads) or _check_expected_heads(expected_head, heads)
    return VerifyResult(checked, top.sequence if top else None, top.hash if top else None, broken, heads)


def _account_for_every_row(heads: dict[int, ChainHead]) -> Break | None:
    """Every row belongs to a verified chain, whose positions are exactly 1..head."""
    legacy = AuditEvent.objects.filter(chain=LEGACY_CHAIN).aggregate(
        rows=Count("pk"), low=Min("sequence"), high=Max("sequence")
    )
    head = heads[LEGACY_CHAIN].position
    if not (legacy["rows"] == head and (head == 0 or (legacy["low"] == 1 and legacy["high"] == head))):
        low = legacy["low"]
        return Break(
            low if low is not None and low < 1 else head + 1,
            "accounting",
            f"the table holds {legacy['rows']} legacy events (sequences {low}..{legacy['high']}) but the "
            f"legacy chain accounts for {head} (1..head): rows outside the chain were inserted",
            LEGACY_CHAIN,
        )
    stats = (
        AuditEvent.objects.exclude(chain=LEGACY_CHAIN)
        .values("chain")
        .annotate(
            rows=Count("pk"), positioned=Count("chain_seq"), low=Min("chain_seq"), high=Max("chain_seq")
        )
    )
    for row in stats:
        chain = row["chain"]
        head = heads[chain].position if chain in heads else 0
        if row["rows"] == row["positioned"] == head and row["low"] == 1 and row["high"] == head:
            continue
        return Break(
            0,
            "accounting",
            f"chain {chain}: the table holds {row['rows']} events (positions {row['low']}..{row['high']}) "
            f"but the chain accounts for {head} (1..head): rows outside the chain were inserted",
            chain,
        )
    return None


def _check_expected_heads(expected: Head | list[Head] | None, heads: dict[int, ChainHead]) -> Break | None:
    if expected is None:
        return None
    for published in [expected] if isinstance(expected, Head) else expected:
        chain, where = published.chain, "sequence" if published.chain == LEGACY_CHAIN else "position"
        label = "" if chain == LEGACY_CHAIN else f"chain {chain}: "
        head = heads.get(chain)
        position = head.position if head is not None else 0
        if position < published.sequence:
            return Break(
                0,
                "tail",
                f"{label}the chain ends at {where} {position} but the published head is "
                f"{published.sequence}: events {position + 1}..{published.sequence} (at least) "
                "were cut from the tail",
                chain,
            )
        found = (
            AuditEvent.objects.filter(chain=chain, **{_position_field(chain): published.sequence})
            .values_list("hash", flat=True)
            .first()
        )
        if found != published.hash:
            return Break(
                0,
                "tail",
                f"{label}{where} {published.sequence} has hash {found} but the published head says "
                f"{published.hash}: the chain was rewritten after the head was published",
                chain,
            )
    return None
