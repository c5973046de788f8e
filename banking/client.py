"""Banesco confirmation client: one `lookup()` that never raises for bank trouble.

requests.Session with connection pooling and explicit (connect, read) timeouts; tenacity retries
with exponential back-off and jitter on timeouts, connection errors, 5xx, 429/VRN05 and the
maintenance codes only, honouring `Retry-After` (capped); one token refresh and one retry on a
401/403 (or VRN01); a circuit breaker shared through the cache.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from datetime import date

import requests
import structlog
from requests.adapters import HTTPAdapter
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential_jitter

from . import metrics
from .breaker import CircuitBreaker
from .conf import BanescoConfig, get_config
from .errors import ConfigurationError, TokenError
from .parsing import parse_response
from .results import (
    CREDENTIAL_SETTINGS,
    GRANT_TYPE_SETTING,
    TOKEN_URL_SETTINGS,
    LookupResult,
    PermanentFailure,
    RetryableFailure,
    ShortCircuited,
)
from .token import TokenManager

log = structlog.get_logger(__name__)

MOBILE, TRANSFER, INTERBANK = "mobile", "transfer", "interbank"
MODES = (MOBILE, TRANSFER, INTERBANK)
BANESCO_BANK_ID = "0134"
TAIL_DIGITS = 6


@dataclass(frozen=True)
class LookupQuery:
    """One confirmation search, in the bank's terms (no model instance).

    * MOBILE (pago móvil): last 6 digits of the reference, payer phone `58…`, payer bank, start date.
    * TRANSFER (Banesco→Banesco): full reference, our account, bank 0134, no date.
    * INTERBANK (another bank → our Banesco account): last 6 digits, our account, payer bank, start date.
    """

    mode: str
    reference: str
    bank_id: str
    phone: str = ""  # 58XXXXXXXXXX (pago móvil only)
    start_date: date | None = None

    @classmethod
    def build(
        cls, *, mode: str, reference: str, bank_id: str, phone: str = "", start_date: date | None = None
    ) -> LookupQuery:
        """Normalise free input (a claim's fields, `banesco_check` flags) into the mode's own fields."""
        if mode not in MODES:
            raise ValueError(f"unknown look-up mode {mode!r}")
        digits = "".join(ch for ch in str(reference) if ch.isdigit())
        if mode == TRANSFER:
            return cls(mode=TRANSFER, reference=digits, bank_id=BANESCO_BANK_ID)
        if mode == INTERBANK:
            return cls(
                mode=INTERBANK, reference=digits[-TAIL_DIGITS:], bank_id=bank_id, start_date=start_date
            )
        phone = "".join(ch for ch in str(phone) if ch.isdigit())
        phone = "58" + phone[1:] if phone.startswith("0") else phone
        return cls(
            mode=MOBILE, reference=digits[-TAIL_DIGITS:], bank_id=bank_id, phone=phone, start_date=start_date
        )

    def fields(self, config: BanescoConfig) -> dict:
        """The `transaction` block: only the fields of this mode (any other field → 70001)."""
        if self.mode == MOBILE:
            return {
                "referenceNumber": self.reference,
                "phoneNum": self.phone,
                "bankId": self.bank_id,
                "startDt": self.start_date.isoformat() if self.start_date else "",
            }
        if self.mode == INTERBANK:
            return {
                "referenceNumber": self.reference,
                "accountId": config.account_id,
                "bankId": self.bank_id,
                "startDt": self.start_date.isoformat() if self.start_date else "",
            }
        return {"referenceNumber": self.reference, "accountId": config.account_id, "bankId": self.bank_id}

    def summary(self) -> dict:
        """What was asked, PII-safe (the payer phone masked), as stored on `BankLookup.request`."""
        phone = self.phone
        return {
            "mode": self.mode,
            "reference": self.reference,
            "bank_id": self.bank_id,
            "phone": (phone[:5] + "***" + phone[-4:]) if len(phone) > 9 else "",
            "start_date": self.start_date.isoformat() if self.start_date else "",
        }


def build_envelope(query: LookupQuery, config: BanescoConfig) -> dict:
    """The `dataRequest` body."""
    return {
        "dataRequest": {
            "device": {
                "type": config.device_type,
                "description": config.device_description,
                "ipAddress": config.device_ip,
            },
            "securityAuth": {"sessionId": ""},
            "transaction": query.fields(config),
        }
    }


def build_session(config: BanescoConfig, *, sandbox_state=None) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if config.uses_in_process_sandbox:
        from .sandbox.adapter import SandboxAdapter

        sandbox = SandboxAdapter(sandbox_state)
        for base in {config.api_base_url, config.token_url}:
            if base:
                parts = base.split("/", 3)
                session.mount("/".join(parts[:3]) + "/", sandbox)
    # Certificate verification is never off: the system store, or a private CA bundle.
    session.verify = config.ca_bundle or True
    session.headers.update({"User-Agent": "areamedica-backoffice/1.0"})
    return session


class BanescoClient:
    def __init__(
        self, config: BanescoConfig | None = None, *, session=None, sleep=time.sleep, sandbox_state=None
    ):
        self.config = config or get_config()
        self.session = session or build_session(self.config, sandbox_state=sandbox_state)
        self.sleep = sleep
        self.tokens = TokenManager(self.config, self.session, sleep=sleep)
        self.breaker = CircuitBreaker(self.config)
        self._backoff = wait_exponential_jitter(
            multiplier=self.config.retry_backoff_initial, max=self.config.retry_backoff_max
        )

    # -- public -------------------------------------------------------------------------------
    def lookup(self, query: LookupQuery) -> LookupResult:
        if not self.breaker.allow():
            metrics.LOOKUPS.labels(outcome="short_circuited", code="BREAKER_OPEN").inc()
            return ShortCircuited(code="BREAKER_OPEN", description="circuit breaker open", attempts=0)
        started = time.monotonic()
        attempts = 0

        def attempt() -> LookupResult:
            nonlocal attempts
            attempts += 1
            return self._attempt_with_refresh(query)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.config.retry_attempts)),
            wait=self._wait,
            retry=retry_if_result(lambda r: isinstance(r, RetryableFailure)),
            sleep=self.sleep,
            retry_error_callback=lambda state: state.outcome.result(),
            before_sleep=self._log_retry,
        )
        result = retrying(attempt)
        result = dataclasses.replace(
            result, attempts=attempts, duration_ms=int((time.monotonic() - started) * 1000)
        )
        if isinstance(result, RetryableFailure):
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        metrics.LOOKUPS.labels(outcome=result.kind, code=result.code or "-").inc()
        fault = result.config_fault
        if fault:
            metrics.CONFIG_FAULTS.labels(code=result.code or "-").inc()
        (log.error if fault else log.info)(
            "banesco.lookup",
            mode=query.mode,
            outcome=result.kind,
            code=result.code,
            http_status=result.http_status,
            attempts=attempts,
            duration_ms=result.duration_ms,
            **({"config_fault": f"check {fault}", "detail": result.description} if fault else {}),
        )
        return result

    # -- internals ----------------------------------------------------------------------------
    def _wait(self, retry_state) -> float:
        result = retry_state.outcome.result()
        if isinstance(result, RetryableFailure) and result.retry_after is not None:
            return min(result.retry_after, self.config.retry_after_cap)
        return self._backoff(retry_state)

    def _log_retry(self, retry_state) -> None:
        result = retry_state.outcome.result()
        log.warning(
            "banesco.lookup.retry",
            attempt=retry_state.attempt_number,
            code=getattr(result, "code", ""),
            wait_seconds=round(retry_state.upcoming_sleep, 3),
        )

    def _attempt_with_refresh(self, query: LookupQuery) -> LookupResult:
        try:
            token = self.tokens.get_token()
            result = self._post(query, token)
            if isinstance(result, PermanentFailure) and result.credentials:
                # Refresh once and retry once; a second refusal is a credentials problem.
                self.tokens.invalidate(token)
                token = self.tokens.get_token()
                result = self._post(query, token)
            return result
        except ConfigurationError as exc:
            return PermanentFailure(
                code=exc.code or "NOT_CONFIGURED", description=exc.message, credentials=True
            )
        except TokenError as exc:
            if exc.retryable:
                return RetryableFailure(
                    code="TOKEN_UNAVAILABLE", description=exc.message, http_status=exc.http_status
                )
            if exc.code == "unauthorized_client":
                setting = GRANT_TYPE_SETTING
            elif exc.http_status == 404:
                setting = TOKEN_URL_SETTINGS
            else:
                setting = CREDENTIAL_SETTINGS
            return PermanentFailure(
                code=f"TOKEN_{exc.code}".upper()[:32],
                description=exc.message,
                http_status=exc.http_status,
                credentials=True,
                setting=setting,
            )

    def _post(self, query: LookupQuery, token: str) -> LookupResult:
        envelope = build_envelope(query, self.config)
        started = time.monotonic()
        try:
            response = self.session.post(
                self.config.lookup_url,
                json=envelope,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.config.timeout,
            )
        except requests.Timeout as exc:
            return RetryableFailure(code="TIMEOUT", description=type(exc).__name__)
        except requests.ConnectionError as exc:
            return RetryableFailure(code="CONNECTION_ERROR", description=type(exc).__name__)
        except requests.RequestException as exc:
            return RetryableFailure(code="REQUEST_ERROR", description=type(exc).__name__)
        finally:
            metrics.LOOKUP_LATENCY.observe(time.monotonic() - started)
        return parse_response(response.status_code, response.text, response.headers)


_local = threading.local()


def get_client(config: BanescoConfig | None = None) -> BanescoClient:
    """A client per thread and configuration (so its session's connection pool is reused)."""
    config = config or get_config()
    clients = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    client = clients.get(config)
    if client is None:
        client = clients[config] = BanescoClient(config)
    return client
