"""Test-only URLconf: the real one plus views that fail on purpose (used with pytest.mark.urls)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, OperationalError
from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config import errors
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as real_urlpatterns


class _Open(APIView):
    permission_classes = [AllowAny]


class Boom(_Open):
    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2-very-secret")


class Forbidden(_Open):
    def get(self, request):
        raise errors.PermissionDenied()


class ConflictView(_Open):
    def get(self, request):
        raise errors.Conflict("Already decided.", details={"status": "COMPLETED"})


class Unavailable(_Open):
    def get(self, request):
        raise errors.ServiceUnavailable("Bank down.", code="bank_unavailable", retry_after=30)


class DjangoInvalid(_Open):
    def get(self, request):
        raise DjangoValidationError({"amount": ["Must be positive."]})


class DatabaseDown(_Open):
    def get(self, request):
        raise OperationalError("connection refused")


class DataTooOdd(_Open):
    def get(self, request):
        raise DataError("unsupported Unicode escape sequence")


class NeedsAuth(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


def plain_boom(request):
    raise RuntimeError("plain django view failure")


def plain_db_down(request):
    raise OperationalError("connection refused")


urlpatterns = [
    path("api/test/boom/", Boom.as_view()),
    path("api/test/forbidden/", Forbidden.as_view()),
    path("api/test/conflict/", ConflictView.as_view()),
    path("api/test/unavailable/", Unavailable.as_view()),
    path("api/test/django-invalid/", DjangoInvalid.as_view()),
    path("api/test/db-down/", DatabaseDown.as_view()),
    path("api/test/needs-auth/", NeedsAuth.as_view()),
    path("api/test/data-error/", DataTooOdd.as_view()),
    path("api/test/plain-boom/", plain_boom),
    path("api/test/plain-db-down/", plain_db_down),
    *real_urlpatterns,
]
