"""Run in a subprocess against the faults cluster (DATABASE_URL in the environment):

python -m tests.reliability.faults_helper seed N      -> JSON {token, transaction_ids}
python -m tests.reliability.faults_helper consistency -> JSON {claims, statuses, mismatches, ...}
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from audit.models import AuditEvent
    from config.clock import caracas_today
    from transactions import services
    from transactions.models import Transaction

    if argv[0] == "seed":
        n = int(argv[1])
        block = uuid.uuid4().int % 900000 + 100000
        user = User.objects.create_user(email=f"faults-{uuid.uuid4().hex[:8]}@example.test", password=None)
        user.groups.add(Group.objects.get(name="client"))
        ids = []
        for i in range(n):
            claim, _ = services.create_claim(
                data={
                    "transaction_id": f"f-{block}-{i}",
                    "bank": "MOBILE_TRANSFER",
                    "transaction_type": "TRANSACTION",
                    "reference": f"{block:06d}{i:06d}",
                    "amount": "10.00",
                    "payment_date": caracas_today(),
                    "payer_bank_code": "0102",
                    "customer_full_name": "Ana Pérez",
                    "customer_phone": "04161234567",
                    "customer_national_id": "V12345678",
                    "concept": "",
                    "metadata": {},
                },
                actor=user,
            )
            ids.append(claim.reference)
        token = str(RefreshToken.for_user(user).access_token)
        print(json.dumps({"token": token, "references": ids}))
        return 0

    if argv[0] == "consistency":
        mismatches, statuses = [], {}
        claims = list(Transaction.objects.all())
        for claim in claims:
            statuses[claim.status] = statuses.get(claim.status, 0) + 1
            last = None
            for after in (
                AuditEvent.objects.for_target(claim).order_by("-sequence").values_list("after", flat=True)
            ):
                if after and "status" in after:
                    last = after["status"]
                    break
            if last != claim.status:
                mismatches.append([claim.transaction_id, claim.status, last])
        changes = (
            AuditEvent.objects.filter(action="transaction.status_changed")
            .values("target_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        print(
            json.dumps(
                {
                    "claims": len(claims),
                    "statuses": statuses,
                    "mismatches": mismatches,
                    "claims_with_several_status_changes": changes,
                }
            )
        )
        return 0
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
