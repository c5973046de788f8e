"""`manage.py changepassword [EMAIL]`: Django's command, saved through
accounts.services.user_set_password (audited; revokes the user's refresh tokens and every access
token issued before). Replaces django.contrib.auth's command (accounts is listed before it in
INSTALLED_APPS, and the first app listed wins)."""

from django.contrib.auth.management.commands.changepassword import Command as DjangoCommand
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts import services
from accounts.models import User

MAX_TRIES = 3


class Command(DjangoCommand):
    help = "Change a user's password (audited; signs the user out everywhere)."

    def handle(self, *args, **options):
        email = options["username"]
        if not email:
            raise CommandError("Give the user's email.")
        try:
            user = User._default_manager.db_manager(options["database"]).get_by_natural_key(email)
        except User.DoesNotExist as exc:
            raise CommandError(f"user '{email}' does not exist") from exc
        self.stdout.write(f"Changing password for user '{user}'")
        for _ in range(MAX_TRIES):
            p1, p2 = self._get_pass(), self._get_pass("Password (again): ")
            if p1 != p2:
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                validate_password(p2, user)
            except ValidationError as err:
                self.stderr.write("\n".join(err.messages))
                continue
            services.user_set_password(
                user=user,
                password=p1,
                actor=None,
                channel="cli",
                reason="manage.py changepassword",
                validate=False,
            )
            return f"Password changed successfully for user '{user}'"
        raise CommandError(f"Aborting password change for user '{user}' after {MAX_TRIES} attempts")
