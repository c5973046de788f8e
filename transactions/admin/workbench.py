"""The workbench's hooks in the claim admin (views and services: transactions/workbench/).

A mixin for TransactionAdmin: the workbench URLs, the "evidence side by side" and "previous
look-ups" panels of the change page, the queue's assignee column and the change page's context.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from banking.results import BankRow
from transactions.evidence import bank_evidence
from transactions.models import ReasonCode
from transactions.workbench import assignment, views
from transactions.workbench import selectors as wb_selectors

MAX_BANK_COLUMNS = 4
_EMPTY_ROW = BankRow(reference="", amount=None, trn_type="")  # the claim's column alone


def deciding_rows(evidence) -> list:
    """The bank row(s) a claim was decided on: the supporting or closest row, else every row that
    supports it (several candidates), else the answer's rows (at most MAX_BANK_COLUMNS)."""
    if evidence is None:
        return []
    if evidence.row is not None:
        return [evidence.row]
    supporting = [r for r, v in zip(evidence.rows, evidence.verdicts, strict=True) if not v]
    return (supporting or list(evidence.rows))[:MAX_BANK_COLUMNS]


class WorkbenchAdminMixin:
    # --- urls ------------------------------------------------------------------------------------
    def workbench_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "next/",
                self.admin_site.admin_view(self.next_claim_view),
                name="{}_{}_next".format(*info),
            ),
            path(
                "<path:object_id>/workbench/<str:action>/",
                self.admin_site.admin_view(self.workbench_view),
                name="{}_{}_workbench".format(*info),
            ),
        ]

    def workbench_view(self, request, object_id, action):
        return views.action_view(self, request, object_id, action)

    def next_claim_view(self, request):
        return views.next_claim_view(self, request)

    def workbench_context(self, request, obj) -> dict:
        return views.workbench_context(self, request, obj)

    def get_object(self, request, object_id, from_field=None):
        """The claim of a change page with what the page shows joined in (deciding look-up,
        assignee, creator): one query instead of four."""
        queryset = self.get_queryset(request).select_related("decided_lookup", "assigned_to", "created_by")
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    # --- queue column ----------------------------------------------------------------------------
    @admin.display(description=_("worked by"))
    def assignee(self, obj):
        if assignment.current_assignee_id(obj) is None:
            return ""
        until = timezone.localtime(obj.assigned_until).strftime("%H:%M")
        return format_html(
            '<span class="wb-assignee">{}</span><br><small>{}</small>',
            obj.assigned_to,
            gettext("until %(t)s") % {"t": until},
        )

    # --- change page panels ----------------------------------------------------------------------
    @admin.display(description=_("claim and bank, side by side"))
    def evidence_side_by_side(self, obj):
        evidence = bank_evidence(obj)
        rows = deciding_rows(evidence)
        fields = []
        for i, row in enumerate(rows):
            for j, cmp in enumerate(wb_selectors.compare_row(obj, row)):
                if i == 0:
                    fields.append({"label": cmp.label, "claim": cmp.claim_value, "bank": []})
                fields[j]["bank"].append({"value": cmp.bank_value, "same": cmp.same})
        if not rows:
            fields = [
                {"label": cmp.label, "claim": cmp.claim_value, "bank": []}
                for cmp in wb_selectors.compare_row(obj, _EMPTY_ROW)
            ]
        code = obj.status_reason_code
        context = {
            "reason_plain": wb_selectors.reason_in_plain_words(obj),
            "reason_label": ReasonCode(code).label if code in ReasonCode.values else "",
            "reason_text": obj.status_reason,
            "fields": fields,
            "columns": len(rows),
            "answered": evidence is not None,
        }
        return mark_safe(  # noqa: S308 - rendered by the template engine (autoescaped)
            render_to_string("admin/transactions/transaction/evidence_side_by_side.html", context)
        )

    @admin.display(description=_("bank look-ups of this claim (newest first)"))
    def lookup_history(self, obj):
        lookups = wb_selectors.previous_lookups(obj)
        return mark_safe(  # noqa: S308 - rendered by the template engine (autoescaped)
            render_to_string(
                "admin/transactions/transaction/lookup_history.html",
                {"lookups": lookups, "decided_id": obj.decided_lookup_id},
            )
        )
