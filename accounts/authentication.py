"""DRF authentication used by the API: simplejwt's JWTAuthentication plus a small hook that puts the
authenticated user's id into the request context (logs, audit) as soon as DRF authenticates.
"""

from __future__ import annotations

import structlog
from django.core.exceptions import ValidationError
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import authcache, tokens
from accounts.backends import user_can_authenticate
from config import request_context


class JWTAuthentication(_JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user, _token = result
            request_context.set_user_id(user.pk)
            structlog.contextvars.bind_contextvars(user_id=str(user.pk))
        return result

    def get_user(self, validated_token):
        """The token's user, through the shared cache (accounts.authcache).

        Access tokens of inactive or soft-deleted users, and those issued before the user's last
        password change (token version claim), stop working at once: both changes save the user,
        which invalidates the cached row (accounts.authcache).
        """
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = authcache.user(user_id, lambda: self._load_user(user_id))
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user_can_authenticate(user):
            raise AuthenticationFailed("User is inactive.", code="user_inactive")
        if tokens.token_version(validated_token) != user.token_version:
            # Issued before the user's last password change or reset.
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user

    def _load_user(self, user_id):
        # The password hash is never needed here (CHECK_REVOKE_TOKEN is off), so it is not read
        # and never reaches the cache.
        try:
            return self.user_model.objects.defer("password").get(**{api_settings.USER_ID_FIELD: user_id})
        except (self.user_model.DoesNotExist, ValueError, ValidationError):
            return None


class JWTAuthenticationScheme(SimpleJWTScheme):
    """OpenAPI: document our subclass as the bearer JWT scheme."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
