"""Auth API: token (login), token refresh (rotation + blacklist), logout, me. Thin views over
`accounts.services` (rate limits, authenticate, simplejwt tokens, audit events), which the manager
profile (`accounts/api/manager/`) calls too.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    LoginInputSerializer,
    MeOutputSerializer,
    RefreshInputSerializer,
    RefreshOutputSerializer,
    TokenPairOutputSerializer,
)
from config.openapi import error_responses

BEARER_CHALLENGE = 'Bearer realm="api"'


class _PublicAuthView(APIView):
    """No authentication (a stale bearer header must not block login/refresh), still a 401 challenge."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return BEARER_CHALLENGE


class TokenObtainView(_PublicAuthView):
    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Log in: email + password → access and refresh tokens",
        request=LoginInputSerializer,
        responses={200: TokenPairOutputSerializer, **error_responses(400, 401, 429)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.auth_login(
            request=request,
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        session["user"] = selectors.user_summary(user=session["user"])
        return Response(TokenPairOutputSerializer(session).data)


class TokenRefreshView(_PublicAuthView):
    @extend_schema(
        operation_id="auth_token_refresh",
        summary="Exchange a refresh token for a new access + refresh pair (the old one is revoked)",
        request=RefreshInputSerializer,
        responses={200: RefreshOutputSerializer, **error_responses(400, 401)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.auth_refresh(request=request, refresh=serializer.validated_data["refresh"])
        return Response(RefreshOutputSerializer(session).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        summary="Log out: revoke (blacklist) the given refresh token",
        request=RefreshInputSerializer,
        responses={204: None, **error_responses(400, 401, 403)},
        tags=["auth"],
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.auth_logout(request=request, user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_me",
        summary="The authenticated user, roles and permissions",
        responses={200: MeOutputSerializer, **error_responses(401)},
        tags=["auth"],
    )
    def get(self, request):
        return Response(MeOutputSerializer(selectors.user_profile(user=request.user)).data)
