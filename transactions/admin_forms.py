"""Forms and decision definitions for the reconcilers' admin decisions."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from transactions.models import Status


@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    verb: str  # shown on the confirm button
    permission: str  # "app_label.codename"
    eligible_from: frozenset[str]
    to_status: str | None  # None: the bank decides (re-verify)


DECISIONS: dict[str, Decision] = {
    d.name: d
    for d in (
        Decision(
            name="approve",
            label=_("Approve (→ Completed)"),
            verb=_("Approve"),
            permission="transactions.decide_transaction",
            eligible_from=frozenset({Status.TO_REVIEW}),
            to_status=Status.COMPLETED,
        ),
        Decision(
            name="reject",
            label=_("Reject (→ Canceled)"),
            verb=_("Reject"),
            permission="transactions.decide_transaction",
            eligible_from=frozenset({Status.TO_REVIEW}),
            to_status=Status.CANCELED,
        ),
        Decision(
            name="reverify",
            label=_("Re-verify now with the bank"),
            verb=_("Re-verify"),
            permission="transactions.reverify_transaction",
            # transactions.verification.verify_claim only looks up IN_PROGRESS/UNKNOWN claims.
            eligible_from=frozenset({Status.IN_PROGRESS, Status.UNKNOWN}),
            to_status=None,
        ),
        Decision(
            name="reopen",
            label=_("Reopen (→ To review)"),
            verb=_("Reopen"),
            permission="transactions.reopen_transaction",
            eligible_from=frozenset({Status.COMPLETED, Status.CANCELED}),
            to_status=Status.TO_REVIEW,
        ),
    )
}

# Hidden input per claim carrying the status the user saw: expected_<pk>.
EXPECTED_PREFIX = "expected_"
MAX_CLAIMS_PER_DECISION = 500


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=True,
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80, "autofocus": True}),
        help_text=_("Required. Stored in the audit trail with each claim's change."),
        error_messages={"required": _("A reason is required.")},
    )
    # Deciding a claim another reconciler has taken (transactions.workbench.assignment) needs this.
    confirm_takeover = forms.BooleanField(
        label=_("I know another reconciler is working this claim: act anyway"), required=False
    )


def expected_statuses(data) -> dict[str, str]:
    """{claim pk: status shown in the form} from the POSTed hidden fields."""
    return {
        key[len(EXPECTED_PREFIX) :]: value
        for key, value in data.items()
        if key.startswith(EXPECTED_PREFIX) and value in Status.values
    }
