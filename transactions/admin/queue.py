"""The reconcilers' queue in the claim changelist: why each claim is in review (its stored reason
code) and for how long (`review_since`, set with the audit event that moved it there), a filter by
cause, and oldest-in-review first.

Built for a million claims: the cause filter and the queue's order are served by the partial
indexes tx_review_cause_idx / tx_review_since_idx (status TO_REVIEW, not deleted).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from transactions.models import ReasonCode, Status

CAUSE_PARAM = "cause"
NO_CAUSE = "none"
# What the queue's filter offers, in the order reconcilers think about it. Every automatic move
# into TO_REVIEW stores one of these codes (transactions.verification.decision); a person reopening
# a claim stores none.
CAUSES: tuple[tuple[str, str], ...] = (
    (ReasonCode.AMOUNT_MISMATCH, _("Amount differs")),
    (ReasonCode.NOT_FOUND_WINDOW, _("Not found within the window")),
    (ReasonCode.SEVERAL_ROWS, _("Several bank rows")),
    (ReasonCode.DEBIT, _("Debit movement")),
    (ReasonCode.DUPLICATE_REFERENCE, _("Reference already used")),
    (ReasonCode.CURRENCY_MISMATCH, _("Not in bolívares")),
    (ReasonCode.REFERENCE_MISMATCH, _("Reference differs")),
    (ReasonCode.NO_CREDIT, _("No credit movement")),
    (ReasonCode.BANK_REFUSED, _("Refused by the bank")),
    (NO_CAUSE, _("No automatic cause (reopened)")),
)
QUEUE_ORDERING = ("review_since", "created_at", "pk")


def in_queue_view(request) -> bool:
    """The TO_REVIEW queue (or a cause of it) is what the changelist shows."""
    return request.GET.get("status__exact") == Status.TO_REVIEW or bool(request.GET.get(CAUSE_PARAM))


class ReviewCauseFilter(admin.SimpleListFilter):
    """Claims in review by cause. Causes exist only on TO_REVIEW claims, so the filter also keeps
    to the queue (status TO_REVIEW, not deleted): that is what lets the partial index serve it."""

    title = _("review cause")
    parameter_name = CAUSE_PARAM

    def lookups(self, request, model_admin):
        return CAUSES

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        code = "" if value == NO_CAUSE else value
        if code and code not in ReasonCode.values:
            return queryset.none()
        return queryset.filter(status=Status.TO_REVIEW, deleted_at__isnull=True, status_reason_code=code)


def cause_label(code: str) -> str:
    if not code:
        return ""
    label = dict(CAUSES).get(code)
    if label is None and code in ReasonCode.values:
        label = ReasonCode(code).label
    return str(label or code)


class ReviewQueueMixin:
    """Adds the queue's columns, filter and order to a ModelAdmin of claims (before ModelAdmin in
    the bases). Columns go right after the status badge, the filter right after the status."""

    queue_columns = ("review_cause", "review_age")

    def get_list_display(self, request):
        columns = [c for c in super().get_list_display(request) if c not in self.queue_columns]
        at = columns.index("status_badge") + 1 if "status_badge" in columns else len(columns)
        return (*columns[:at], *self.queue_columns, *columns[at:])

    def get_list_filter(self, request):
        filters = [f for f in super().get_list_filter(request) if f is not ReviewCauseFilter]
        at = filters.index("status") + 1 if "status" in filters else len(filters)
        return (*filters[:at], ReviewCauseFilter, *filters[at:])

    def get_sortable_by(self, request):
        return (*super().get_sortable_by(request), "review_age")

    def get_ordering(self, request):
        # The review queue: longest in review first (served by tx_review_since_idx / _cause_idx).
        if in_queue_view(request) and "o" not in request.GET:
            return QUEUE_ORDERING
        return super().get_ordering(request)

    @admin.display(description=_("cause"), ordering="status_reason_code")
    def review_cause(self, obj):
        if obj.status != Status.TO_REVIEW:
            return ""
        return format_html(
            '<span class="review-cause" data-code="{}">{}</span>',
            obj.status_reason_code,
            cause_label(obj.status_reason_code),
        )

    @admin.display(description=_("in review for"), ordering="review_since")
    def review_age(self, obj):
        if obj.status != Status.TO_REVIEW or obj.review_since is None:
            return ""
        return format_html(
            '<span class="review-age" title="{}">{}</span>',
            timezone.localtime(obj.review_since).strftime("%Y-%m-%d %H:%M"),
            timesince(obj.review_since, timezone.now()),
        )
