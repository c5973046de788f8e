"""Admin building blocks shared by every app (the admin site itself: transactions/admin_site.py)."""


class ReadOnlyAdminMixin:
    """A ModelAdmin that shows rows and never adds, changes or deletes them: these models are
    written only by their services (claims, bank look-ups) or never rewritten at all (audit)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
