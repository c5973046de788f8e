"""The project's admin site: dashboard on the index, the TO_REVIEW queue one click away, and a
rate-limited login.

Login lockout (django-ratelimit on the `ratelimit` cache alias, so every process agrees): failed
admin logins are counted per client IP and per attempted email. Once either counter reaches its
limit inside the window, further POSTs to the login page get a lockout page with HTTP 429 and a
`Retry-After` header, and one `auth.login_locked_out` audit event is written per key and window.
Only failures count: a successful login never consumes the budget.
"""

from __future__ import annotations

import structlog
from django.conf import settings
from django.contrib import admin
from django.core.cache import caches
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

logger = structlog.get_logger(__name__)

AUTH_LOGIN_LOCKED_OUT = "auth.login_locked_out"
LOGIN_GROUP_IP = "admin-login-ip"
LOGIN_GROUP_USER = "admin-login-user"


def _rate(name: str, default: str) -> str:
    return getattr(settings, name, None) or default


def login_rate_per_ip() -> str:
    return _rate("ADMIN_LOGIN_RATE_PER_IP", "20/15m")


def login_rate_per_user() -> str:
    return _rate("ADMIN_LOGIN_RATE_PER_EMAIL", "5/15m")


def _attempted_email(request) -> str:
    return (request.POST.get("username") or "").strip().lower()[:254]


def _user_key(group, request) -> str:
    return _attempted_email(request) or "-"


def _usage(request, *, increment: bool) -> list[tuple[str, dict]]:
    """(scope, usage) for the per-IP and per-email counters; scopes disabled by settings are absent."""
    out = []
    for scope, group, key, rate in (
        ("ip", LOGIN_GROUP_IP, "ip", login_rate_per_ip()),
        ("email", LOGIN_GROUP_USER, _user_key, login_rate_per_user()),
    ):
        usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=increment)
        if usage is not None:
            out.append((scope, usage))
    return out


def login_lockout(request) -> tuple[str, int] | None:
    """(scope, seconds left) when this login POST must be refused, else None. Does not count."""
    for scope, usage in _usage(request, increment=False):
        if usage["limit"] == 0 and usage["should_limit"]:  # cache down and RATELIMIT_FAIL_OPEN off
            return scope, 60
        if usage["count"] >= usage["limit"]:
            return scope, max(int(usage["time_left"]), 1)
    return None


def _record_lockout_once(request, *, scope: str, retry_after: int) -> None:
    """One audit event per locked key and window (an attacker cannot flood the trail)."""
    email = _attempted_email(request)
    ip = request.META.get("REMOTE_ADDR", "")
    marker = f"admin-login-lockout:{scope}:{ip if scope == 'ip' else email}"
    try:
        first = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].add(
            marker, 1, timeout=max(retry_after, 1)
        )
    except Exception:  # cache down: audit anyway (rare, and better than not at all)
        first = True
    logger.warning("admin.login_locked_out", scope=scope, retry_after=retry_after)
    if not first:
        return
    from audit import services as audit_services

    with transaction.atomic():
        audit_services.record(
            action=AUTH_LOGIN_LOCKED_OUT,
            actor=None,
            actor_type="ANONYMOUS",
            actor_label=email,
            reason=f"Too many failed admin logins ({scope}).",
            metadata={"channel": "admin", "scope": scope, "retry_after": retry_after},
            request=request,
        )


class ReadOnlyAdminMixin:
    """A ModelAdmin that shows rows and never adds, changes or deletes them: these models are
    written only by their services (claims, bank look-ups) or never rewritten at all (audit)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AreaMedicaAdminSite(admin.AdminSite):
    site_header = "Área Médica — Conciliación"
    site_title = "Área Médica"
    index_title = _("Dashboard")
    index_template = "admin/index.html"

    # --- login ---------------------------------------------------------------------------------
    def login(self, request, extra_context=None):
        if request.method == "POST":
            locked = login_lockout(request)
            if locked is not None:
                return self._lockout_response(request, *locked)
        response = super().login(request, extra_context)
        if request.method == "POST" and not request.user.is_authenticated:
            # A failed attempt (Django re-renders the form): count it on both keys.
            _usage(request, increment=True)
            locked = login_lockout(request)
            if locked is not None:
                return self._lockout_response(request, *locked)
        return response

    def _lockout_response(self, request, scope: str, retry_after: int):
        _record_lockout_once(request, scope=scope, retry_after=retry_after)
        context = {
            **self.each_context(request),
            "title": _("Too many failed logins"),
            "retry_after": retry_after,
            "retry_minutes": max(1, (retry_after + 59) // 60),
        }
        response = TemplateResponse(request, "admin/login_locked_out.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response

    # --- index: dashboard and the review queue ---------------------------------------------------
    def index(self, request, extra_context=None):
        from transactions import dashboard

        extra_context = dict(extra_context or {})
        if request.user.has_perm("transactions.view_transaction"):
            extra_context["dashboard"] = dashboard.dashboard_data()
            extra_context["review_queue_url"] = review_queue_url()
        return super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Adds "Review queue (TO_REVIEW)" as the first entry of the Transactions app."""
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] != "transactions":
                continue
            if any(m.get("object_name") == "Transaction" for m in app["models"]):
                app["models"].insert(
                    0,
                    {
                        "name": _("Review queue (TO_REVIEW, oldest first)"),
                        "object_name": "ReviewQueue",
                        "perms": {"view": True, "add": False, "change": False, "delete": False},
                        "admin_url": review_queue_url(),
                        "add_url": None,
                        "view_only": True,
                    },
                )
        return app_list


def review_queue_url() -> str:
    """The changelist filtered on TO_REVIEW; the admin orders it oldest first."""
    return reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"
