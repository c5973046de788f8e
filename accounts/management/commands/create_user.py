"""manage.py create_user EMAIL --role ROLE [--role ROLE ...] [--full-name NAME] [--password-stdin]

The password is read from stdin (first line) with --password-stdin, else prompted twice without
echo. It is never printed or logged. Goes through accounts.services.user_create (audited, actor
SYSTEM).
"""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.roles import ROLES
from config import request_context
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a user with one or more roles (password from stdin or an interactive prompt)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles")
        parser.add_argument("--full-name", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from the first line of stdin."
        )

    def _password(self, options) -> str:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            if not sys.stdin.isatty():
                raise CommandError("No terminal to prompt for the password: use --password-stdin.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError("The password must not be empty.")
        return password

    def handle(self, *args, **options):
        password = self._password(options)
        with request_context.bind(request_id="cmd-create_user"):
            try:
                user = services.user_create(
                    email=options["email"],
                    password=password,
                    full_name=options["full_name"],
                    roles=options["roles"],
                    actor=None,
                )
            except ApplicationError as exc:
                detail = ""
                fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
                if fields:
                    detail = " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
                raise CommandError(f"{exc.message}{detail}") from exc
        roles = ", ".join(sorted(options["roles"]))
        self.stdout.write(
            self.style.SUCCESS(f"Created user {user.email} (id {user.pk}) with role(s): {roles}")
        )
