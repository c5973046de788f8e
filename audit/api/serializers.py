from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventOutputSerializer(serializers.ModelSerializer):
    actor_id = serializers.UUIDField(read_only=True, allow_null=True)
    target_type = serializers.SerializerMethodField()
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)
    metadata = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = (
            "sequence",
            "occurred_at",
            "action",
            "actor_id",
            "actor_type",
            "actor_label",
            "target_type",
            "target_id",
            "before",
            "after",
            "reason",
            "request_id",
            "ip",
            "metadata",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields

    def get_target_type(self, obj) -> str | None:
        return obj.target_label or None
