"""Payment claims in the admin: the reconcilers' TO_REVIEW queue.

Read-only: claims change only through transactions.services (decisions go through the
intermediate forms in transactions/admin_views.py). Built for a million rows (changelist.py).
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin import ReadOnlyAdminMixin
from transactions import admin_views
from transactions.admin.changelist import (
    NON_FILTER_PARAMS,
    CappedCountPaginator,
    NotVerifiedFilter,
    PayerBankFilter,
    cheap_date_hierarchy,
)
from transactions.admin.display import audit_events_html, explain_bank_answer, format_ves, status_badge_html
from transactions.admin.queue import ReviewQueueMixin
from transactions.admin.workbench import WorkbenchAdminMixin
from transactions.admin_forms import DECISIONS
from transactions.banks import bank_name
from transactions.models import Transaction


@admin.register(Transaction)
class TransactionAdmin(WorkbenchAdminMixin, ReviewQueueMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # ReviewQueueMixin (admin/queue.py): the queue's cause and age columns, the cause filter and
    # the oldest-in-review-first order. WorkbenchAdminMixin (admin/workbench.py): the claim page's
    # workbench and the assignee column.
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
        "assignee",
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
    list_select_related = ("created_by", "assigned_to")
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
        (_("Evidence"), {"fields": ("evidence_side_by_side",)}),
        (
            _("Customer"),
            {"fields": (("customer_full_name", "customer_national_id", "customer_phone"),)},
        ),
        (_("Bank answer"), {"fields": ("bank_explanation", "lookup_history", "bank_answer")}),
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
        "evidence_side_by_side",
        "bank_explanation",
        "lookup_history",
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
        return audit_events_html(obj)

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
        return custom + self.workbench_urls() + super().get_urls()

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
        extra_context["cheap_date_hierarchy"] = cheap_date_hierarchy(request)
        if self.has_decide_permission(request):
            extra_context["next_claim_url"] = reverse("admin:transactions_transaction_next")
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
            context["wb"] = self.workbench_context(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
