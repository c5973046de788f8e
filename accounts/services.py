"""Writes on users and roles. Each function: one DB transaction, row lock where it changes an
existing user, permission check when an actor is given (actor None = system / management command),
and audit events via `audit.services.record`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.models import Group, update_last_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import events as actions
from accounts import login_limits, tokens
from accounts.backends import user_can_authenticate
from accounts.emails import canonical_email
from accounts.events import record
from accounts.models import User
from accounts.roles import ADMIN, AUDITOR, RECONCILER, ROLES
from config.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed

# Roles that work in the Django admin (is_staff). Clients never get admin access.
STAFF_ROLES = frozenset({RECONCILER, AUDITOR, ADMIN})


def _require_perm(actor, perm: str) -> None:
    if actor is None:
        return
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm(perm)):
        raise PermissionDenied()


def _normalise_email(email: str) -> str:
    email = canonical_email(email)
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed("Invalid email address.", details={"fields": {"email": exc.messages}}) from exc
    return email


def _clean_roles(roles: Iterable[str]) -> list[str]:
    cleaned = sorted({str(r).strip().lower() for r in roles if str(r).strip()})
    unknown = [r for r in cleaned if r not in ROLES]
    if unknown:
        raise ValidationFailed(
            f"Unknown role(s): {', '.join(unknown)}.",
            details={"fields": {"roles": [f"Choose from: {', '.join(ROLES)}."]}},
        )
    return cleaned


def _groups(roles: list[str]) -> list[Group]:
    groups = list(Group.objects.filter(name__in=roles))
    if len(groups) != len(roles):
        missing = sorted(set(roles) - {g.name for g in groups})
        raise ValidationFailed(f"Role group(s) missing from the database: {', '.join(missing)}.")
    return groups


def _current_roles(user: User) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def _lock(user: User | object) -> User:
    pk = getattr(user, "pk", user)
    return User.objects.select_for_update().get(pk=pk)


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    roles: Iterable[str] = (),
    actor=None,
    validate_password: bool = True,
) -> User:
    """Create a user with the given roles. `password` None → unusable password (no login)."""
    _require_perm(actor, "accounts.add_user")
    email = _normalise_email(email)
    role_names = _clean_roles(roles)
    groups = _groups(role_names)
    full_name = (full_name or "").strip()
    if len(full_name) > 200:
        raise ValidationFailed("Full name too long.", details={"fields": {"full_name": ["Max 200 chars."]}})
    if User.objects.filter(email=email).exists():
        raise Conflict("A user with this email already exists.", code="email_taken")

    user = User(email=email, full_name=full_name, is_staff=bool(STAFF_ROLES & set(role_names)))
    if password:
        if validate_password:
            try:
                password_validation.validate_password(password, user)
            except DjangoValidationError as exc:
                raise ValidationFailed(
                    "Password too weak.", details={"fields": {"password": exc.messages}}
                ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # concurrent create with the same email
        raise Conflict("A user with this email already exists.", code="email_taken") from exc
    user.groups.set(groups)

    record(
        action=actions.ACCOUNTS_USER_CREATED,
        actor=actor,
        target=user,
        after={"email": email, "full_name": full_name, "roles": role_names, "is_staff": user.is_staff},
    )
    for role in role_names:
        record(action=actions.ACCOUNTS_ROLE_GRANTED, actor=actor, target=user, after={"role": role})
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[str], actor) -> User:
    """Make the user's roles exactly `roles`; one role_granted/role_revoked event per change.

    is_staff follows the roles (reconciler/auditor/admin → admin access; superusers keep it).
    """
    _require_perm(actor, "accounts.change_user")
    wanted = _clean_roles(roles)
    groups = _groups(wanted)
    locked = _lock(user)
    current = _current_roles(locked)
    added = sorted(set(wanted) - set(current))
    removed = sorted(set(current) - set(wanted))
    if actor is not None and actor.pk == locked.pk and ADMIN in removed:
        raise ValidationFailed("You cannot remove your own admin role.")
    if not added and not removed:
        return locked

    keep_other = list(locked.groups.exclude(name__in=ROLES))
    locked.groups.set([*keep_other, *groups])
    is_staff = bool(STAFF_ROLES & set(wanted)) or locked.is_superuser
    if is_staff != locked.is_staff:
        locked.is_staff = is_staff
        locked.save(update_fields=["is_staff", "updated_at"])
    for role in added:
        record(
            action=actions.ACCOUNTS_ROLE_GRANTED,
            actor=actor,
            target=locked,
            before={"roles": current},
            after={"roles": wanted, "role": role},
        )
    for role in removed:
        record(
            action=actions.ACCOUNTS_ROLE_REVOKED,
            actor=actor,
            target=locked,
            before={"roles": current, "role": role},
            after={"roles": wanted},
        )
    if isinstance(user, User):
        user.is_staff = locked.is_staff
    return locked


@transaction.atomic
def user_update_profile(*, user: User, actor, email: str | None = None, full_name: str | None = None) -> User:
    """Change email and/or full name (admin); audited as an admin action with before/after."""
    _require_perm(actor, "accounts.change_user")
    locked = _lock(user)
    before, after = {}, {}
    if email is not None:
        email = _normalise_email(email)
        if email != locked.email:
            if User.objects.filter(email=email).exclude(pk=locked.pk).exists():
                raise Conflict("A user with this email already exists.", code="email_taken")
            before["email"], after["email"] = locked.email, email
            locked.email = email
    if full_name is not None:
        full_name = full_name.strip()
        if full_name != locked.full_name:
            before["full_name"], after["full_name"] = locked.full_name, full_name
            locked.full_name = full_name
    if not after:
        return locked
    try:
        with transaction.atomic():
            locked.save(update_fields=[*after.keys(), "updated_at"])
    except IntegrityError as exc:
        raise Conflict("A user with this email already exists.", code="email_taken") from exc
    record(
        action=actions.ADMIN_ACTION,
        actor=actor,
        target=locked,
        before=before,
        after=after,
        metadata={"operation": "accounts.user_updated"},
    )
    return locked


def _revoke_refresh_tokens(user: User) -> int:
    """Blacklist every outstanding, unexpired refresh token of `user`; how many were revoked."""
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    return len(
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True
        )
    )


@transaction.atomic
def user_set_password(
    *, user: User, password: str | None, actor, reason: str = "", channel: str, validate: bool = True
) -> User:
    """Change or reset a user's password: the one way any path does it (admin form, `manage.py
    changepassword`, any API). `password` None → an unusable password (no login).

    In one transaction: the new hash, `token_version` + 1 (every access token issued before
    stops working at once, accounts.authentication), every outstanding refresh token revoked, and
    one `accounts.password_changed` event (never the password itself).
    `actor` None = system/management command; an actor other than the user needs change_user.
    """
    if actor is not None and getattr(actor, "pk", None) != getattr(user, "pk", user):
        _require_perm(actor, "accounts.change_user")
    locked = _lock(user)
    if password is not None and validate:
        try:
            password_validation.validate_password(password, locked)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "Password too weak.", details={"fields": {"password": exc.messages}}
            ) from exc
    if password is None:
        locked.set_unusable_password()
    else:
        locked.set_password(password)
    locked.token_version += 1
    locked.save(update_fields=["password", "token_version", "updated_at"])
    revoked = _revoke_refresh_tokens(locked)
    record(
        action=actions.ACCOUNTS_PASSWORD_CHANGED,
        actor=actor,
        target=locked,
        reason=reason,
        metadata={
            "channel": channel,
            "usable": password is not None,
            "refresh_tokens_revoked": revoked,
            "token_version": locked.token_version,
        },
    )
    if isinstance(user, User):
        user.password, user.token_version = locked.password, locked.token_version
    return locked


@transaction.atomic
def user_deactivate(*, user: User, actor, reason: str = "") -> User:
    """Soft-deactivate: is_active False + deleted_at; revoke all outstanding refresh tokens.

    Idempotent: an already deactivated user is returned unchanged and no event is written.
    """
    _require_perm(actor, "accounts.change_user")
    locked = _lock(user)
    if actor is not None and actor.pk == locked.pk:
        raise ValidationFailed("You cannot deactivate your own account.")
    if not locked.is_active and locked.deleted_at is not None:
        return locked

    before = {"is_active": locked.is_active, "deleted_at": locked.deleted_at}
    locked.is_active = False
    locked.deleted_at = locked.deleted_at or timezone.now()
    locked.save(update_fields=["is_active", "deleted_at", "updated_at"])

    revoked = _revoke_refresh_tokens(locked)
    record(
        action=actions.ACCOUNTS_USER_DEACTIVATED,
        actor=actor,
        target=locked,
        before=before,
        after={"is_active": False, "deleted_at": locked.deleted_at},
        reason=reason,
        metadata={"refresh_tokens_revoked": revoked},
    )
    if isinstance(user, User):
        user.is_active, user.deleted_at = locked.is_active, locked.deleted_at
    return locked


# --- JWT sessions (login, refresh, logout): every API profile calls these --------------------


def access_token_lifetime_seconds() -> int:
    """Seconds an access token lives (`expires_in` of the token responses)."""
    return int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


def auth_login(*, request, email: str, password: str) -> dict:
    """Email + password -> {"access", "refresh", "expires_in", "user"}; audited.

    The attempt is counted first, per client IP and per canonical email (accounts.login_limits:
    parallel guesses cannot outrun the limit; a Redis outage falls back to a per-process limiter),
    and only an attempt inside both limits has its password checked. The one authenticate() call:
    on failure Django sends user_login_failed (audited there) and this raises 401
    `invalid_credentials`.
    """
    email = canonical_email(email)
    attempt = login_limits.count_attempt(channel=login_limits.API, request=request, email=email)
    refused = attempt.refused()
    if refused is not None:
        scope, retry_after = refused
        login_limits.record_lockout_once(request, attempt, scope=scope, retry_after=retry_after)
        raise RateLimited(retry_after=retry_after, details={"retry_after": retry_after})
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise AuthenticationFailed("Invalid email or password.", code="invalid_credentials")
    with transaction.atomic():
        refresh = tokens.refresh_for(user)
        access = tokens.access_for(refresh)
        update_last_login(None, user)
        record(
            action=actions.AUTH_LOGIN_SUCCEEDED,
            actor=user,
            target=user,
            request=request,
            metadata={"channel": "api"},
        )
    return {
        "access": str(access),
        "refresh": str(refresh),
        "expires_in": access_token_lifetime_seconds(),
        "user": user,
    }


def auth_refresh(*, request, refresh: str) -> dict:
    """Rotate a refresh token: {"access", "refresh", "expires_in"}; the old one is blacklisted.

    Concurrent refreshes of one token are serialised (row lock), so only one of them wins.
    """
    with transaction.atomic():
        try:
            token = RefreshToken(refresh)  # signature, expiry, type, blacklist
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
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
        if tokens.token_version(token) != user.token_version:
            raise InvalidToken("Token has been revoked (password changed).")

        access = str(tokens.access_for(token))
        token.blacklist()
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
        record(action=actions.AUTH_TOKEN_REFRESHED, actor=user, target=user, request=request)
    return {"access": access, "refresh": str(token), "expires_in": access_token_lifetime_seconds()}


def auth_logout(*, request, user, refresh: str, field: str = "refresh") -> None:
    """Revoke (blacklist) the user's own refresh token; audited. `field` names it in errors."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationFailed(
            "Invalid or already revoked refresh token.",
            code="invalid_token",
            details={"fields": {field: ["Invalid or already revoked refresh token."]}},
        ) from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise PermissionDenied("This refresh token belongs to another user.")
    with transaction.atomic():
        token.blacklist()
        record(action=actions.AUTH_LOGOUT, actor=user, target=user, request=request)
