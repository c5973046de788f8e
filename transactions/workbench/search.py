"""Search the bank from a claim's page: the reconciler's own look-ups.

The same client (`banking.client.get_client`), the same global budget and the same per-claim limit
(`ClaimLimiter`, CLAIM_LOOKUPS_PER_MINUTE) as automatic verification. A date range is looked up day
by day, each day one look-up counted in the limit; a range wider than what the limit has left is
refused before any call. Every look-up is stored as a `BankLookup` with the claim's id and the
reconciler (`requested_by`). Searching never changes the claim: "approve with this row" does
(`transactions.workbench.approve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from banking import services as banking_services
from banking.budget import ClaimLimiter, GlobalBudget
from banking.client import MODES, TRANSFER, BanescoClient, LookupQuery, get_client
from banking.results import ShortCircuited
from config.errors import NotFound, PermissionDenied, RateLimited, ServiceUnavailable, ValidationFailed
from transactions.models import Transaction
from transactions.verification.decision import query_for_claim
from transactions.workbench.assignment import DECIDE_PERMISSION, claim_renew

LIMIT_REACHED = "claim_rate_limited"


def max_range_days() -> int:
    return max(1, int(getattr(settings, "WORKBENCH_SEARCH_MAX_DAYS", 7)))


@dataclass(frozen=True)
class SearchParams:
    """What the reconciler asks the bank (pre-filled from the claim, corrected by hand)."""

    mode: str
    reference: str
    bank_id: str
    phone: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def days(self) -> list[date | None]:
        """One entry per look-up: Banesco→Banesco transfers use no date; a range gives each day."""
        if self.mode == TRANSFER or self.date_from is None:
            return [None]
        last = self.date_to or self.date_from
        n = (last - self.date_from).days + 1
        return [self.date_from + timedelta(days=i) for i in range(max(1, n))]

    def query(self, day: date | None) -> LookupQuery:
        return LookupQuery.build(
            mode=self.mode, reference=self.reference, bank_id=self.bank_id, phone=self.phone, start_date=day
        )

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "reference": self.reference,
            "bank_id": self.bank_id,
            "phone": (self.phone[:4] + "***" + self.phone[-4:]) if len(self.phone) > 8 else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }


def initial_params(claim: Transaction) -> dict:
    """The search form's initial values: the claim's own search (as verification runs it)."""
    return {
        "mode": query_for_claim(claim).mode,
        "reference": claim.reference,
        "bank_id": claim.payer_bank_code,
        "phone": claim.customer_phone,
        "date_from": claim.payment_date,
        "date_to": None,
    }


@dataclass
class SearchOutcome:
    lookup_ids: list[int] = field(default_factory=list)
    stopped: str = ""  # "" | budget_exhausted | breaker_open


def claim_search_bank(
    *, claim, actor, params: SearchParams, client: BanescoClient | None = None
) -> SearchOutcome:
    """Run the reconciler's search (one look-up per day) and log each as a BankLookup.

    Raises PermissionDenied, NotFound, ValidationFailed (bad mode, range wider than
    WORKBENCH_SEARCH_MAX_DAYS) and RateLimited (code `claim_rate_limited`) when the per-claim limit
    has fewer look-ups left than the search needs: nothing is asked then.
    """
    if actor is None or not actor.is_active or not actor.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("You may not search the bank for claims."))
    pk = claim.pk if isinstance(claim, Transaction) else claim
    if not Transaction.objects.alive().filter(pk=pk).exists():
        raise NotFound(_("Payment claim not found."))
    if params.mode not in MODES:
        raise ValidationFailed(_("Unknown search mode."), details={"mode": [params.mode]})
    if params.date_to and params.date_from and params.date_to < params.date_from:
        raise ValidationFailed(_("The range ends before it starts."), details={"date_to": ["before"]})
    days = params.days()
    if len(days) > max_range_days():
        raise ValidationFailed(
            _("A search covers at most %(n)d days.") % {"n": max_range_days()}, details={"date_to": ["range"]}
        )
    client = client or get_client()
    config = client.config
    limiter = ClaimLimiter(config)
    free = limiter.free_slots(pk)
    if len(days) > free:
        retry_after = max(1, limiter.retry_after(pk)) if free == 0 else 60
        raise RateLimited(
            _(
                "Look-up limit for this claim reached: %(limit)d look-ups per minute, %(free)d left now, "
                "this search needs %(need)d. Try again in %(seconds)d s."
            )
            % {"limit": limiter.limit, "free": free, "need": len(days), "seconds": retry_after},
            code=LIMIT_REACHED,
            retry_after=retry_after,
            details={"free": free, "needed": len(days)},
        )
    outcome = SearchOutcome()
    budget = GlobalBudget(config)
    for day in days:
        allowed, retry_after = limiter.try_acquire(pk)
        if not allowed:  # another look-up of this claim took the slot meanwhile
            if not outcome.lookup_ids:
                raise RateLimited(
                    _("Look-up limit for this claim reached; try again in %(seconds)d s.")
                    % {"seconds": retry_after},
                    code=LIMIT_REACHED,
                    retry_after=retry_after,
                )
            break
        if not budget.acquire(max_wait=config.budget_max_wait):
            outcome.stopped = "budget_exhausted"
            break
        query = params.query(day)
        result = client.lookup(query)
        if isinstance(result, ShortCircuited):
            outcome.stopped = "breaker_open"
            break
        lookup = banking_services.record_lookup(
            query=query, result=result, config=config, claim_id=pk, requested_by=actor
        )
        outcome.lookup_ids.append(lookup.pk)
    if not outcome.lookup_ids and outcome.stopped:
        raise ServiceUnavailable(_("The bank cannot be asked right now; try again shortly."), retry_after=5)
    claim_renew(claim=pk, actor=actor)
    return outcome
