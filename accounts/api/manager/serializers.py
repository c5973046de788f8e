"""The manager UI's auth shapes (`src/types/auth.ts`, `src/types/user.ts` of the UI)."""

from rest_framework import serializers

from accounts.api.serializers import LoginInputSerializer


class ManagerLoginInputSerializer(LoginInputSerializer):
    """`{email, password}`: the main API's login body."""


class ManagerRefreshInputSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=4096)


class ManagerTokenOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField(source="access")
    refresh_token = serializers.CharField(source="refresh")
    token_type = serializers.SerializerMethodField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")

    def get_token_type(self, obj) -> str:
        return "bearer"


class ManagerUserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True, help_text="Not stored for users: always null.")
    national_id = serializers.CharField(allow_null=True, help_text="Not stored for users: always null.")
    is_active = serializers.BooleanField()
    is_verified = serializers.BooleanField(
        help_text="True when the account may log in (active, not deleted)."
    )
    permissions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
