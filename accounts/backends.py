from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts import authcache
from accounts.emails import canonical_email


def user_can_authenticate(user) -> bool:
    """simplejwt USER_AUTHENTICATION_RULE: inactive or soft-deleted users are refused."""
    return user is not None and user.is_active and getattr(user, "deleted_at", None) is None


class EmailBackend(ModelBackend):
    """Email login by the canonical form (equality on the unique index); refuses inactive and
    soft-deleted users."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username or kwargs.get(get_user_model().USERNAME_FIELD)
        if not email or password is None:
            return None
        User = get_user_model()
        try:
            user = User.objects.get(email=canonical_email(email))
        except User.DoesNotExist:
            User().set_password(password)  # equalise timing with the found-user path
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user):
        return user_can_authenticate(user)

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's set, through the shared cache when it is on (accounts.authcache)."""
        if not authcache.enabled() or not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = authcache.permissions(
                user_obj, lambda: ModelBackend.get_all_permissions(self, user_obj)
            )
        return user_obj._perm_cache

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user_can_authenticate(user) else None
