from rest_framework import serializers

from accounts.emails import canonical_email


class CanonicalEmailField(serializers.EmailField):
    """An email in its canonical form (accounts.emails), validated after canonicalisation (so a
    full-width or ligature spelling is judged as the address it stands for)."""

    def to_internal_value(self, data):
        return canonical_email(super().to_internal_value(data))


class LoginInputSerializer(serializers.Serializer):
    email = CanonicalEmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, write_only=True)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class RefreshOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class TokenPairOutputSerializer(RefreshOutputSerializer):
    user = UserSummarySerializer()


class MeOutputSerializer(UserSummarySerializer):
    is_staff = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.CharField())
