"""Claim verification: the policy side of talking to Banesco (the `banking` app is the adapter).

Row matching (does one bank row support a claim) is `transactions.matching`, a leaf module below
both this package and `transactions.evidence`/`selectors`, so reading a claim's evidence never
imports the verification (which itself reads through `transactions.selectors`).

* `decision`: the decision table, one bank answer -> the claim's next status and reason code.
* `claim`: verify one claim (budgets, one look-up, the decision, the write through services).
* `sweep`: lease due claims with SKIP LOCKED and verify them; `manage.py verify_pending` runs it.
"""

from transactions.verification.claim import VerificationOutcome, verify_claim, verify_loaded_claim
from transactions.verification.decision import Decision, decide, query_for_claim
from transactions.verification.sweep import SweepSummary, lease_due_claims, verify_due_claims

__all__ = [
    "Decision",
    "SweepSummary",
    "VerificationOutcome",
    "decide",
    "lease_due_claims",
    "query_for_claim",
    "verify_claim",
    "verify_due_claims",
    "verify_loaded_claim",
]
