"""Reconciler decisions and exports for the transactions admin (kept out of admin.py).

Every decision goes through an intermediate form (required reason, CSRF, the claims and what will
change), then calls the transactions (or banking) service once per claim with the status the user
saw as `expected_status`, so a claim whose status changed meanwhile is skipped and reported, never
overwritten. Permissions are checked again on POST (not only by hiding buttons).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config import errors
from transactions import exports, services
from transactions.admin_forms import (
    DECISIONS,
    EXPECTED_PREFIX,
    MAX_CLAIMS_PER_DECISION,
    Decision,
    DecisionForm,
    expected_statuses,
)
from transactions.models import Transaction, status_label
from transactions.verification_queue import claim_request_verification
from transactions.workbench.assignment import ASSIGNED_TO_OTHER, held_by_other

logger = structlog.get_logger(__name__)

DONE, SKIPPED, FAILED = "done", "skipped", "failed"
# The one service call behind each decision (re-verify goes to transactions.verification).
DECISION_SERVICES = {
    "approve": services.claim_approve,
    "reject": services.claim_reject,
    "reopen": services.claim_reopen,
}
MAX_PER_CLAIM_MESSAGES = 50


@dataclass
class ClaimOutcome:
    transaction_id: str
    kind: str  # done / skipped / failed
    detail: str


def require_permission(request, decision: Decision) -> None:
    if not (request.user.is_active and request.user.is_staff and request.user.has_perm(decision.permission)):
        raise PermissionDenied


# --- the form ------------------------------------------------------------------------------------


def render_decision_form(
    request,
    modeladmin,
    *,
    decision: Decision,
    claims: list[Transaction],
    form: DecisionForm,
    expected: dict[str, str] | None = None,
    bulk: bool,
    action_name: str = "",
    cancel_url: str,
):
    """The intermediate page: the claims, current status → new status, the reason field."""
    expected = expected or {}
    rows = []
    for claim in claims:
        shown = expected.get(str(claim.pk), claim.status)
        eligible = shown in decision.eligible_from
        rows.append(
            {
                "held_by": claim.assigned_to if held_by_other(claim, request.user) else None,
                "claim": claim,
                "status": shown,
                "status_label": status_label(shown),
                "eligible": eligible,
                "new_status": decision.to_status,
                "new_status_label": status_label(decision.to_status)
                if decision.to_status
                else _("decided by the bank"),
                "expected_name": f"{EXPECTED_PREFIX}{claim.pk}",
            }
        )
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": decision.label,
        "opts": opts,
        "decision": decision,
        "rows": rows,
        "eligible_count": sum(1 for r in rows if r["eligible"]),
        "held_by_others": sum(1 for r in rows if r["eligible"] and r["held_by"]),
        "form": form,
        "bulk": bulk,
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "cancel_url": cancel_url,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/transactions/transaction/decision_form.html", context)


# --- running a decision ----------------------------------------------------------------------------


def _decide_one(
    *, request, decision: Decision, claim: Transaction, expected: str, reason: str, confirm_takeover: bool
) -> ClaimOutcome:
    tid = claim.transaction_id
    if expected not in decision.eligible_from:
        return ClaimOutcome(tid, SKIPPED, _("not eligible from %(s)s") % {"s": status_label(expected)})
    try:
        if decision.to_status is None:
            return _reverify_one(request=request, claim=claim, expected=expected)
        updated = DECISION_SERVICES[decision.name](
            claim=claim.pk,
            actor=request.user,
            reason=reason,
            expected_status=expected,
            confirm_takeover=confirm_takeover,
        )
        return ClaimOutcome(tid, DONE, f"{status_label(expected)} → {status_label(updated.status)}")
    except errors.Conflict as exc:
        if exc.code == "status_changed":
            current = (exc.details or {}).get("current_status")
            return ClaimOutcome(
                tid, SKIPPED, _("its status changed meanwhile (now %(s)s)") % {"s": status_label(current)}
            )
        if exc.code == ASSIGNED_TO_OTHER:
            return ClaimOutcome(tid, SKIPPED, exc.message)
        return ClaimOutcome(tid, FAILED, exc.message)
    except errors.ApplicationError as exc:
        return ClaimOutcome(tid, FAILED, exc.message)
    except Exception:
        logger.exception("admin.decision_failed", decision=decision.name, claim=str(claim.pk))
        return ClaimOutcome(tid, FAILED, _("unexpected error; see the logs"))


SKIP_TEXTS = {
    "not_verifiable": gettext_lazy("not verifiable in its status"),
    "claim_rate_limited": gettext_lazy("looked up too often in the last minute; try again shortly"),
}


def _reverify_one(*, request, claim: Transaction, expected: str) -> ClaimOutcome:
    """Queue a bank re-check for the verification worker (the API's service); never calls the bank."""
    tid = claim.transaction_id
    current = Transaction.objects.filter(pk=claim.pk).values_list("status", flat=True).first()
    if current != expected:
        return ClaimOutcome(
            tid, SKIPPED, _("its status changed meanwhile (now %(s)s)") % {"s": status_label(current)}
        )
    try:
        claim_request_verification(claim=claim, actor=request.user)
    except errors.RateLimited:
        return ClaimOutcome(tid, SKIPPED, str(SKIP_TEXTS["claim_rate_limited"]))
    except errors.Conflict as exc:
        if exc.code == "not_verifiable":
            return ClaimOutcome(tid, SKIPPED, str(SKIP_TEXTS["not_verifiable"]))
        raise
    return ClaimOutcome(tid, DONE, _("re-verification requested"))


def run_decision(
    *,
    request,
    decision: Decision,
    ids: list[str],
    expected: dict[str, str],
    reason: str,
    bulk: bool,
    confirm_takeover: bool = False,
) -> list[ClaimOutcome]:
    """Apply `decision` to each claim (one service call each), report with messages, audit a summary."""
    require_permission(request, decision)
    ids = [i for i in ids if i][:MAX_CLAIMS_PER_DECISION]
    valid_ids = []
    for value in ids:
        try:
            valid_ids.append(Transaction._meta.pk.to_python(value))
        except Exception:  # noqa: S112 - malformed id: reported below as not found
            continue
    claims = {str(c.pk): c for c in Transaction.objects.alive().filter(pk__in=valid_ids)}
    outcomes = []
    for pk in ids:
        claim = claims.get(str(pk))
        if claim is None:
            outcomes.append(ClaimOutcome(str(pk), FAILED, _("not found")))
            continue
        shown = expected.get(str(claim.pk))
        if shown is None:
            outcomes.append(ClaimOutcome(claim.transaction_id, FAILED, _("the form did not say its status")))
            continue
        outcomes.append(
            _decide_one(
                request=request,
                decision=decision,
                claim=claim,
                expected=shown,
                reason=reason,
                confirm_takeover=confirm_takeover,
            )
        )

    report(request, decision=decision, outcomes=outcomes)
    if bulk:
        _audit_summary(request, decision=decision, outcomes=outcomes, reason=reason)
    return outcomes


def report(request, *, decision: Decision, outcomes: list[ClaimOutcome]) -> None:
    levels = {DONE: messages.SUCCESS, SKIPPED: messages.WARNING, FAILED: messages.ERROR}
    words = {DONE: _("done"), SKIPPED: _("skipped"), FAILED: _("failed")}
    for outcome in outcomes[:MAX_PER_CLAIM_MESSAGES]:
        messages.add_message(
            request,
            levels[outcome.kind],
            f"{outcome.transaction_id}: {words[outcome.kind]} — {outcome.detail}",
        )
    counts = {k: sum(1 for o in outcomes if o.kind == k) for k in (DONE, SKIPPED, FAILED)}
    summary = _("%(verb)s: %(done)d done, %(skipped)d skipped, %(failed)d failed.") % {
        "verb": decision.verb,
        **counts,
    }
    if len(outcomes) > MAX_PER_CLAIM_MESSAGES:
        summary += " " + _("(only the first %(n)d claims are listed)") % {"n": MAX_PER_CLAIM_MESSAGES}
    level = messages.SUCCESS if counts[FAILED] == counts[SKIPPED] == 0 else messages.WARNING
    messages.add_message(request, level, summary)


def _audit_summary(request, *, decision: Decision, outcomes: list[ClaimOutcome], reason: str) -> None:
    def ids(kind):
        return [o.transaction_id for o in outcomes if o.kind == kind]

    services.record_bulk_decision(
        actor=request.user,
        decision=decision.name,
        reason=reason,
        done=ids(DONE),
        skipped=ids(SKIPPED),
        failed=ids(FAILED),
        request=request,
    )


# --- bulk action entry point -------------------------------------------------------------------------


def decision_action(modeladmin, request, queryset, decision_name: str):
    """Body of the changelist actions approve/reject/re-verify/reopen."""
    decision = DECISIONS[decision_name]
    require_permission(request, decision)
    action_name = f"{decision_name}_selected"
    cancel_url = request.get_full_path()
    if request.POST.get("confirm") == "yes":
        form = DecisionForm(request.POST)
        ids = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        expected = expected_statuses(request.POST)
        if form.is_valid():
            run_decision(
                request=request,
                decision=decision,
                ids=ids,
                expected=expected,
                reason=form.cleaned_data["reason"],
                bulk=True,
                confirm_takeover=form.cleaned_data["confirm_takeover"],
            )
            return None  # the admin redirects back to the (filtered) changelist
        claims = list(
            Transaction.objects.alive().filter(pk__in=ids).select_related("created_by", "assigned_to")
        )
        return render_decision_form(
            request,
            modeladmin,
            decision=decision,
            claims=claims,
            form=form,
            expected=expected,
            bulk=True,
            action_name=action_name,
            cancel_url=cancel_url,
        )
    claims = list(queryset.select_related("created_by", "assigned_to")[: MAX_CLAIMS_PER_DECISION + 1])
    if len(claims) > MAX_CLAIMS_PER_DECISION:
        modeladmin.message_user(
            request,
            _("Select at most %(n)d claims for one decision.") % {"n": MAX_CLAIMS_PER_DECISION},
            messages.ERROR,
        )
        return None
    return render_decision_form(
        request,
        modeladmin,
        decision=decision,
        claims=claims,
        form=DecisionForm(),
        bulk=True,
        action_name=action_name,
        cancel_url=cancel_url,
    )


# --- change-page decision view -------------------------------------------------------------------------


def claim_decision_view(modeladmin, request, object_id: str, decision_name: str):
    """GET: the form for one claim; POST: run it and go back to the claim's page."""
    decision = DECISIONS.get(decision_name)
    if decision is None:
        raise PermissionDenied
    require_permission(request, decision)
    claim = get_object_or_404(modeladmin.get_queryset(request), pk=object_id)
    change_url = reverse(f"{modeladmin.admin_site.name}:transactions_transaction_change", args=[claim.pk])
    if request.method == "POST":
        form = DecisionForm(request.POST)
        expected = expected_statuses(request.POST)
        if form.is_valid():
            run_decision(
                request=request,
                decision=decision,
                ids=[str(claim.pk)],
                expected=expected,
                reason=form.cleaned_data["reason"],
                bulk=False,
                confirm_takeover=form.cleaned_data["confirm_takeover"],
            )
            return HttpResponseRedirect(change_url)
    else:
        form = DecisionForm()
        expected = None
    return render_decision_form(
        request,
        modeladmin,
        decision=decision,
        claims=[claim],
        form=form,
        expected=expected,
        bulk=False,
        cancel_url=change_url,
    )


# --- CSV export -------------------------------------------------------------------------------------


def csv_response(request, queryset, *, scope: str) -> StreamingHttpResponse:
    """Stream claims as formula-safe CSV (transactions/exports.py); audits who exported what."""
    if not request.user.has_perm("transactions.view_all_transactions"):
        raise PermissionDenied
    services.record_claims_export(
        actor=request.user, scope=scope, query=request.META.get("QUERY_STRING", ""), request=request
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        exports.stream_csv_lines(queryset), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="payment-claims-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_filtered_view(modeladmin, request):
    """Export every claim matching the changelist's current filters and search (GET query string)."""
    if not modeladmin.has_view_permission(request):
        raise PermissionDenied
    cl = modeladmin.get_changelist_instance(request)
    return csv_response(request, cl.get_queryset(request), scope="filter")
