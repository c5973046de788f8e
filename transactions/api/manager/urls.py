"""The manager UI's API profile, mounted at `/api/manager/v1/`: its exact paths, without trailing
slashes. Contract: niokistudio/areamedica-manager-ui (see README "Using the manager UI")."""

from django.urls import include, path

from transactions.api.manager import views

urlpatterns = [
    path("auth/", include("accounts.api.manager.urls")),
    path("transactions", views.ManagerTransactionListView.as_view(), name="manager_transactions"),
    path(
        "transactions/full-reference",
        views.ManagerFullReferenceCreateView.as_view(),
        name="manager_transactions_full_reference",
    ),
    path(
        "transactions/partial-reference",
        views.ManagerPartialReferenceCreateView.as_view(),
        name="manager_transactions_partial_reference",
    ),
    path(
        "transactions/bulk-delete",
        views.ManagerTransactionBulkDeleteView.as_view(),
        name="manager_transactions_bulk_delete",
    ),
    path(
        "transactions/<str:claim_id>",
        views.ManagerTransactionDetailView.as_view(),
        name="manager_transaction",
    ),
    path(
        "transactions/<str:claim_id>/refresh",
        views.ManagerTransactionRefreshView.as_view(),
        name="manager_transaction_refresh",
    ),
]
