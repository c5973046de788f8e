import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.emails import canonical_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        """The canonical form (accounts.emails): every path that stores or looks up an email."""
        return canonical_email(email)

    def get_by_natural_key(self, email):
        return self.get(email=canonical_email(email))

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("The email must be set")
        user = self.model(email=canonical_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person or client application. Email is the login, stored canonical (accounts.emails)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False, help_text=_("Can log into the admin."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # Carried by every JWT this user is issued (claim `tv`, accounts.tokens); a password change or
    # reset bumps it, so tokens issued before it stop working at once (accounts.authentication).
    token_version = models.PositiveIntegerField(_("token version"), default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = canonical_email(self.email)

    def save(self, *args, **kwargs):
        self.email = canonical_email(self.email)
        super().save(*args, **kwargs)

    @property
    def can_login(self) -> bool:
        return self.is_active and self.deleted_at is None

    @property
    def roles(self) -> list[str]:
        return sorted(g.name for g in self.groups.all())


class AuthGeneration(models.Model):
    """One row: the generation of cached users and permission sets (accounts.authcache), bumped in
    the transaction of every change to a user, a role or a permission."""

    value = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"auth generation {self.value}"
