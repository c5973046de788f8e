"""URLs of the floor server (bench/floor_settings.py): the API's paths, bare views."""

from django.urls import path

from bench import floor

urlpatterns = [
    path("health/", floor.health),
    path("api/v1/transactions/", floor.claims),
    path("api/v1/transactions/<str:transaction_id>/", floor.retrieve),
    path("api/v1/transactions/<str:transaction_id>/status/", floor.claim_status),
]
