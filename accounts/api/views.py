"""Auth API: token (login), token refresh (rotation + blacklist), logout, me. Thin views: rate
limits, django.contrib.auth.authenticate (fires user_login_failed once for the audit app),
simplejwt tokens, audit events.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import selectors
from accounts.api.serializers import (
    LoginInputSerializer,
    MeOutputSerializer,
    RefreshInputSerializer,
    RefreshOutputSerializer,
    TokenPairOutputSerializer,
)
from accounts.backends import user_can_authenticate
from audit import actions
from audit.services import record
from config.errors import PermissionDenied, ValidationFailed
from config.openapi import error_responses
from config.ratelimit import enforce_rate

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
        enforce_rate(request=request, group="auth.login.ip", key="ip", rate=settings.LOGIN_RATE_PER_IP)
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"].strip().lower()
        enforce_rate(
            request=request,
            group="auth.login.email",
            key=lambda _group, _request: email,
            rate=settings.LOGIN_RATE_PER_EMAIL,
        )
        # The one authenticate() call: on failure Django sends user_login_failed (audited there).
        user = authenticate(request, email=email, password=serializer.validated_data["password"])
        if user is None:
            raise AuthenticationFailed("Invalid email or password.", code="invalid_credentials")

        with transaction.atomic():
            refresh = RefreshToken.for_user(user)
            update_last_login(None, user)
            record(
                action=actions.AUTH_LOGIN_SUCCEEDED,
                actor=user,
                target=user,
                request=request,
                metadata={"channel": "api"},
            )
        body = {
            "access": str(refresh.access_token),
            "refresh": str(refresh),
            "user": selectors.user_summary(user=user),
        }
        return Response(TokenPairOutputSerializer(body).data)


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
        raw = serializer.validated_data["refresh"]
        with transaction.atomic():
            try:
                token = RefreshToken(raw)  # signature, expiry, type, blacklist
                # Serialise concurrent refreshes of the same token, then re-check the blacklist.
                list(
                    OutstandingToken.objects.select_for_update(of=("self",)).filter(
                        jti=token[jwt_settings.JTI_CLAIM]
                    )
                )
                token.check_blacklist()
            except TokenError as exc:
                raise InvalidToken(str(exc)) from exc
            user_id = token.get(jwt_settings.USER_ID_CLAIM)
            user = get_user_model().objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
            if not user_can_authenticate(user):
                raise AuthenticationFailed(
                    "No active account found for the given token.", "no_active_account"
                )

            access = str(token.access_token)
            token.blacklist()
            token.set_jti()
            token.set_exp()
            token.set_iat()
            token.outstand()
            record(action=actions.AUTH_TOKEN_REFRESHED, actor=user, target=user, request=request)
        return Response(RefreshOutputSerializer({"access": access, "refresh": str(token)}).data)


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
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise ValidationFailed(
                "Invalid or already revoked refresh token.",
                code="invalid_token",
                details={"fields": {"refresh": ["Invalid or already revoked refresh token."]}},
            ) from exc
        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise PermissionDenied("This refresh token belongs to another user.")
        with transaction.atomic():
            token.blacklist()
            record(action=actions.AUTH_LOGOUT, actor=request.user, target=request.user, request=request)
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
