from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/auth/", include("accounts.api.urls")),
    path("api/v1/audit/", include("audit.api.urls")),
    path("api/v1/", include("transactions.api.urls")),
]
