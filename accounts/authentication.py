"""DRF authentication used by the API: simplejwt's JWTAuthentication plus a small hook that puts the
authenticated user's id into the request context (logs, audit) as soon as DRF authenticates, the
user through accounts.authcache, and a per-process memory of verified tokens (VerifiedTokens).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import structlog
from django.core.exceptions import ValidationError
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import authcache, tokens
from accounts.backends import user_can_authenticate
from config import request_context


class VerifiedTokens:
    """The access tokens this process has verified, by their exact bytes (at most `size`, least
    recently used dropped first).

    Decoding a JWT and checking its signature and claims cost ~0.17 ms of a ~2 ms API read
    (docs/PERFORMANCE.md), and a client sends the same token with every request for its whole
    life. A token is immutable: the same bytes carry the same signature over the same claims, so
    a verification holds until it expires, and the expiry is checked again on every use. Nothing
    else is skipped: the user, its token version, its active flag and its permissions are read on
    every request (get_user, accounts.authcache). A different byte anywhere (a forged signature,
    an edited payload) is another key and is verified in full. The signing key is read at start-up
    (a rotation restarts the processes, which empties this).
    """

    def __init__(self, size: int):
        self.size = size
        self._tokens: OrderedDict[bytes, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw_token: bytes):
        """The verified token for these bytes if it is still unexpired, else None."""
        with self._lock:
            token = self._tokens.get(raw_token)
            if token is None:
                return None
            self._tokens.move_to_end(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            self.discard(raw_token)
            return None
        return token

    def put(self, raw_token: bytes, token) -> None:
        with self._lock:
            self._tokens[raw_token] = token
            self._tokens.move_to_end(raw_token)
            while len(self._tokens) > self.size:
                self._tokens.popitem(last=False)

    def discard(self, raw_token: bytes) -> None:
        with self._lock:
            self._tokens.pop(raw_token, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def __len__(self) -> int:
        return len(self._tokens)


VERIFIED_TOKENS = VerifiedTokens(size=4096)


class JWTAuthentication(_JWTAuthentication):
    def get_validated_token(self, raw_token: bytes):
        token = VERIFIED_TOKENS.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)  # InvalidToken (401) when not valid
            VERIFIED_TOKENS.put(raw_token, token)
        return token

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
