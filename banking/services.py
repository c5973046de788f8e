"""Writes of the banking app: the look-up log.

Every confirmation look-up the project makes (automatic verification, a reconciler's search, the
certification checks) is kept as one `BankLookup` row with what was asked and the raw answer.
Claims are known here only by id; what an answer means for a claim is `transactions`' business.
"""

from __future__ import annotations

from .client import LookupQuery
from .conf import BanescoConfig
from .models import BankLookup
from .results import LookupResult


def record_lookup(
    *,
    query: LookupQuery,
    result: LookupResult,
    config: BanescoConfig,
    claim_id=None,
    requested_by=None,
    decided_status: str = "",
) -> BankLookup:
    """Store one look-up: the query (PII-safe summary), the raw body, the outcome, the timings."""
    return BankLookup.objects.create(
        claim_id=claim_id,
        requested_by=requested_by,
        environment=config.environment,
        mode=query.mode,
        request=query.summary(),
        body=result.raw,
        outcome=result.kind,
        code=(result.code or "")[:32],
        http_status=result.http_status,
        attempts=min(result.attempts, 32767),
        duration_ms=result.duration_ms,
        decided_status=decided_status,
    )
