"""The project's admin site, in transactions because it shows the claims' data: the dashboard on
the index, the TO_REVIEW queue one click away, and a rate-limited login (accounts.login_limits:
failures counted first, per client IP and per canonical email, on the shared cache with a
per-process fallback; over the limit → lockout page, HTTP 429).
"""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts import login_limits
from transactions import admin_report as report_views
from transactions import dashboard
from transactions.reports import charts, series


class AreaMedicaAdminSite(admin.AdminSite):
    site_header = "Área Médica — Conciliación"
    site_title = "Área Médica"
    index_title = _("Dashboard")
    index_template = "admin/index.html"

    # --- login ---------------------------------------------------------------------------------
    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        attempt = login_limits.count_attempt(
            channel=login_limits.ADMIN, request=request, email=request.POST.get("username")
        )
        refused = attempt.refused()
        if refused is not None:
            return self._lockout_response(request, attempt, *refused)
        response = super().login(request, extra_context)
        if request.user.is_authenticated:
            attempt.succeeded()
            return response
        exhausted = attempt.exhausted()  # this failure used the last unit
        if exhausted is not None:
            return self._lockout_response(request, attempt, *exhausted)
        return response

    def _lockout_response(self, request, attempt, scope: str, retry_after: int):
        login_limits.record_lockout_once(request, attempt, scope=scope, retry_after=retry_after)
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
        extra_context = dict(extra_context or {})
        if request.user.has_perm("transactions.view_transaction"):
            extra_context["dashboard"] = dashboard.dashboard_data()
            extra_context["review_queue_url"] = review_queue_url()
        if request.user.has_perm(report_views.PERMISSION):
            # The last 30 days of the daily report as inline SVG (past days cached: they never change).
            extra_context["charts"] = charts.dashboard_charts(series.last_days(30))
            extra_context["daily_report_url"] = reverse("admin:daily_report")
        return super().index(request, extra_context)

    def get_urls(self):
        custom = [
            path(
                "reports/daily/",
                self.admin_view(lambda request: report_views.daily_report_view(self, request)),
                name="daily_report",
            )
        ]
        return custom + super().get_urls()

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
