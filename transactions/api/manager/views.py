"""The manager UI's claim calls (`/api/manager/v1/transactions…`): thin views that translate its
contract to the same selectors, filterset and services as `/api/v1/transactions/`."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ApplicationError, Conflict, ValidationFailed
from config.exceptions import ManagerProfileErrorsMixin
from config.openapi import ManagerErrorSerializer, manager_error_responses
from config.pagination import OffsetPagination
from transactions import selectors, services, verification_queue
from transactions.api.filters import TransactionFilter
from transactions.api.manager.serializers import (
    FullReferenceInputSerializer,
    ManagerTransactionOutputSerializer,
    PartialReferenceInputSerializer,
    bulk_delete_ids_field,
    contract_errors,
)

TAGS = ["manager transactions"]
ID_PARAM = OpenApiParameter("claim_id", str, OpenApiParameter.PATH, description="The claim's id (UUID).")


class DuplicateReference(ApplicationError):
    """422 as the UI's create form expects it (`NewTransactionForm`)."""

    status_code = 422
    code = "DUPLICATE_REFERENCE"
    default_message = "This reference was already claimed."


class ManagerPermission(permissions.BasePermission):
    """The Django permission the view names for the request's method (`required_perms`)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perm = view.required_perms.get(request.method)
        return perm is None or user.has_perm(perm)


class _ManagerView(ManagerProfileErrorsMixin):
    permission_classes = [permissions.IsAuthenticated, ManagerPermission]
    required_perms: dict[str, str] = {}


class ManagerTransactionListView(_ManagerView, generics.ListAPIView):
    """`GET /transactions?offset=&limit=&search=&start_date=&end_date=&status=…`."""

    required_perms = {"GET": "transactions.view_transaction"}
    serializer_class = ManagerTransactionOutputSerializer
    filterset_class = TransactionFilter
    pagination_class = OffsetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.claim_none()
        return selectors.claim_list(user=self.request.user)

    @extend_schema(
        operation_id="manager_transactions_list",
        summary="List and search claims",
        description=(
            "The main list's filters (the same filterset): `status` repeated for several, "
            "`start_date`/`end_date` inclusive Caracas dates of creation, `search`; paginated by "
            "`offset`/`limit` (at most 100). Managers see every claim; clients their own."
        ),
        responses={
            200: ManagerTransactionOutputSerializer(many=True),
            **manager_error_responses(401, 403, 422),
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _CreateView(_ManagerView, APIView):
    required_perms = {"POST": "transactions.add_transaction"}
    input_serializer = FullReferenceInputSerializer

    def post(self, request):
        services.claim_create_rate_limit(request=request)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_data()
        try:
            claim, _created = services.create_claim(data=data, actor=request.user)
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message, details=contract_errors(exc.details, serializer.FIELDS)
            ) from None
        except Conflict as exc:
            if exc.code != "duplicate_reference":
                raise
            existing = selectors.claim_for_reference(
                user=request.user,
                reference=data["reference"],
                transaction_type=data.get("transaction_type", "TRANSACTION"),
            )
            raise DuplicateReference(
                _("This reference was already claimed."),
                details={
                    "existing_transaction_id": str(existing.pk) if existing else None,
                    "reference": data["reference"],
                },
            ) from None
        return Response(ManagerTransactionOutputSerializer(claim).data, status=status.HTTP_201_CREATED)


_CREATE_ERRORS = {
    **manager_error_responses(400, 401, 403, 429),
    422: OpenApiResponse(
        response=ManagerErrorSerializer,
        description=(
            "`DUPLICATE_REFERENCE` (details: `existing_transaction_id`, `reference`) or "
            "`validation_error` (details: `fields`)."
        ),
    ),
}


class ManagerFullReferenceCreateView(_CreateView):
    input_serializer = FullReferenceInputSerializer

    @extend_schema(
        operation_id="manager_transactions_full_reference",
        summary="Claim a Banesco→Banesco transfer by its full reference (no amount, no date)",
        request=FullReferenceInputSerializer,
        responses={201: ManagerTransactionOutputSerializer, **_CREATE_ERRORS},
        tags=TAGS,
    )
    def post(self, request):
        return super().post(request)


class ManagerPartialReferenceCreateView(_CreateView):
    input_serializer = PartialReferenceInputSerializer

    @extend_schema(
        operation_id="manager_transactions_partial_reference",
        summary="Claim a pago móvil: reference, payer phone, date and bank (no amount)",
        request=PartialReferenceInputSerializer,
        responses={201: ManagerTransactionOutputSerializer, **_CREATE_ERRORS},
        tags=TAGS,
    )
    def post(self, request):
        return super().post(request)


class ManagerTransactionDetailView(_ManagerView, APIView):
    required_perms = {"GET": "transactions.view_transaction", "DELETE": "transactions.delete_transaction"}

    @extend_schema(
        operation_id="manager_transactions_retrieve",
        summary="One claim, with the bank's matching movement in `details`",
        parameters=[ID_PARAM],
        responses={200: ManagerTransactionOutputSerializer, **manager_error_responses(401, 403, 404)},
        tags=TAGS,
    )
    def get(self, request, claim_id):
        claim = selectors.claim_get_by_id_for_user(user=request.user, claim_id=claim_id)
        return Response(ManagerTransactionOutputSerializer(claim).data)

    @extend_schema(
        operation_id="manager_transactions_delete",
        summary="Soft-delete a claim (not COMPLETED ones)",
        parameters=[ID_PARAM],
        responses={204: None, **manager_error_responses(401, 403, 404, 409)},
        tags=TAGS,
    )
    def delete(self, request, claim_id):
        services.claim_soft_delete(
            claim_id=claim_id, actor=request.user, visible_to=selectors.claim_list(user=request.user)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ManagerTransactionBulkDeleteView(_ManagerView, APIView):
    required_perms = {"POST": "transactions.delete_transaction"}

    @extend_schema(
        operation_id="manager_transactions_bulk_delete",
        summary="Soft-delete several claims: a JSON array of ids; all or nothing",
        request={"application/json": {"type": "array", "items": {"type": "string", "format": "uuid"}}},
        responses={204: None, **manager_error_responses(400, 401, 403, 404, 409, 422)},
        tags=TAGS,
    )
    def post(self, request):
        ids = bulk_delete_ids_field().run_validation(request.data)
        services.claims_soft_delete(
            claim_ids=ids, actor=request.user, visible_to=selectors.claim_list(user=request.user)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ManagerTransactionRefreshView(_ManagerView, APIView):
    required_perms = {"POST": "transactions.reverify_transaction"}

    @extend_schema(
        operation_id="manager_transactions_refresh",
        summary="Ask for a bank re-check now (the verification worker does the look-up)",
        description=(
            "The main API's `POST …/verify/` for the UI: queues a look-up for the verification "
            "worker (never calls the bank itself) and waits up to `MANAGER_REFRESH_WAIT_SECONDS` "
            "(default 3 s) for its outcome, because the UI re-reads the claim right after this call. "
            "**200** with the outcome, **202** with the claim as it is when the wait ended first. "
            "A claim that is not IN_PROGRESS/UNKNOWN is answered as it is (200). At most 2 look-ups "
            "per claim per minute: beyond that **429** with `Retry-After`."
        ),
        parameters=[ID_PARAM],
        request=None,
        responses={
            200: ManagerTransactionOutputSerializer,
            202: ManagerTransactionOutputSerializer,
            **manager_error_responses(401, 403, 404, 429),
        },
        tags=TAGS,
    )
    def post(self, request, claim_id):
        claim = selectors.claim_get_by_id_for_user(user=request.user, claim_id=claim_id)
        try:
            result = verification_queue.claim_request_verification(
                claim=claim, actor=request.user, wait=settings.MANAGER_REFRESH_WAIT_SECONDS
            )
        except Conflict as exc:
            if exc.code != "not_verifiable":
                raise
            return Response(ManagerTransactionOutputSerializer(claim).data)  # decided: nothing to look up
        claim = selectors.claim_get_by_id_for_user(user=request.user, claim_id=claim.pk)
        return Response(
            ManagerTransactionOutputSerializer(claim).data,
            status=status.HTTP_200_OK if result.done else status.HTTP_202_ACCEPTED,
        )
