"""manage.py seed_demo — one demo user per role with a known password (local/test only).

Idempotent: existing demo users keep their id; their roles and password are reset to the demo
values. Refused when DJANGO_ENV=production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import User
from accounts.roles import ROLES
from config import request_context

DEMO_DOMAIN = "demo.areamedica.test"


def demo_users() -> list[tuple[str, str, str]]:
    """(role, email, password) for every role."""
    return [(role, f"{role}@{DEMO_DOMAIN}", f"demo-{role}-2026") for role in ROLES]


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role with known passwords. Never in production."

    def handle(self, *args, **options):
        if getattr(settings, "IS_PRODUCTION", False) or settings.DJANGO_ENV == "production":
            raise CommandError("seed_demo is refused when DJANGO_ENV=production.")
        rows = []
        with request_context.bind(request_id="cmd-seed_demo"), transaction.atomic():
            for role, email, password in demo_users():
                user = User.objects.filter(email__iexact=email).first()
                if user is None:
                    services.user_create(
                        email=email,
                        password=password,
                        full_name=f"Demo {role}",
                        roles=[role],
                        actor=None,
                        validate_password=False,
                    )
                    state = "created"
                else:
                    services.user_set_roles(user=user, roles=[role], actor=None)
                    if not user.check_password(password):
                        user.set_password(password)
                        user.save(update_fields=["password", "updated_at"])
                    state = "exists" if user.can_login else "exists (inactive)"
                rows.append((role, email, password, state))

        widths = [
            max(len(str(r[i])) for r in [("ROLE", "EMAIL", "PASSWORD", "STATE"), *rows]) for i in range(4)
        ]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write(line.format("ROLE", "EMAIL", "PASSWORD", "STATE").rstrip())
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
        self.stdout.write(self.style.WARNING("Demo credentials: for local use only."))
