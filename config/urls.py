from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("ready/", views.ready, name="ready"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split view: the initialiser is a same-origin script (/api/docs/?script=), so the CSP needs no
    # inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path(
        "api/manager/schema/",
        SpectacularAPIView.as_view(custom_settings=settings.MANAGER_SPECTACULAR_SETTINGS),
        name="manager_schema",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/auth/", include("accounts.api.urls")),
    path("api/v1/audit/", include("audit.api.urls")),
    path("api/v1/webhooks/", include("transactions.webhooks.urls")),
    path("api/v1/", include("transactions.api.urls")),
    path("api/manager/v1/", include("transactions.api.manager.urls")),
]

handler400 = "config.exceptions.handler400"
handler403 = "config.exceptions.handler403"
handler404 = "config.exceptions.handler404"
handler500 = "config.exceptions.handler500"
