from django.contrib import admin

from config.admin import ReadOnlyAdminMixin

from .models import BankLookup


@admin.register(BankLookup)
class BankLookupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: look-ups are the bank's answers, never edited."""

    list_display = (
        "created_at",
        "environment",
        "mode",
        "outcome",
        "code",
        "http_status",
        "attempts",
        "duration_ms",
    )
    list_filter = ("outcome", "mode", "environment")
    date_hierarchy = "created_at"
    search_fields = ("=claim_id",)
