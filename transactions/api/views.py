"""The claims API: thin views over transactions.selectors / transactions.services."""

from __future__ import annotations

import logging

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from transactions import selectors, services, verification_queue
from transactions.api import openapi
from transactions.api.filters import TransactionFilter
from transactions.api.serializers import (
    ClaimCancelInputSerializer,
    ClaimCreateInputSerializer,
    ClaimEventOutputSerializer,
    ClaimOutputSerializer,
    ClaimStatusOutputSerializer,
    ClaimVerifyOutputSerializer,
    ClaimVerifyQuerySerializer,
)
from transactions.models import Bank, Transaction

logger = logging.getLogger(__name__)

CREATE_EXAMPLE = {
    "transaction_id": "portal-000123",
    "bank": Bank.MOBILE_TRANSFER.value,
    "transaction_type": "TRANSACTION",
    "reference": "001234567890",
    "amount": "1500.50",
    "payment_date": "2025-03-14",
    "payer_bank_code": "0102",
    "customer": {
        "full_name": "María José Pérez",
        "phone": "+58 414-1234567",
        "national_id": "V-12.345.678",
        "concept": "Consulta de cardiología",
    },
    "metadata": {"invoice": "F-1001"},
}
CLAIM_EXAMPLE = {
    "transaction_id": "portal-000123",
    "status": "IN_PROGRESS",
    "status_reason": "",
    "bank": Bank.MOBILE_TRANSFER.value,
    "transaction_type": "TRANSACTION",
    "reference": "001234567890",
    "amount": "1500.50",
    "payment_date": "2025-03-14",
    "payer_bank_code": "0102",
    "payer_bank_name": "Banco de Venezuela",
    "customer": {
        "full_name": "María José Pérez",
        "phone": "04141234567",
        "national_id": "V12345678",
        "concept": "Consulta de cardiología",
    },
    "metadata": {"invoice": "F-1001"},
    "banesco_details": None,
    "verification_attempts": 0,
    "last_verified_at": None,
    "next_verification_at": "2025-03-14T10:15:00-04:00",
    "created_at": "2025-03-14T10:15:00-04:00",
    "updated_at": "2025-03-14T10:15:00-04:00",
}
STATUS_EXAMPLE = {
    "transaction_id": "portal-000123",
    "status": "COMPLETED",
    "status_reason": "Matched one credit for the same amount.",
    "last_verified_at": "2025-03-14T10:15:03-04:00",
    "next_verification_at": None,
    "verification_attempts": 1,
}
TRANSACTION_ID_PARAM = OpenApiParameter(
    "transaction_id",
    str,
    OpenApiParameter.PATH,
    description="The client's own id of the claim (`^[A-Za-z0-9_-]{1,100}$`).",
)


class ClaimPermission(permissions.BasePermission):
    """Create needs `add_transaction` (clients); everything else `view_transaction`.

    Which claims a user may see is decided by the selectors (others' claims are 404).
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if getattr(view, "action", None) == "create":
            return user.has_perm("transactions.add_transaction")
        return user.has_perm("transactions.view_transaction")


class TransactionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "transaction_id"
    lookup_value_regex = r"[A-Za-z0-9_-]{1,100}"
    filterset_class = TransactionFilter
    permission_classes = [permissions.IsAuthenticated, ClaimPermission]
    serializer_class = ClaimOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        return selectors.claim_list(user=self.request.user)

    def get_object(self):
        claim = selectors.claim_get_for_user(
            user=self.request.user, transaction_id=self.kwargs[self.lookup_field]
        )
        self.check_object_permissions(self.request, claim)
        return claim

    # --- list -------------------------------------------------------------------------------
    @extend_schema(
        summary="List payment claims",
        description=(
            "Clients see their own claims; reconcilers, auditors and admins see all. "
            "Paginated with `page` and `size` (at most 100); an out-of-range page is 404."
        ),
        responses={200: ClaimOutputSerializer(many=True), **openapi.LIST_ERRORS},
        tags=["transactions"],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    # --- create -----------------------------------------------------------------------------
    @extend_schema(
        summary="Submit a payment claim",
        description=(
            "Idempotent on `transaction_id`: the same body again returns the existing claim with 200; "
            "a different body for an existing `transaction_id` is 409 listing the differing fields. "
            "A (reference, transaction_type) already claimed is 409. Phone and national id are "
            "normalised (`+58 414-1234567` -> `04141234567`, `v-12.345.678` -> `V12345678`). "
            "Answers at once (201, IN_PROGRESS) without calling the bank: a verification worker looks "
            "the claim up within about a second. Rate limited per user."
        ),
        request=ClaimCreateInputSerializer,
        responses={
            201: OpenApiResponse(ClaimOutputSerializer, description="Created"),
            200: OpenApiResponse(ClaimOutputSerializer, description="Idempotent replay: the existing claim"),
            400: openapi.BAD_REQUEST,
            401: openapi.UNAUTHORIZED,
            403: openapi.FORBIDDEN,
            409: openapi.CONFLICT,
            429: openapi.RATE_LIMITED,
        },
        examples=[
            OpenApiExample("Pago móvil claim", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Created claim", value=CLAIM_EXAMPLE, response_only=True, status_codes=["201", "200"]
            ),
        ],
        tags=["transactions"],
    )
    def create(self, request, *args, **kwargs):
        services.claim_create_rate_limit(request=request)
        serializer = ClaimCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim, created = services.create_claim(data=serializer.to_service_data(), actor=request.user)
        return Response(
            ClaimOutputSerializer(claim).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    # --- retrieve ---------------------------------------------------------------------------
    @extend_schema(
        summary="Get one payment claim",
        parameters=[TRANSACTION_ID_PARAM],
        responses={200: ClaimOutputSerializer, **openapi.READ_ERRORS},
        examples=[OpenApiExample("Claim", value=CLAIM_EXAMPLE, response_only=True)],
        tags=["transactions"],
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(ClaimOutputSerializer(self.get_object()).data)

    # --- status -----------------------------------------------------------------------------
    @extend_schema(
        summary="Current status of a claim",
        description=(
            "Reads the stored status; never calls the bank. The verification worker looks claims "
            "up (new claims within about a second); `POST …/verify/` asks for a re-check now."
        ),
        parameters=[TRANSACTION_ID_PARAM],
        responses={200: ClaimStatusOutputSerializer, **openapi.READ_ERRORS},
        examples=[OpenApiExample("Status", value=STATUS_EXAMPLE, response_only=True)],
        tags=["transactions"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="status",
        url_name="status",
        filter_backends=[],
        pagination_class=None,
    )
    def claim_status(self, request, *args, **kwargs):
        claim = selectors.claim_status_for_user(
            user=request.user, transaction_id=self.kwargs[self.lookup_field]
        )
        self.check_object_permissions(request, claim)
        return Response(ClaimStatusOutputSerializer(claim).data)

    # --- verify -----------------------------------------------------------------------------
    @extend_schema(
        summary="Ask for a bank re-check now",
        description=(
            "Queues a look-up of an IN_PROGRESS or UNKNOWN claim with the bank for the verification "
            "worker and answers **202** with the current status. With `?wait=N` (N ≤ 10 s) it waits "
            "for the worker's outcome and answers **200** with it (202 if the wait ended first). "
            "At most 2 look-ups per claim per minute: beyond that **429** with `Retry-After`. "
            "A claim in any other status is 409 `not_verifiable`. Needs the re-verify permission "
            "(clients: their own claims)."
        ),
        parameters=[TRANSACTION_ID_PARAM, ClaimVerifyQuerySerializer],
        request=None,
        responses={
            200: OpenApiResponse(ClaimVerifyOutputSerializer, description="The worker's outcome"),
            202: OpenApiResponse(ClaimVerifyOutputSerializer, description="Re-check queued"),
            400: openapi.BAD_REQUEST,
            **openapi.READ_ERRORS,
            409: openapi.error_response(
                "Not verifiable in its status",
                "not_verifiable",
                "Only claims in progress or unknown are verified with the bank; this one is Completed.",
            ),
            429: openapi.RATE_LIMITED,
        },
        tags=["transactions"],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def verify(self, request, *args, **kwargs):
        claim = self.get_object()
        query = ClaimVerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = verification_queue.claim_request_verification(
            claim=claim, actor=request.user, wait=query.validated_data["wait"]
        )
        data = {**ClaimStatusOutputSerializer(result.claim).data, "verification_pending": not result.done}
        return Response(data, status=status.HTTP_200_OK if result.done else status.HTTP_202_ACCEPTED)

    # --- cancel -----------------------------------------------------------------------------
    @extend_schema(
        summary="Withdraw a claim",
        description=(
            "The owner (or an admin) withdraws an IN_PROGRESS or UNKNOWN claim; it becomes CANCELED. "
            "Any other status is 409."
        ),
        parameters=[TRANSACTION_ID_PARAM],
        request=ClaimCancelInputSerializer,
        responses={
            200: ClaimOutputSerializer,
            400: openapi.BAD_REQUEST,
            **openapi.READ_ERRORS,
            409: openapi.error_response(
                "Not cancelable in its status",
                "invalid_transition",
                "Only claims in progress can be canceled.",
            ),
        },
        examples=[
            OpenApiExample("Withdraw", value={"reason": "Paid twice by mistake"}, request_only=True),
        ],
        tags=["transactions"],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, *args, **kwargs):
        claim = self.get_object()
        serializer = ClaimCancelInputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        claim = services.claim_cancel(
            claim=claim, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(ClaimOutputSerializer(claim).data)

    # --- events -----------------------------------------------------------------------------
    @extend_schema(
        summary="Audit events of a claim",
        description="The claim's audit trail, newest first, paginated like the list.",
        parameters=[TRANSACTION_ID_PARAM],
        responses={200: ClaimEventOutputSerializer(many=True), **openapi.READ_ERRORS},
        tags=["transactions"],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, *args, **kwargs):
        claim = self.get_object()
        page = self.paginate_queryset(selectors.claim_events(claim=claim))
        return self.get_paginated_response(
            ClaimEventOutputSerializer(page, many=True, context={"viewer": request.user}).data
        )
