from rest_framework.permissions import BasePermission

from accounts.roles import ADMIN, AUDITOR


class IsAuditorOrAdmin(BasePermission):
    """Only the auditor and admin roles (and superusers) read the audit trail through the API.

    Reconcilers read the events of one claim through the transactions API instead.
    """

    message = "Only auditors and administrators can read the audit trail."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.is_superuser:
            return True
        return (
            user.has_perm("audit.view_auditevent") and user.groups.filter(name__in=(AUDITOR, ADMIN)).exists()
        )
