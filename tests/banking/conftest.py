import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from banking.conf import BanescoConfig
from banking.sandbox.state import SandboxState
from config.clock import caracas_today

QA_AUTH = "https://auth.banesco.test"
QA_API = "https://api.banesco.test"
TOKEN_URL = f"{QA_AUTH}/auth/realms/realm-api-qa/protocol/openid-connect/token"
LOOKUP_URL = f"{QA_API}/transactions/financial-account/transactions"


@pytest.fixture
def qa_config():
    """A QA configuration for unit tests with `responses` (no sandbox), isolated cache keys."""
    return BanescoConfig(
        environment="qa",
        auth_base_url=QA_AUTH,
        api_base_url=QA_API,
        client_id="cid",
        client_secret="csecret",
        account_id="01340000000000000001",
        retry_attempts=3,
        connect_timeout=0.5,
        read_timeout=0.5,
        cache_prefix=f"t-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def sleeps():
    """Recorded (never real) sleeps: pass `sleep=sleeps.append` to clients."""
    return []


@pytest.fixture
def sandbox_state():
    return SandboxState(flavour="qa")


@pytest.fixture
def sandbox_config():
    return BanescoConfig(environment="sandbox", cache_prefix=f"t-{uuid.uuid4().hex[:8]}", retry_attempts=3)


_refs = itertools.count(1)


@pytest.fixture
def make_claim(make_user):
    from transactions.models import Transaction

    owner = make_user(role=None)  # no role needed; robust even if a flush dropped the role groups

    def _make(**fields):
        n = next(_refs)
        data = {
            "transaction_id": f"tx-{uuid.uuid4().hex[:12]}",
            "bank": "MOBILE_TRANSFER",
            "reference": f"{700000000000 + n * 7919}",
            "amount": Decimal("150.00"),
            "payment_date": caracas_today(),
            "payer_bank_code": "0102",
            "customer_full_name": "Ana Pérez",
            "customer_phone": "04141234567",
            "customer_national_id": "V12345678",
            "created_by": owner,
            "next_verification_at": timezone.now() - timedelta(seconds=1),
        }
        data.update(fields)
        return Transaction.objects.create(**data)

    return _make
