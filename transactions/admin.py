"""Payment claims in the admin: the reconcilers' TO_REVIEW queue.

Read-only: claims change only through transactions.services (decisions go through the
intermediate forms in transactions/admin_views.py). Built for a million rows: no full COUNT(*),
an estimated/capped paginator, index-friendly search and a date hierarchy that never scans.
"""

from __future__ import annotations

import calendar
import json

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Max, Min, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin import ReadOnlyAdminMixin
from transactions import admin_views
from transactions.admin_forms import DECISIONS
from transactions.banks import BANKS, bank_name
from transactions.evidence import bank_evidence
from transactions.models import ReasonCode, Status, Transaction

COUNT_CAP = 10_000
STATUS_CSS = {
    Status.IN_PROGRESS: "st-in-progress",
    Status.COMPLETED: "st-completed",
    Status.CANCELED: "st-canceled",
    Status.UNKNOWN: "st-unknown",
    Status.TO_REVIEW: "st-to-review",
}
# Changelist parameters that do not filter rows.
NON_FILTER_PARAMS = {"o", "p", "all", "e", "_changelist_filters", "_to_field", "_popup"}
MAX_EVENTS_SHOWN = 50


def status_badge_html(status: str):
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="status-badge {}">{}</span>', STATUS_CSS.get(status, ""), label)


def format_ves(amount) -> str:
    """1234567.5 -> 'Bs. 1.234.567,50' (Venezuelan format, fixed regardless of locale)."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"Bs. {text}"


# --- paginator -----------------------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Never a full COUNT(*).

    Unfiltered: pg_class.reltuples (an estimate). Filtered: COUNT(*) over at most COUNT_CAP + 1 rows.
    """

    def __init__(self, *args, estimate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimate = estimate
        self.capped = False
        self.estimated = False

    @cached_property
    def count(self):
        if self.estimate and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [Transaction._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] is not None and row[0] > COUNT_CAP:
                self.estimated = True
                return int(row[0])
        n = self.object_list.order_by()[: COUNT_CAP + 1].count()
        if n > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return n

    @property
    def count_display(self) -> str:
        count = self.count
        text = f"{count:,}".replace(",", ".")
        if self.estimated:
            return f"~{text}"
        if self.capped:
            return f"{text}+"
        return text


# --- filters -------------------------------------------------------------------------------------


class PayerBankFilter(admin.SimpleListFilter):
    title = _("payer bank")
    parameter_name = "payer_bank"

    def lookups(self, request, model_admin):
        return [(code, f"{code} {name}") for code, name in BANKS.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(payer_bank_code=self.value())
        return queryset


class NotVerifiedFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("never", _("Never verified")), ("yes", _("Verified at least once"))]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(last_verified_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(last_verified_at__isnull=False)
        return queryset


# --- the admin -----------------------------------------------------------------------------------


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "transaction_id",
        "status_badge",
        "amount_display",
        "bank_amount_display",
        "reference",
        "customer",
        "payer_bank",
        "payment_date",
        "created_at",
        "last_verified_at",
        "created_by",
    )
    list_display_links = ("transaction_id",)
    list_filter = (
        "status",
        "bank",
        "transaction_type",
        PayerBankFilter,
        ("payment_date", admin.DateFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        NotVerifiedFilter,
    )
    date_hierarchy = "created_at"
    search_fields = (
        "transaction_id",
        "reference",
        "customer_phone",
        "customer_national_id",
        "customer_full_name",
    )
    search_help_text = _(
        "Exact transaction id, phone (04…) or national id (V123…); reference by prefix; name contains."
    )
    ordering = ("-created_at",)
    sortable_by = ("transaction_id", "amount_display", "payment_date", "created_at", "last_verified_at")
    list_select_related = ("created_by",)
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are a COUNT per filter option: not at 1 M rows
    paginator = CappedCountPaginator
    actions = (
        "approve_selected",
        "reject_selected",
        "reverify_selected",
        "reopen_selected",
        "export_selected_csv",
    )
    fieldsets = (
        (
            _("Claim"),
            {
                "fields": (
                    ("transaction_id", "status_badge"),
                    ("status_reason", "status_reason_code"),
                    ("amount_display", "bank_amount_display", "reference", "transaction_type"),
                    ("bank", "payer_bank", "payment_date"),
                    "concept",
                )
            },
        ),
        (
            _("Customer"),
            {"fields": (("customer_full_name", "customer_national_id", "customer_phone"),)},
        ),
        (_("Bank answer"), {"fields": ("bank_explanation", "bank_answer")}),
        (
            _("Verification"),
            {"fields": (("verification_attempts", "last_verified_at", "next_verification_at"),)},
        ),
        (_("History (audit trail, newest first)"), {"fields": ("audit_events",)}),
        (
            _("Record"),
            {
                "classes": ("collapse",),
                "fields": (("created_by", "created_at", "updated_at"), "metadata_pretty"),
            },
        ),
    )
    readonly_fields = (
        "transaction_id",
        "status_badge",
        "status_reason",
        "status_reason_code",
        "amount_display",
        "bank_amount_display",
        "reference",
        "transaction_type",
        "bank",
        "payer_bank",
        "payment_date",
        "concept",
        "customer_full_name",
        "customer_national_id",
        "customer_phone",
        "bank_explanation",
        "bank_answer",
        "verification_attempts",
        "last_verified_at",
        "next_verification_at",
        "audit_events",
        "created_by",
        "created_at",
        "updated_at",
        "metadata_pretty",
    )

    # --- permissions: read-only everywhere (ReadOnlyAdminMixin); decisions have their own ------
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("transactions.view_all_transactions")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_decide_permission(self, request):
        return request.user.has_perm("transactions.decide_transaction")

    def has_reverify_permission(self, request):
        return request.user.has_perm("transactions.reverify_transaction")

    def has_reopen_permission(self, request):
        return request.user.has_perm("transactions.reopen_transaction")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- queryset, ordering, search ---------------------------------------------------------------
    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def get_ordering(self, request):
        # The review queue: oldest first (served by the partial index tx_to_review_queue_idx).
        if request.GET.get("status__exact") == Status.TO_REVIEW and "o" not in request.GET:
            return ("created_at",)
        return super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        """Index-friendly search: exact ids, reference prefix, name via the trigram index."""
        term = " ".join((search_term or "").split())[:200]
        if not term:
            return queryset, False
        compact = term.replace(" ", "").replace("-", "")
        q = Q(transaction_id=term)
        if compact.isdigit():
            q |= Q(reference__startswith=compact)
            if len(compact) == 11 and compact.startswith("04"):
                q |= Q(customer_phone=compact)
            if 4 <= len(compact) <= 9:
                q |= Q(customer_national_id=f"V{compact}") | Q(customer_national_id=f"E{compact}")
        elif compact[:1].upper() in "VEJGP" and compact[1:].isdigit():
            q |= Q(customer_national_id=compact.upper())
        elif len(term) >= 3:
            q |= Q(customer_full_name__icontains=term)
        return queryset.filter(q), False

    # --- paginator: estimate when unfiltered ------------------------------------------------------
    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        filtered = any(key not in NON_FILTER_PARAMS for key in request.GET)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, estimate=not filtered)

    # --- list columns -----------------------------------------------------------------------------
    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return status_badge_html(obj.status)

    @admin.display(description=_("amount (VES)"), ordering="amount")
    def amount_display(self, obj):
        return format_ves(obj.amount)

    @admin.display(description=_("customer"))
    def customer(self, obj):
        return format_html("{}<br><small>{}</small>", obj.customer_full_name, obj.customer_national_id)

    @admin.display(description=_("payer bank"))
    def payer_bank(self, obj):
        name = bank_name(obj.payer_bank_code)
        return f"{obj.payer_bank_code} {name}".strip()

    # --- change page ------------------------------------------------------------------------------
    @admin.display(description=_("what the bank answered"))
    def bank_explanation(self, obj):
        return explain_bank_answer(obj)

    @admin.display(description=_("raw bank answer"))
    def bank_answer(self, obj):
        lookup = obj.decided_lookup
        if lookup is None:
            return gettext("No bank answer stored yet.")
        text = json.dumps(
            {"request": lookup.request, "http_status": lookup.http_status, "body": lookup.body},
            indent=2,
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return format_html('<pre class="bank-json">{}</pre>', text)

    @admin.display(description=_("bank amount (VES)"), ordering="bank_amount")
    def bank_amount_display(self, obj):
        return format_ves(obj.bank_amount)

    @admin.display(description=_("metadata"))
    def metadata_pretty(self, obj):
        text = json.dumps(obj.metadata or {}, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        return format_html('<pre class="bank-json">{}</pre>', text)

    @admin.display(description=_("events"))
    def audit_events(self, obj):
        from audit.selectors import events_for_target

        events = list(events_for_target(obj)[: MAX_EVENTS_SHOWN + 1])
        if not events:
            return gettext("No events.")
        more = len(events) > MAX_EVENTS_SHOWN
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    ev.sequence,
                    timezone.localtime(ev.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                    ev.action,
                    ev.actor_label or ev.actor_type,
                    _change_text(ev),
                    ev.reason,
                )
                for ev in events[:MAX_EVENTS_SHOWN]
            ),
        )
        header = format_html(
            "<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("when (Caracas)"),
            gettext("action"),
            gettext("by"),
            gettext("change"),
            gettext("reason"),
        )
        note = format_html("<p><small>{}</small></p>", gettext("Older events omitted.")) if more else ""
        return format_html('<table class="audit-events">{}{}</table>{}', header, rows, note)

    # --- actions ----------------------------------------------------------------------------------
    @admin.action(description=DECISIONS["approve"].label, permissions=["decide"])
    def approve_selected(self, request, queryset):
        return admin_views.decision_action(self, request, queryset, "approve")

    @admin.action(description=DECISIONS["reject"].label, permissions=["decide"])
    def reject_selected(self, request, queryset):
        return admin_views.decision_action(self, request, queryset, "reject")

    @admin.action(description=DECISIONS["reverify"].label, permissions=["reverify"])
    def reverify_selected(self, request, queryset):
        return admin_views.decision_action(self, request, queryset, "reverify")

    @admin.action(description=DECISIONS["reopen"].label, permissions=["reopen"])
    def reopen_selected(self, request, queryset):
        return admin_views.decision_action(self, request, queryset, "reopen")

    @admin.action(description=_("Export selected claims as CSV"), permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return admin_views.csv_response(request, queryset.order_by("created_at", "id"), scope="selected")

    # --- urls and views ---------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<path:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decision_view),
                name="{}_{}_decide".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def export_view(self, request):
        try:
            return admin_views.export_filtered_view(self, request)
        except IncorrectLookupParameters:
            messages.error(request, gettext("Invalid filter."))
            return HttpResponseRedirect(reverse("admin:transactions_transaction_changelist"))

    def decision_view(self, request, object_id, decision):
        return admin_views.claim_decision_view(self, request, object_id, decision)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["export_url"] = (
            reverse("admin:transactions_transaction_export") + "?" + request.GET.urlencode()
            if request.GET
            else reverse("admin:transactions_transaction_export")
        )
        extra_context["cheap_date_hierarchy"] = self._cheap_date_hierarchy(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["decision_buttons"] = [
            {
                "name": d.name,
                "label": d.label,
                "url": reverse("admin:transactions_transaction_decide", args=[object_id, d.name]),
                "eligible_from": d.eligible_from,
            }
            for d in DECISIONS.values()
            if request.user.has_perm(d.permission)
        ]
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["decision_buttons"] = [
                b for b in context.get("decision_buttons", []) if obj.status in b["eligible_from"]
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    # --- date hierarchy without DISTINCT scans ----------------------------------------------------
    def _cheap_date_hierarchy(self, request) -> dict:
        """Links for year / month / day of created_at from at most two indexed MIN/MAX look-ups.

        Django's own date_hierarchy runs SELECT DISTINCT date_trunc(...) over every matching row,
        a full scan at a million claims; these links use the same parameters, so the admin's
        range filter (created_at >= start AND < end, indexed) does the work.
        """
        field = "created_at"
        params = request.GET.copy()
        for key in ("p", "e"):
            params.pop(key, None)
        year = params.get(f"{field}__year")
        month = params.get(f"{field}__month")
        day = params.get(f"{field}__day")

        def link(**values):
            q = params.copy()
            for key in (f"{field}__year", f"{field}__month", f"{field}__day"):
                q.pop(key, None)
            for key, value in values.items():
                q[f"{field}__{key}"] = str(value)
            return "?" + q.urlencode()

        back = None
        choices: list[tuple[str, str]] = []
        try:
            if year and month and day:
                back = (link(year=year, month=month), f"{calendar.month_name[int(month)]} {year}")
            elif year and month:
                back = (link(year=year), year)
                days = calendar.monthrange(int(year), int(month))[1]
                choices = [(link(year=year, month=month, day=d), str(d)) for d in range(1, days + 1)]
            elif year:
                back = (link(), gettext("All dates"))
                choices = [(link(year=year, month=m), calendar.month_abbr[m]) for m in range(1, 13)]
            else:
                bounds = Transaction.objects.filter(deleted_at__isnull=True).aggregate(
                    first=Min(field), last=Max(field)
                )
                if bounds["first"] and bounds["last"]:
                    first = timezone.localtime(bounds["first"]).year
                    last = timezone.localtime(bounds["last"]).year
                    choices = [(link(year=y), str(y)) for y in range(last, max(first, last - 9) - 1, -1)]
        except (ValueError, IndexError):
            return {}
        return {"back": back, "choices": choices}


def _change_text(event) -> str:
    meta = event.metadata or {}
    if meta.get("from_status") and meta.get("to_status"):
        return f"{meta['from_status']} → {meta['to_status']}"
    if event.after:
        keys = ", ".join(sorted(event.after))[:120]
        return keys
    return ""


# --- bank answer explanation ---------------------------------------------------------------------

ROW_VERDICTS = {
    "": _("supports the claim"),
    ReasonCode.REFERENCE_MISMATCH: _("different reference"),
    ReasonCode.DEBIT: _("not a credit (debit)"),
    ReasonCode.CURRENCY_MISMATCH: _("not in bolívares"),
    ReasonCode.AMOUNT_MISMATCH: _("different amount"),
}


def explain_bank_answer(obj: Transaction):
    """A human summary of the deciding look-up: the bank's status, each row, and whether it supports
    the claim and why not (the same `transactions.matching` that took the decision)."""
    evidence = bank_evidence(obj)
    parts = []
    if obj.status_reason:
        parts.append(format_html("<p><strong>{}</strong> {}</p>", gettext("Why:"), obj.status_reason))
    if evidence is None:
        parts.append(format_html("<p>{}</p>", gettext("The bank has not answered for this claim yet.")))
        return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is format_html-escaped
    parts.append(
        format_html(
            "<p>{} <code>{}</code> {}</p>",
            gettext("Bank status:"),
            evidence.status_code,
            evidence.status_desc,
        )
    )
    if not evidence.rows:
        parts.append(format_html("<p>{}</p>", gettext("No transaction rows in the answer.")))
        return mark_safe("".join(str(p) for p in parts))  # noqa: S308
    body = []
    for i, (row, verdict) in enumerate(zip(evidence.rows, evidence.verdicts, strict=True), start=1):
        body.append(
            format_html(
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{} {}</td><td>{}</td><td>{}</td></tr>",
                "row-miss" if verdict else "row-match",
                i,
                row.reference,
                row.trn_type,
                "" if row.amount is None else f"{row.amount:.2f}",
                row.currency,
                row.trn_date.isoformat() if row.trn_date else "",
                row.trn_time,
                row.concept,
                ROW_VERDICTS.get(verdict, verdict),
            )
        )
    if len(evidence.rows) > 1:
        parts.append(
            format_html(
                "<p>{}</p>",
                gettext("%(n)d candidate rows: a person must decide which one (if any) is this payment.")
                % {"n": len(evidence.rows)},
            )
        )
    claimed = format_ves(obj.amount) if obj.amount is not None else gettext("no amount claimed")
    header = format_html(
        "<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        gettext("reference"),
        gettext("type"),
        gettext("amount"),
        gettext("currency"),
        gettext("date"),
        gettext("concept"),
        gettext("verdict (claim: %(amount)s)") % {"amount": claimed},
    )
    parts.append(format_html('<table class="bank-rows">{}{}</table>', header, mark_safe("".join(body))))  # noqa: S308
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - parts built with format_html


# The webhooks sub-package's admin (endpoints, deliveries) registers itself on import.
from transactions.webhooks import admin as webhooks_admin  # noqa: E402, F401
