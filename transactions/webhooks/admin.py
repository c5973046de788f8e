"""Webhook endpoints and deliveries in the admin: read-only, searchable, "redeliver" action.

Secrets are never shown. An endpoint disabled for failing (or failing now) is flagged.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin import ReadOnlyAdminMixin
from transactions.webhooks import services
from transactions.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


class FailingFilter(admin.SimpleListFilter):
    title = _("health")
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", _("Failing or disabled for failing")), ("ok", _("Healthy"))]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(failing_since__isnull=False)
        if self.value() == "ok":
            return queryset.filter(failing_since__isnull=True)
        return queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("url", "owner", "is_active", "flag", "failing_since", "created_at")
    list_filter = ("is_active", FailingFilter)
    search_fields = ("url", "description", "owner__email")
    list_select_related = ("owner",)
    fields = (
        "id",
        "owner",
        "url",
        "description",
        "events",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("attention"))
    def flag(self, obj: WebhookEndpoint):
        if obj.failing_since is None:
            return ""
        text = _("disabled: failing") if not obj.is_active else _("failing")
        return format_html('<strong class="webhook-flag" style="color:#ba2121">⚠ {}</strong>', text)


class AttemptInline(admin.TabularInline):
    """A delivery's attempt history, newest first (written by the worker only)."""

    model = WebhookDeliveryAttempt
    fields = ("number", "started_at", "status_code", "duration_ms", "error", "outcome", "next_attempt_at")
    readonly_fields = fields
    ordering = ("-number",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "event_type",
        "claim",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event__type")
    search_fields = (
        "event__claim__transaction_id",
        "event__claim__reference",
        "endpoint__url",
        "endpoint__owner__email",
    )
    search_help_text = _(
        "Claim's transaction id or reference, endpoint URL, owner email, or an event id (evt_…)."
    )
    list_select_related = ("event", "event__claim", "endpoint")
    actions = ["redeliver"]
    exclude = ("lease_token",)
    readonly_fields = ("payload",)
    inlines = [AttemptInline]

    @admin.display(description=_("payload"))
    def payload(self, obj: WebhookDelivery):
        return format_html("<pre>{}</pre>", json.dumps(obj.event.payload, indent=2, ensure_ascii=False))

    @admin.display(description=_("event"))
    def event_type(self, obj: WebhookDelivery):
        return obj.event.type

    @admin.display(description=_("payment claim"))
    def claim(self, obj: WebhookDelivery):
        return obj.event.claim.transaction_id if obj.event.claim_id else "—"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith("evt_"):
            try:
                return queryset.filter(event_id=uuid.UUID(term.removeprefix("evt_"))), False
            except ValueError:
                return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def has_redeliver_permission(self, request):
        return request.user.has_perm("transactions.redeliver_webhookdelivery")

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        count = services.delivery_redeliver(deliveries=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
