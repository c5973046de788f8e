"""The workbench's admin views: thin POST handlers over the workbench services, and the context
the claim page renders (assignment bar, search form and results, note form).

Every handler is POST only, checks the permission again (not only by hiding buttons), calls one
service and redirects back to the claim's page with a message (post/redirect/get).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config import errors
from transactions.models import Status, Transaction, status_label
from transactions.workbench import approve, assignment, notes, search
from transactions.workbench import selectors as wb_selectors
from transactions.workbench.forms import ApproveRowForm, NoteForm, SearchForm, TakeForm

SEARCH_PARAM = "wb_search"
SESSION_KEY = "wb_search_{}"  # the last search's form values per claim (the phone stays out of URLs)


def _require_reconciler(request) -> None:
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm(assignment.DECIDE_PERMISSION)):
        raise PermissionDenied


def _change_url(modeladmin, claim_pk, *, query: str = "", anchor: str = "") -> str:
    url = reverse(f"{modeladmin.admin_site.name}:transactions_transaction_change", args=[claim_pk])
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def _form_errors(form) -> str:
    return "; ".join(
        f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".lstrip(": ")
        for k, v in form.errors.items()
    )


def action_view(modeladmin, request, object_id: str, action: str):
    """POST …/<claim>/workbench/<action>/: search, approve_row, note, take, release."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = HANDLERS.get(action)
    if handler is None:
        raise PermissionDenied
    _require_reconciler(request)
    claim = get_object_or_404(modeladmin.get_queryset(request), pk=object_id)
    try:
        return handler(modeladmin, request, claim)
    except errors.ApplicationError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_change_url(modeladmin, claim.pk))


def _search(modeladmin, request, claim):
    form = SearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Search not run: %(errors)s") % {"errors": _form_errors(form)})
        return HttpResponseRedirect(_change_url(modeladmin, claim.pk, anchor="workbench-search"))
    try:
        outcome = search.claim_search_bank(claim=claim, actor=request.user, params=form.params())
    except errors.RateLimited as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_change_url(modeladmin, claim.pk, anchor="workbench-search"))
    request.session[SESSION_KEY.format(claim.pk)] = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form.cleaned_data.items()
    }
    if outcome.stopped:
        messages.warning(request, _("The search stopped early: the bank cannot take more look-ups now."))
    ids = ",".join(str(i) for i in outcome.lookup_ids)
    messages.info(request, _("%(n)d bank look-up(s) made.") % {"n": len(outcome.lookup_ids)})
    return HttpResponseRedirect(
        _change_url(modeladmin, claim.pk, query=f"{SEARCH_PARAM}={ids}", anchor="workbench-search")
    )


def _approve_row(modeladmin, request, claim):
    form = ApproveRowForm(request.POST)
    back = request.POST.get("search_ids", "")
    results_url = _change_url(
        modeladmin, claim.pk, query=f"{SEARCH_PARAM}={back}" if back else "", anchor="workbench-search"
    )
    if not form.is_valid():
        messages.error(request, _("Not approved: %(errors)s") % {"errors": _form_errors(form)})
        return HttpResponseRedirect(results_url)
    d = form.cleaned_data
    try:
        updated = approve.claim_approve_with_row(
            claim=claim,
            actor=request.user,
            lookup_id=d["lookup_id"],
            row_index=d["row_index"],
            reason=d["reason"],
            search_lookup_ids=form.search_lookup_ids(),
            expected_status=d["expected_status"],
            confirm_takeover=d["confirm_takeover"],
        )
    except errors.Conflict as exc:
        if exc.code == "status_changed":
            current = (exc.details or {}).get("current_status")
            messages.warning(
                request,
                _("Not approved: its status changed meanwhile (now %(s)s).") % {"s": status_label(current)},
            )
        else:
            messages.warning(request, _("Not approved: %(why)s") % {"why": exc.message})
        return HttpResponseRedirect(results_url)
    messages.success(
        request,
        _("%(tid)s: approved with the bank row (now %(s)s).")
        % {"tid": updated.transaction_id, "s": status_label(updated.status)},
    )
    return HttpResponseRedirect(_change_url(modeladmin, claim.pk))


def _note(modeladmin, request, claim):
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Note not added: %(errors)s") % {"errors": _form_errors(form)})
    else:
        notes.claim_add_note(claim=claim, actor=request.user, text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Note added to the history."))
    return HttpResponseRedirect(_change_url(modeladmin, claim.pk, anchor="workbench"))


def _take(modeladmin, request, claim):
    form = TakeForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm_takeover"]
    try:
        assignment.claim_take(claim=claim, actor=request.user, confirm_takeover=confirm, request=request)
    except errors.Conflict as exc:
        messages.warning(request, exc.message)
        return HttpResponseRedirect(_change_url(modeladmin, claim.pk))
    messages.success(request, _("You are working this claim."))
    return HttpResponseRedirect(_change_url(modeladmin, claim.pk))


def _release(modeladmin, request, claim):
    assignment.claim_release(claim=claim, actor=request.user, request=request)
    messages.success(request, _("Claim released back to the queue."))
    return HttpResponseRedirect(_change_url(modeladmin, claim.pk))


HANDLERS = {
    "search": _search,
    "approve_row": _approve_row,
    "note": _note,
    "take": _take,
    "release": _release,
}


def next_claim_view(modeladmin, request):
    """POST: take the oldest unassigned TO_REVIEW claim and open it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require_reconciler(request)
    claim = assignment.next_claim(actor=request.user, request=request)
    if claim is None:
        messages.info(request, _("No claim is waiting: the review queue is empty or every claim is taken."))
        return HttpResponseRedirect(
            reverse(f"{modeladmin.admin_site.name}:transactions_transaction_changelist")
            + f"?status__exact={Status.TO_REVIEW}"
        )
    messages.success(request, _("You are working claim %(tid)s.") % {"tid": claim.transaction_id})
    return HttpResponseRedirect(_change_url(modeladmin, claim.pk))


# --- the claim page's context -------------------------------------------------------------------


def workbench_context(modeladmin, request, claim: Transaction) -> dict:
    """What the claim page's workbench shows; renews the viewer's own assignment (they are on it)."""
    user = request.user
    can_work = user.is_active and user.is_staff and user.has_perm(assignment.DECIDE_PERMISSION)
    if can_work:
        assignment.claim_renew(claim=claim, actor=user)
    now = timezone.now()
    holder_id = assignment.current_assignee_id(claim, now=now)
    held_by_other = bool(holder_id and holder_id != user.pk)
    base = f"{modeladmin.admin_site.name}:transactions_transaction_workbench"
    urls = {a: reverse(base, args=[claim.pk, a]) for a in HANDLERS}
    context = {
        "can_work": can_work,
        "holder": claim.assigned_to if holder_id else None,
        "held_until": claim.assigned_until if holder_id else None,
        "held_by_me": bool(holder_id and holder_id == user.pk),
        "held_by_other": held_by_other,
        "urls": urls,
        "next_url": reverse(f"{modeladmin.admin_site.name}:transactions_transaction_next"),
        "note_form": NoteForm(),
        "take_form": TakeForm(),
    }
    if not can_work:
        return context
    ids = [v for v in request.GET.get(SEARCH_PARAM, "").split(",") if v]
    last = request.session.get(SESSION_KEY.format(claim.pk)) if ids else None
    context["search_form"] = SearchForm(initial=last or search.initial_params(claim))
    if ids:
        lookups = wb_selectors.search_lookups(claim, ids)
        rows = wb_selectors.found_rows(claim, lookups)
        search_ids = ",".join(str(lk.pk) for lk in lookups)
        context["search"] = {
            "lookups": lookups,
            "rows": [
                {
                    "found": row,
                    "form": ApproveRowForm(
                        initial={
                            "lookup_id": row.lookup.pk,
                            "row_index": row.index,
                            "search_ids": search_ids,
                            "expected_status": claim.status,
                        },
                        auto_id=f"row{n}_%s",
                    ),
                }
                for n, row in enumerate(rows)
            ],
            "can_approve": claim.status == Status.TO_REVIEW,
        }
    return context
