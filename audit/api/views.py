from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from audit.api.filters import AuditEventFilter
from audit.api.permissions import IsAuditorOrAdmin
from audit.api.serializers import AuditEventOutputSerializer
from audit.selectors import event_list
from config.openapi import ERROR_RESPONSES


def _errors(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in codes if code in ERROR_RESPONSES}


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (auditor, admin)",
        description="Append-only audit trail, newest first. Filters: action (exact or comma list), actor "
        "(user id or email), actor_type, target_type (app_label.model), target_id, from/to (occurred_at).",
        # 404: a page number out of range (page=0, page past the end).
        responses={200: AuditEventOutputSerializer(many=True), **_errors(400, 401, 403, 404)},
        tags=["audit"],
    ),
    retrieve=extend_schema(
        summary="One audit event by sequence number (auditor, admin)",
        parameters=[
            OpenApiParameter("sequence", int, OpenApiParameter.PATH, description="Chain sequence number.")
        ],
        responses={200: AuditEventOutputSerializer, **_errors(401, 403, 404)},
        tags=["audit"],
    ),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventOutputSerializer
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]
    filterset_class = AuditEventFilter
    lookup_field = "sequence"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return event_list()
