"""manage.py seed_demo — one demo user per role with a known password and demo claims (local only).

It lives in transactions (the top of the dependency graph) because it creates both users and claims.

Idempotent: existing demo users keep their id; their roles and password are reset to the demo
values. Refused when DJANGO_ENV=production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import User
from accounts.roles import ROLES
from config import request_context
from transactions import services as tx_services
from transactions.models import Bank, Transaction

DEMO_DOMAIN = "demo.areamedica.test"
# transaction_id, reference, payer phone, payer bank code, amount — see banking/sandbox/state.py
DEMO_CLAIMS = [
    ("demo-pago-movil-ok", "012345678901", "04141234567", "0102", "150.00"),
    ("demo-amount-mismatch", "011122233344", "04241112233", "0105", "100.00"),
    ("demo-two-candidates", "066677788899", "04147778899", "0191", "75.00"),
]


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
                user = User.objects.filter(email=User.objects.normalize_email(email)).first()
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
                        services.user_set_password(
                            user=user,
                            password=password,
                            actor=None,
                            channel="cli",
                            reason="seed_demo",
                            validate=False,
                        )
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
        if not options["no_claims"]:
            self._seed_claims()

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-claims", action="store_true", help="Only the users; no demo payment claims."
        )

    def _seed_claims(self):
        """Demo claims matching the Banesco sandbox's demo payments (created IN_PROGRESS).

        The verification worker (`make run` starts it) looks them up: with the in-process sandbox
        (the local default) the first goes COMPLETED and the other two land in the reconcilers'
        TO_REVIEW queue (amount mismatch, two candidate rows).
        """
        client = User.objects.get_by_natural_key(f"client@{DEMO_DOMAIN}")
        today = timezone.localdate().isoformat()
        self.stdout.write("")
        self.stdout.write("DEMO CLAIMS (the verification worker checks them against the Banesco sandbox)")
        for tx_id, reference, phone, bank_code, amount in DEMO_CLAIMS:
            claim = Transaction.objects.filter(transaction_id=tx_id).first()
            if claim is None:
                with request_context.bind(request_id="cmd-seed_demo"):
                    claim, _ = tx_services.create_claim(
                        data={
                            "transaction_id": tx_id,
                            "bank": Bank.MOBILE_TRANSFER,
                            "transaction_type": "TRANSACTION",
                            "reference": reference,
                            "amount": amount,
                            "payment_date": today,
                            "payer_bank_code": bank_code,
                            "customer_full_name": "Paciente Demo",
                            "customer_phone": phone,
                            "customer_national_id": "V12345678",
                            "concept": "Consulta demo",
                        },
                        actor=client,
                    )
                claim.refresh_from_db()
            self.stdout.write(f"  {claim.transaction_id:<22} {claim.amount:>8}  {claim.status}")
