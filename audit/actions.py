"""The audit action vocabulary: `<area>.<what_happened>`, lower case, past tense.

Use these constants (not literals) with `audit.services.record(action=...)`.

| action                      | actor type       | target      | recorded by                                |
|-----------------------------|------------------|-------------|--------------------------------------------|
| transaction.created         | USER             | Transaction | transactions.services.create_claim         |
| transaction.status_changed  | USER/SYSTEM/BANK | Transaction | transactions.services.transition           |
| transaction.verified        | BANK/SYSTEM/USER | Transaction | transactions.services (status unchanged)   |
| transaction.commented       | USER             | Transaction | transactions.workbench.notes (admin notes) |
| transaction.assigned        | USER             | Transaction | transactions.workbench.assignment (take)   |
| transaction.released        | USER             | Transaction | transactions.workbench.assignment          |
| transaction.deleted         | USER             | Transaction | transactions.deletion.claim_soft_delete    |
| auth.login_succeeded        | USER             | User        | API (channel=api); audit signal (admin)    |
| auth.login_failed           | ANONYMOUS        | -           | audit signal; label = attempted email only |
| auth.login_locked_out       | ANONYMOUS        | -           | accounts.login_limits (admin and API)      |
| auth.token_refreshed        | USER             | User        | accounts API                               |
| auth.logout                 | USER             | User        | accounts API                               |
| accounts.user_created       | USER/SYSTEM      | User        | accounts.services.user_create              |
| accounts.user_deactivated   | USER/SYSTEM      | User        | accounts.services.user_deactivate          |
| accounts.password_changed  | USER/SYSTEM      | User        | accounts.services.user_set_password        |
| accounts.role_granted       | USER/SYSTEM      | User        | accounts.services.user_set_roles           |
| accounts.role_revoked       | USER/SYSTEM      | User        | accounts.services.user_set_roles           |
| accounts.permission_changed | USER/SYSTEM      | Group       | Group admin                                |
| admin.action                | USER             | any / -     | admin bulk actions (one summary event)     |
| webhook.endpoint_created    | USER             | Endpoint    | transactions.webhooks.services             |
| webhook.endpoint_deactivated| USER             | Endpoint    | transactions.webhooks.services (DELETE)    |
| webhook.endpoint_disabled   | SYSTEM           | Endpoint    | webhook worker (failing for too long)      |
| webhook.secret_rotated      | USER             | Endpoint    | transactions.webhooks.services             |
| webhook.redelivery_requested| USER             | Delivery    | webhook admin "redeliver" action           |

`before`/`after` hold only the changed fields; `reason` the human reason (required for reconciler
decisions and reopen); `metadata` free context (channel, counts, bank codes...). Never put secrets
(passwords, tokens, webhook secrets) in any of them.
"""

# accounts sits below audit, so it names its own events (accounts/events.py); re-exported here.
from accounts.events import (  # noqa: F401
    ACCOUNTS_PASSWORD_CHANGED,
    ACCOUNTS_PERMISSION_CHANGED,
    ACCOUNTS_ROLE_GRANTED,
    ACCOUNTS_ROLE_REVOKED,
    ACCOUNTS_USER_CREATED,
    ACCOUNTS_USER_DEACTIVATED,
    ADMIN_ACTION,
    AUTH_LOGIN_LOCKED_OUT,
    AUTH_LOGIN_SUCCEEDED,
    AUTH_LOGOUT,
    AUTH_TOKEN_REFRESHED,
)

TRANSACTION_CREATED = "transaction.created"
TRANSACTION_STATUS_CHANGED = "transaction.status_changed"
TRANSACTION_VERIFIED = "transaction.verified"
TRANSACTION_COMMENTED = "transaction.commented"
TRANSACTION_ASSIGNED = "transaction.assigned"
TRANSACTION_RELEASED = "transaction.released"
TRANSACTION_DELETED = "transaction.deleted"

AUTH_LOGIN_FAILED = "auth.login_failed"

WEBHOOK_ENDPOINT_CREATED = "webhook.endpoint_created"
WEBHOOK_ENDPOINT_DEACTIVATED = "webhook.endpoint_deactivated"
WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"
WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
WEBHOOK_REDELIVERY_REQUESTED = "webhook.redelivery_requested"

ALL_ACTIONS: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
