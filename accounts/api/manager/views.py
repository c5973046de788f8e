"""The manager UI's auth calls (`/api/manager/v1/auth/…`): thin views over `accounts.services`
(the same login, rate limits, rotation and revocation as `/api/v1/auth/`), in its shapes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.manager.serializers import (
    ManagerLoginInputSerializer,
    ManagerRefreshInputSerializer,
    ManagerTokenOutputSerializer,
    ManagerUserOutputSerializer,
)
from accounts.api.views import BEARER_CHALLENGE
from config.exceptions import ManagerProfileErrorsMixin
from config.openapi import manager_error_responses

TAGS = ["manager auth"]


class _PublicView(ManagerProfileErrorsMixin, APIView):
    permission_classes: list = []
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return BEARER_CHALLENGE


class ManagerLoginView(_PublicView):
    @extend_schema(
        operation_id="manager_auth_login",
        summary="Log in: {email, password} → {access_token, refresh_token, token_type, expires_in}",
        description=(
            "Rate limited exactly like `/api/v1/auth/token/`. A failure carries a top-level `message`."
        ),
        request=ManagerLoginInputSerializer,
        responses={200: ManagerTokenOutputSerializer, **manager_error_responses(400, 401, 422, 429)},
        auth=[],
        tags=TAGS,
    )
    def post(self, request):
        serializer = ManagerLoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.auth_login(
            request=request,
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        return Response(ManagerTokenOutputSerializer(session).data)


class ManagerRefreshView(_PublicView):
    @extend_schema(
        operation_id="manager_auth_refresh",
        summary="{refresh_token} → a new token pair (the old refresh token is revoked)",
        request=ManagerRefreshInputSerializer,
        responses={200: ManagerTokenOutputSerializer, **manager_error_responses(400, 401, 422)},
        auth=[],
        tags=TAGS,
    )
    def post(self, request):
        serializer = ManagerRefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.auth_refresh(request=request, refresh=serializer.validated_data["refresh_token"])
        return Response(ManagerTokenOutputSerializer(session).data)


class ManagerLogoutView(ManagerProfileErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="manager_auth_logout",
        summary="Revoke the given refresh token ({refresh_token})",
        request=ManagerRefreshInputSerializer,
        responses={204: None, **manager_error_responses(400, 401, 403, 422)},
        tags=TAGS,
    )
    def post(self, request):
        serializer = ManagerRefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.auth_logout(
            request=request,
            user=request.user,
            refresh=serializer.validated_data["refresh_token"],
            field="refresh_token",
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ManagerMeView(ManagerProfileErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="manager_auth_me",
        summary="The logged-in user and their permissions",
        responses={200: ManagerUserOutputSerializer, **manager_error_responses(401)},
        tags=TAGS,
    )
    def get(self, request):
        return Response(ManagerUserOutputSerializer(selectors.user_manager_profile(user=request.user)).data)
