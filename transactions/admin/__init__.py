"""The transactions admin: the claim ModelAdmin (claims.py), its changelist machinery
(changelist.py) and how it shows badges, amounts, the audit trail and the bank's answer (display.py).
The project's admin site itself is transactions/admin_site.py."""

from transactions.admin.claims import TransactionAdmin
from transactions.admin.display import explain_bank_answer, format_ves, status_badge_html

# The webhooks sub-package's admin (endpoints, deliveries) registers itself on import.
from transactions.webhooks import admin as webhooks_admin  # noqa: F401

__all__ = ["TransactionAdmin", "explain_bank_answer", "format_ves", "status_badge_html"]
