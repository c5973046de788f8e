"""The simulator's state: seeded payments, issued tokens, fault switches and counters."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from config.clock import caracas_today

MERCHANT_ACCOUNT = "01340000000000000001"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
REALMS = ("realm-api-qa", "realm-api-prd")
TOKEN_TTL = 300

# Error faults answer a look-up instead of the normal search (one switch may be on at a time per
# name; `count` limits how many requests it hits, None = until cleared).
ERROR_FAULTS = (
    "timeout",
    "5xx",
    "html",
    "429",
    "maintenance",
    "crt503",
    "vrn06",
    "malformed",
    "expired_token",
    "vrn01",
)
# Quirks change the format of successful answers (never consumed).
# `other_reference` / `other_currency` answer rows that are NOT the claim's payment (another
# reference, US dollars), so row matching is tested end to end.
QUIRKS = (
    "status_number",
    "amount_string",
    "bank_id_unpadded",
    "space_padded",
    "other_reference",
    "other_currency",
)
MAX_RECORDED_REQUESTS = 50
SWITCHES = ERROR_FAULTS + QUIRKS


@dataclass
class Payment:
    reference: str
    amount: Decimal
    trn_date: date
    trn_type: str = "CR"
    mode: str = "mobile"  # mobile (pago móvil) | transfer (from Banesco or, interbank, another bank)
    phone: str = ""  # payer phone as 58XXXXXXXXXX (pago móvil)
    source_bank_id: str = "0102"
    dest_bank_id: str = "0134"
    account_id: str = MERCHANT_ACCOUNT
    trn_time: str = "10:15:00"
    concept: str = "Pago"
    customer_id_ben: str = "J000000001"

    def as_json(self) -> dict:
        out = asdict(self)
        out["amount"] = str(self.amount)
        out["trn_date"] = self.trn_date.isoformat()
        return out


def demo_payments(today: date | None = None) -> list[Payment]:
    """The stable demo set (references and amounts never change; dates are 'today' in Caracas)."""
    today = today or caracas_today()
    return [
        # pago móvil that matches a demo claim: ref 012345678901, 04141234567, Banco de Venezuela
        Payment("012345678901", Decimal("150.00"), today, phone="584141234567", source_bank_id="0102"),
        # Banesco→Banesco transfer
        Payment("987654321012", Decimal("2500.50"), today, mode="transfer", source_bank_id="0134"),
        # pago móvil whose amount differs from the demo claim's (claim says 100.00)
        Payment("011122233344", Decimal("99.99"), today, phone="584241112233", source_bank_id="0105"),
        # a debit row
        Payment(
            "055566677788",
            Decimal("40.00"),
            today,
            trn_type="DB",
            phone="584125556677",
            source_bank_id="0108",
        ),
        # two credit rows of the same reference and amount (paid twice?): a person decides
        Payment("066677788899", Decimal("75.00"), today, phone="584147778899", source_bank_id="0191"),
        Payment(
            "066677788899",
            Decimal("75.00"),
            today,
            phone="584147778899",
            source_bank_id="0191",
            trn_time="10:17:30",
        ),
        # interbank transfer (Mercantil → our Banesco account)
        Payment("000444555666", Decimal("310.00"), today, mode="transfer", source_bank_id="0105"),
        # the README's amount-less pago móvil example (no demo claim uses it)
        Payment("020202020202", Decimal("80.00"), today, phone="584141234567", source_bank_id="0102"),
        # the ERD's example claim (section 15.1): reference 123456789, Banesco→Banesco
        Payment("123456789", Decimal("1250.00"), today, mode="transfer", source_bank_id="0134"),
    ]


class SandboxState:
    def __init__(self, *, flavour: str = "qa", seed_demo: bool = True):
        self.lock = threading.Lock()
        self.flavour = self.initial_flavour = flavour
        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = DEFAULT_CLIENT_SECRET
        self.account_id = MERCHANT_ACCOUNT
        self.latency_ms = 0
        self.timeout_seconds = 30.0  # how long the HTTP server hangs on the `timeout` fault
        self.payments: list[Payment] = []
        self.faults: dict[str, int | None] = {}
        self.tokens: dict[str, float] = {}
        self.lookups_by_reference: Counter = Counter()
        self.recorded: deque = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.token_requests = 0
        self.lookup_requests = 0
        if seed_demo:
            self.payments.extend(demo_payments())

    # -- payments ---------------------------------------------------------------------------
    def add_payment(self, **fields) -> Payment:
        fields = dict(fields)
        fields["amount"] = Decimal(str(fields["amount"]))
        trn_date = fields.get("trn_date") or caracas_today()
        fields["trn_date"] = date.fromisoformat(trn_date) if isinstance(trn_date, str) else trn_date
        fields.setdefault("account_id", self.account_id)
        payment = Payment(**fields)
        with self.lock:
            self.payments.append(payment)
        return payment

    # -- switches ---------------------------------------------------------------------------
    def set_fault(self, name: str, count: int | None = None) -> None:
        if name not in SWITCHES:
            raise ValueError(f"unknown fault {name!r}; one of {', '.join(SWITCHES)}")
        with self.lock:
            self.faults[name] = count

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self) -> str | None:
        """The first active error fault, consuming one of its hits."""
        with self.lock:
            for name in ERROR_FAULTS:
                if name in self.faults:
                    left = self.faults[name]
                    if left is not None:
                        if left <= 1:
                            del self.faults[name]
                        else:
                            self.faults[name] = left - 1
                    return name
        return None

    def quirk(self, name: str) -> bool:
        return name in self.faults

    # -- tokens -----------------------------------------------------------------------------
    def issue_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token] = time.time() + TOKEN_TTL

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self.tokens.get(token)
        return expires is not None and expires > time.time()

    def expire_token(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    # -- counters ---------------------------------------------------------------------------
    def count_lookup(self, reference: str, transaction: dict | None = None) -> None:
        with self.lock:
            self.lookup_requests += 1
            if reference:
                self.lookups_by_reference[reference] += 1
            if transaction is not None:
                self.recorded.append(dict(transaction))

    def requests(self) -> list[dict]:
        """The `transaction` blocks of the last look-ups, oldest first (tests assert the exact body)."""
        with self.lock:
            return list(self.recorded)

    def count_token(self) -> None:
        with self.lock:
            self.token_requests += 1

    def counters(self) -> dict:
        with self.lock:
            return {
                "token_requests": self.token_requests,
                "lookup_requests": self.lookup_requests,
                "lookups_by_reference": dict(self.lookups_by_reference),
                "faults": dict(self.faults),
                "flavour": self.flavour,
                "latency_ms": self.latency_ms,
                "payments": len(self.payments),
            }

    def reset(self, *, seed_demo: bool = True) -> None:
        with self.lock:
            self.payments = demo_payments() if seed_demo else []
            self.faults.clear()
            self.tokens.clear()
            self.lookups_by_reference.clear()
            self.recorded.clear()
            self.flavour = self.initial_flavour
            self.token_requests = 0
            self.lookup_requests = 0
            self.latency_ms = 0

    def matching(self, predicate) -> list[Payment]:
        with self.lock:
            return [p for p in self.payments if predicate(p)]


_default_state: SandboxState | None = None
_default_lock = threading.Lock()


def default_state() -> SandboxState:
    """The process-local state used by the in-process adapter."""
    global _default_state
    with _default_lock:
        if _default_state is None:
            _default_state = SandboxState()
        return _default_state
