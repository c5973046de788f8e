"""`/api/manager/v1/auth/…` (no trailing slashes: the manager UI's paths)."""

from django.urls import path

from accounts.api.manager import views

urlpatterns = [
    path("login", views.ManagerLoginView.as_view(), name="manager_auth_login"),
    path("refresh", views.ManagerRefreshView.as_view(), name="manager_auth_refresh"),
    path("logout", views.ManagerLogoutView.as_view(), name="manager_auth_logout"),
    path("me", views.ManagerMeView.as_view(), name="manager_auth_me"),
]
