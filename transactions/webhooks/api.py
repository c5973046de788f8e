"""`/api/v1/webhooks/endpoints/`: a client application manages its own webhook endpoints.

Thin views over `transactions.webhooks.selectors` / `services`.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.openapi import error_responses
from transactions.api.serializers import ClaimOutputSerializer, StrictSerializer
from transactions.models import Status
from transactions.webhooks import selectors, services
from transactions.webhooks.models import (
    CLAIM_EVENT_TYPES,
    AttemptOutcome,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)

# --- the event payloads (what a receiver gets; documented here for the OpenAPI schema) ---------


class ClaimChangeSerializer(serializers.Serializer):
    from_status = serializers.ChoiceField(choices=Status.choices)
    to_status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField()
    actor_kind = serializers.ChoiceField(
        choices=["USER", "SYSTEM", "BANK"], help_text="Who made the change: a person, the system or the bank."
    )


class ClaimEventSerializer(serializers.Serializer):
    """`claim.created` and `claim.status_changed`. Headers: `Webhook-Id` (= `id`),
    `Webhook-Timestamp`, `Webhook-Signature` (Standard Webhooks, see README)."""

    id = serializers.CharField(help_text="Unique event id (also `Webhook-Id`): de-duplicate by it.")
    type = serializers.ChoiceField(choices=CLAIM_EVENT_TYPES)
    created_at = serializers.DateTimeField()
    sequence = serializers.IntegerField(help_text="1, 2, 3… per claim: order a claim's events by it.")
    data = ClaimOutputSerializer(help_text="The claim as the API showed it at the moment of the change.")
    change = ClaimChangeSerializer(required=False, help_text="`claim.status_changed` only.")


class PingDataSerializer(serializers.Serializer):
    endpoint_id = serializers.UUIDField()


class PingEventSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=[(EventType.PING.value,) * 2])
    created_at = serializers.DateTimeField()
    sequence = serializers.IntegerField(
        allow_null=True, help_text="Always null: a ping is not about a claim."
    )
    data = PingDataSerializer()


WEBHOOK_EVENT = PolymorphicProxySerializer(
    component_name="WebhookEvent",
    serializers=[ClaimEventSerializer, PingEventSerializer],
    resource_type_field_name=None,
)

# --- endpoints --------------------------------------------------------------------------------


class EndpointCreateInputSerializer(StrictSerializer):
    url = serializers.CharField(max_length=500, help_text="https in production; public addresses only.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=CLAIM_EVENT_TYPES),
        required=False,
        default=list,
        help_text="Event types to receive; empty or omitted = all.",
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    failing_since = serializers.DateTimeField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="During a rotation: until when the previous secret still signs."
    )
    created_at = serializers.DateTimeField()


class EndpointSecretOutputSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: shown only in this answer; store it now.")


class AttemptOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the first attempt, 2 for the first retry…")
    started_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="Null: no HTTP answer.")
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="Empty on success; else the status or the network failure.")
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="The retry this attempt scheduled (outcome `RETRY`)."
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.public_id")
    event_type = serializers.CharField(source="event.type")
    transaction_id = serializers.CharField(source="event.claim.transaction_id", allow_null=True, default=None)
    sequence = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_duration_ms = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.SerializerMethodField(help_text="Next retry (pending deliveries only).")
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    payload = serializers.SerializerMethodField(help_text="The event exactly as sent (the signed body).")
    attempt_history = AttemptOutputSerializer(
        many=True,
        source="recent_attempts",
        help_text=f"Attempts, newest first (the latest {selectors.ATTEMPTS_SHOWN}; `attempts` counts all).",
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, obj: WebhookDelivery):
        if obj.status != DeliveryStatus.PENDING or obj.next_attempt_at is None:
            return None
        return serializers.DateTimeField().to_representation(obj.next_attempt_at)

    @extend_schema_field(WEBHOOK_EVENT)
    def get_payload(self, obj: WebhookDelivery):
        return obj.event.payload


TAGS = ["webhooks"]
ENDPOINT_ID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class WebhookEndpointViewSet(viewsets.GenericViewSet):
    lookup_field = "id"
    queryset = WebhookEndpoint.objects.none()  # for the schema; rows come from the selectors
    serializer_class = EndpointOutputSerializer  # OPTIONS metadata; each action names its own

    def get_serializer_class(self):
        return EndpointCreateInputSerializer if self.action == "create" else EndpointOutputSerializer

    lookup_value_regex = ENDPOINT_ID

    def _get(self, request, id):
        return selectors.endpoint_get(owner=request.user, endpoint_id=id)

    @extend_schema(
        summary="List your webhook endpoints",
        responses={200: EndpointOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def list(self, request):
        page = self.paginate_queryset(selectors.endpoint_list(owner=request.user))
        return self.get_paginated_response(EndpointOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint",
        description=(
            "Events are POSTed to `url`, signed with the Standard Webhooks scheme using the returned "
            "`secret` (shown only here). `events` omitted or empty = all event types."
        ),
        request=EndpointCreateInputSerializer,
        responses={201: EndpointSecretOutputSerializer, **error_responses(400, 401, 403, 409)},
        examples=[
            OpenApiExample(
                "Endpoint",
                value={
                    "url": "https://portal.example.com/webhooks/areamedica",
                    "events": ["claim.status_changed"],
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    def create(self, request):
        data = EndpointCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(owner=request.user, **data.validated_data)
        body = dict(EndpointOutputSerializer(endpoint).data, secret=secret)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get one of your webhook endpoints",
        responses={200: EndpointOutputSerializer, **error_responses(401, 403, 404)},
        tags=TAGS,
    )
    def retrieve(self, request, id=None):
        return Response(EndpointOutputSerializer(self._get(request, id)).data)

    @extend_schema(
        summary="Deactivate a webhook endpoint",
        description="It receives nothing more; pending deliveries are dropped. Kept for the record.",
        responses={204: None, **error_responses(401, 403, 404)},
        tags=TAGS,
    )
    def destroy(self, request, id=None):
        services.endpoint_deactivate(endpoint=self._get(request, id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate an endpoint's secret",
        description="Returns the new secret (shown once). The old one keeps signing alongside it for 24 h.",
        request=None,
        responses={200: EndpointSecretOutputSerializer, **error_responses(401, 403, 404, 409)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, id=None):
        endpoint, secret = services.endpoint_rotate_secret(
            endpoint=self._get(request, id), actor=request.user
        )
        return Response(dict(EndpointOutputSerializer(endpoint).data, secret=secret))

    @extend_schema(
        summary="Send a ping event to an endpoint",
        request=None,
        responses={
            202: OpenApiResponse(DeliveryOutputSerializer, description="Queued"),
            **error_responses(401, 403, 404, 409),
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        delivery = services.endpoint_ping(endpoint=self._get(request, id))
        delivery = selectors.delivery_list(endpoint=delivery.endpoint).get(pk=delivery.pk)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="An endpoint's deliveries and their attempts, newest first",
        description=(
            "Paginated (`page`, `size`). Each delivery has its state, its next retry and "
            "`attempt_history`: one entry per attempt with status code, duration, error and outcome."
        ),
        responses={200: DeliveryOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, id=None):
        qs = selectors.delivery_list(endpoint=self._get(request, id))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)
