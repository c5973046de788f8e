"""DRF authentication used by the API: simplejwt's JWTAuthentication plus a small hook that puts the
authenticated user's id into the request context (logs, audit) as soon as DRF authenticates.
"""

from __future__ import annotations

import structlog
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

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
        """Access tokens of inactive or soft-deleted users stop working at once."""
        from accounts.backends import user_can_authenticate

        user = super().get_user(validated_token)
        if not user_can_authenticate(user):
            raise AuthenticationFailed("User is inactive.", code="user_inactive")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """OpenAPI: document our subclass as the bearer JWT scheme."""

    target_class = "config.authentication.JWTAuthentication"
    name = "jwtAuth"
