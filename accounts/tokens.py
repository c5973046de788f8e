"""Issuing JWTs. Every token pair carries the user's `token_version` (claim `tv`); a password
change or reset bumps the version (accounts.services.user_set_password), so every access token
issued before it is refused at once by accounts.authentication, without waiting for its expiry.
A token without the claim counts as version 0 (the version of a user whose password never
changed through the services)."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import RefreshToken

TOKEN_VERSION_CLAIM = "tv"


def refresh_for(user) -> RefreshToken:
    """A new refresh token (its access token inherits the claims) for `user`."""
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = int(user.token_version)
    return refresh


def access_for(refresh: RefreshToken):
    """The access token of `refresh`, issued at the same instant (simplejwt stamps the access
    token's `iat` with its own creation time but its `exp` from the refresh token's, so exp - iat
    could come out a second short of the lifetime announced as `expires_in`)."""
    access = refresh.access_token
    access.set_iat(at_time=refresh.current_time)
    return access


def token_version(validated_token) -> int:
    try:
        return int(validated_token.get(TOKEN_VERSION_CLAIM, 0))
    except (TypeError, ValueError):
        return -1  # never matches a stored version
