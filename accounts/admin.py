"""Admin for users and role groups. Every change goes through accounts.services (audited); users
are never hard-deleted (soft-deactivate action); a role group's permission changes are audited.
"""

from __future__ import annotations

import contextvars

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, ReadOnlyPasswordHashField
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts import selectors, services, staff_services
from accounts.emails import canonical_email
from accounts.models import User
from accounts.roles import ROLES

ROLE_CHOICES = [(r, r) for r in ROLES]
_password_actor: contextvars.ContextVar = contextvars.ContextVar("password_actor", default=None)


class UserAddForm(forms.ModelForm):
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password (again)"), strip=False, widget=forms.PasswordInput)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self):
        email = canonical_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=cleaned.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class UserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(label=_("Password"))
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = User
        fields = ("email", "full_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = selectors.user_roles(user=self.instance)
            self.fields["password"].initial = self.instance.password

    def clean_email(self):
        email = canonical_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email


class PasswordResetForm(AdminPasswordChangeForm):
    """The admin's "change password" page, saved through accounts.services.user_set_password
    (audited; revokes the user's refresh tokens and every access token issued before)."""

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password") else None
        self.user = services.user_set_password(
            user=self.user,
            password=password,
            actor=_password_actor.get(),
            channel="admin",
            reason="password reset in the admin",
            validate=False,  # the form validated it
        )
        return self.user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    change_password_form = PasswordResetForm
    list_display = ("email", "full_name", "role_list", "is_active", "is_staff", "created_at")
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("is_active", "is_staff", "is_superuser", "last_login", "created_at", "deleted_at")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        (_("Roles"), {"fields": ("roles",)}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser", "deleted_at")}),
        (_("Dates"), {"fields": ("last_login", "created_at")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "full_name", "password1", "password2", "roles")}),)
    actions = ["deactivate_users"]

    @admin.display(description=_("roles"))
    def role_list(self, obj):
        return ", ".join(selectors.user_roles(user=obj))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_delete_permission(self, request, obj=None):
        return False  # users are deactivated, never deleted

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                email=data["email"],
                password=data["password1"],
                full_name=data.get("full_name", ""),
                roles=data.get("roles", []),
                actor=request.user,
                validate_password=False,  # the form validated it
            )
            # The admin goes on with `obj` (log entry, redirect): make it the created row.
            obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
            obj._state.adding = False
            obj._state.db = created._state.db
            return
        services.user_update_profile(
            user=obj, actor=request.user, email=data["email"], full_name=data.get("full_name", "")
        )
        if "roles" in form.changed_data:
            services.user_set_roles(user=obj, roles=data.get("roles", []), actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        token = _password_actor.set(request.user)  # the form's actor (per thread/request)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Deactivate selected users (soft; revokes their refresh tokens)"))
    def deactivate_users(self, request, queryset):
        done, failed = staff_services.users_deactivate(users=queryset, actor=request.user)
        if done:
            self.message_user(request, _("%(n)d user(s) deactivated.") % {"n": done}, messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Role groups: permission changes are audited; role groups cannot be renamed or deleted."""

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.name in ROLES:
            return ("name",)
        return ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name in ROLES:
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _perm_names(group) -> list[str]:
        if group.pk is None:
            return []
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())

    def save_related(self, request, form, formsets, change):
        before = self._perm_names(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        after = self._perm_names(form.instance)
        staff_services.group_permissions_changed(
            group=form.instance, actor=request.user, before=before, after=after
        )
