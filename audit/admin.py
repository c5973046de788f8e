"""View-only admin for the audit trail: no add, change or delete; filters, search, pretty JSON."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.actions import ALL_ACTIONS
from audit.models import AuditEvent
from config.admin import ReadOnlyAdminMixin


class ActionFilter(admin.SimpleListFilter):
    """Choices from the documented vocabulary (no SELECT DISTINCT over a large table)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(a, a) for a in sorted(ALL_ACTIONS)]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


def _pretty(value) -> str:
    if value in (None, {}, []):
        return "—"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "sequence",
        "occurred_at",
        "action",
        "actor_type",
        "actor_label",
        "target",
        "reason_short",
    )
    list_filter = (ActionFilter, "actor_type", "target_type", "occurred_at")
    search_fields = ("=actor_label", "=target_id", "=request_id", "^action")
    ordering = ("-sequence",)
    list_per_page = 50
    show_full_result_count = False
    list_select_related = ("target_type",)
    actions = None
    fields = (
        "sequence",
        "occurred_at",
        "action",
        "actor_type",
        "actor_label",
        "actor_id",
        "target",
        "reason",
        "before_pretty",
        "after_pretty",
        "metadata_pretty",
        "request_id",
        "ip",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("target"))
    def target(self, obj):
        return f"{obj.target_label}:{obj.target_id}" if obj.target_type_id else "—"

    @admin.display(description=_("reason"))
    def reason_short(self, obj):
        return (obj.reason[:60] + "…") if len(obj.reason) > 60 else obj.reason

    @admin.display(description=_("before"))
    def before_pretty(self, obj):
        return _pretty(obj.before)

    @admin.display(description=_("after"))
    def after_pretty(self, obj):
        return _pretty(obj.after)

    @admin.display(description=_("metadata"))
    def metadata_pretty(self, obj):
        return _pretty(obj.metadata)
