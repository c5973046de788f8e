"""The simulator's request handling, shared by the in-process adapter and the HTTP server."""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, unquote

from .state import REALMS, SandboxState

TOKEN_PATH_RE = re.compile(r"^/auth/realms/(?P<realm>[^/]+)/protocol/openid-connect/token/?$")
# Each flavour serves its own path; the other one gets the gateway's plain-text 404, as Banesco's
# production host does for the QA path.
LOOKUP_PATHS = {
    "qa": "/transactions/financial-account/transactions",
    "production": "/financial-account/transactions",
}
NO_MAPPING = b"404 No Mapping Rule matched"
CONTROL_PREFIX = "/__sandbox__/"
MOBILE_FIELDS = frozenset({"referenceNumber", "phoneNum", "bankId", "startDt"})
TRANSFER_FIELDS = frozenset({"referenceNumber", "accountId", "bankId"})
INTERBANK_FIELDS = frozenset({"referenceNumber", "accountId", "bankId", "startDt"})
BANESCO_ID = "0134"
TAIL = 6
PHONE_RE = re.compile(r"^58\d{10}$")
BANK_RE = re.compile(r"^\d{4}$")
HTML_ERROR = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0  # seconds to wait before answering (latency)
    hang: bool = False  # never answer in time (timeout fault)


def _json(status: int, payload, **headers) -> SandboxResponse:
    return SandboxResponse(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers}
    )


def _bank(status: int, code: str, desc: str, **headers) -> SandboxResponse:
    return _json(status, {"httpStatus": {"statusCode": code, "statusDesc": desc}}, **headers)


def _header(headers, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return ""


def handle(state: SandboxState, method: str, path: str, headers, body: bytes | str | None) -> SandboxResponse:
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    path = path.split("?", 1)[0]
    delay = state.latency_ms / 1000.0
    if path.startswith(CONTROL_PREFIX):
        return _control(state, method, path[len(CONTROL_PREFIX) :].strip("/"), body)
    match = TOKEN_PATH_RE.match(path)
    if match and method == "POST":
        response = _token(state, match.group("realm"), headers, body)
    elif path.rstrip("/") == LOOKUP_PATHS[state.flavour] and method == "POST":
        response = _lookup(state, headers, body)
    elif method == "POST" and path.rstrip("/") in LOOKUP_PATHS.values():
        state.count_lookup("")
        response = SandboxResponse(404, NO_MAPPING, {"Content-Type": "text/plain"})
    else:
        response = _json(404, {"error": "not_found", "error_description": f"no route {method} {path}"})
    response.delay += delay
    return response


# -- token endpoint (Keycloak) -----------------------------------------------------------------
def _token(state: SandboxState, realm: str, headers, body: bytes) -> SandboxResponse:
    state.count_token()
    if realm not in REALMS:
        return _json(401, {"error": "invalid_realm", "error_description": f"Realm does not exist: {realm}"})
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = _header(headers, "Authorization")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id, client_secret = unquote(client_id), unquote(client_secret)
        except (ValueError, UnicodeDecodeError):
            client_id = client_secret = ""
    if client_id != state.client_id or client_secret != state.client_secret:
        return _json(
            401,
            {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"},
        )
    grant = form.get("grant_type", "")
    if grant == "client_credentials":
        return _json(
            400,
            {
                "error": "unauthorized_client",
                "error_description": "Client not enabled to retrieve service account",
            },
        )
    if grant != "password":
        return _json(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
    if form.get("username") != state.client_id or form.get("password") != state.client_secret:
        return _json(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
    token = secrets.token_urlsafe(32)
    state.issue_token(token)
    return _json(
        200,
        {
            "access_token": token,
            "expires_in": 300,
            "refresh_expires_in": 1800,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        },
    )


# -- confirmation lookup -----------------------------------------------------------------------
def _token_refused(state: SandboxState) -> SandboxResponse:
    """A bad or missing token: 401 in QA, 403 in production."""
    status = 401 if state.flavour == "qa" else 403
    return _json(status, {"error": "invalid_token", "error_description": "Token is not active"})


def _tail_match(theirs: str, ours: str) -> bool:
    """The bank finds a transfer by its full reference or its tail (`00000150496` and `150496`)."""
    theirs, ours = theirs.lstrip("0"), ours.lstrip("0")
    return bool(ours) and (theirs == ours or (len(ours) >= TAIL and theirs.endswith(ours)))


def _lookup(state: SandboxState, headers, body: bytes) -> SandboxResponse:
    auth = _header(headers, "Authorization")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    if not token or not state.token_valid(token):
        return _token_refused(state)  # (not counted: the counters are look-ups made with a live token)

    try:
        payload = json.loads(body.decode("utf-8"))
        tx = payload["dataRequest"]["transaction"]
        if not isinstance(tx, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return _bank(400, "VDE01", "Estructura de la solicitud inválida")
    reference = str(tx.get("referenceNumber") or "").strip()
    state.count_lookup(reference, tx)

    fault = state.take_fault()
    if fault == "expired_token":
        state.expire_token(token)
        return _token_refused(state)
    if fault == "vrn01":
        return _bank(401, "VRN01", "Credenciales inválidas")
    if fault == "timeout":
        return SandboxResponse(504, HTML_ERROR, {"Content-Type": "text/html"}, hang=True)
    if fault == "5xx":
        return _json(500, {"error": "internal_error"})
    if fault == "html":
        return SandboxResponse(502, HTML_ERROR, {"Content-Type": "text/html"})
    if fault == "429":
        return _bank(429, "VRN05", "Límite de consultas excedido", **{"Retry-After": "1"})
    if fault == "maintenance":
        return _bank(503, "VRN04", "Servicio en mantenimiento")
    if fault == "crt503":
        return _bank(503, "CRT503", "Servicio no disponible")
    if fault == "vrn06":
        return _bank(424, "VRN06", "Falla en servicio dependiente")
    if fault == "malformed":
        return SandboxResponse(200, b'{"httpStatus": {"statusCode": "200", "statusDesc": "OK"}, "dataRes')

    present = {k for k, v in tx.items() if k != "amount" and str(v if v is not None else "").strip()}
    not_found = _bank(200 if state.flavour == "qa" else 400, "70001", "Consulta sin resultados")
    bank_id = str(tx.get("bankId") or "").strip()
    if present and not BANK_RE.match(bank_id):
        return _bank(400, "VDE02", "Código de banco inválido")
    account = str(tx.get("accountId") or "").strip()
    if "*" in account:
        return _bank(400, "VDE01", "Número de cuenta inválido")
    start = None
    if "startDt" in present:
        try:
            start = date.fromisoformat(str(tx["startDt"]).strip())
        except ValueError:
            return _bank(400, "VDE02", "Fecha inválida")
    if present == MOBILE_FIELDS:
        phone = str(tx["phoneNum"]).strip()
        if not PHONE_RE.match(phone):
            return _bank(400, "VDE02", "Número de teléfono inválido")
        rows = state.matching(
            lambda p: (
                p.mode == "mobile"
                and p.reference[-TAIL:] == reference
                and p.phone == phone
                and p.source_bank_id == bank_id
                and p.trn_date >= start
            )
        )
    elif present == TRANSFER_FIELDS and bank_id == BANESCO_ID:
        rows = state.matching(
            lambda p: (
                p.mode == "transfer"
                and p.source_bank_id == BANESCO_ID
                and p.account_id == account
                and _tail_match(p.reference, reference)
            )
        )
    elif present == INTERBANK_FIELDS and bank_id != BANESCO_ID:
        rows = state.matching(
            lambda p: (
                p.mode == "transfer"
                and p.source_bank_id == bank_id
                and p.account_id == account
                and p.reference[-TAIL:] == reference
                and p.trn_date >= start
            )
        )
    else:
        rows = []  # a field that does not belong to the search mode: the bank finds nothing
    if not rows:
        return not_found
    return _json(
        200,
        {
            "httpStatus": {"statusCode": 200 if state.quirk("status_number") else "200", "statusDesc": "OK"},
            "dataResponse": {"transactionDetail": [_row(state, p) for p in rows]},
        },
    )


def _row(state: SandboxState, p) -> dict:
    pad = (lambda s: f"  {s} ") if state.quirk("space_padded") else (lambda s: s)
    bank = (lambda b: b.lstrip("0")) if state.quirk("bank_id_unpadded") else (lambda b: b)
    amount = f"{p.amount:.2f}" if state.quirk("amount_string") else float(p.amount)
    # Transfers come back without leading zeros (the bank stores them as numbers).
    reference = p.reference.lstrip("0") if p.mode == "transfer" else p.reference
    if state.quirk("other_reference"):
        reference = "9" + reference[::-1][1:]  # another payment's reference, same length
    return {
        "referenceNumber": pad(reference),
        "amount": amount,
        "currencyCode": "USD" if state.quirk("other_currency") else "BS ",
        "accountId": p.account_id[:4] + "*" * 12 + p.account_id[-4:],
        "trnDate": p.trn_date.isoformat(),
        "trnTime": p.trn_time,
        "trnType": pad(p.trn_type),
        "sourceBankId": bank(p.source_bank_id),
        "destBankId": bank(p.dest_bank_id),
        "concept": pad(p.concept),
        "customerIdBen": p.customer_id_ben,
    }


# -- control endpoint (tests and demos) --------------------------------------------------------
def _control(state: SandboxState, method: str, action: str, body: bytes) -> SandboxResponse:
    try:
        data = json.loads(body.decode() or "{}") if body else {}
    except ValueError:
        return _json(400, {"error": "invalid_json"})
    try:
        if method == "GET" and action in ("", "counters"):
            return _json(200, state.counters())
        if method == "GET" and action == "requests":
            return _json(200, state.requests())
        if method == "POST" and action == "payments":
            items = data if isinstance(data, list) else [data]
            added = [state.add_payment(**item).as_json() for item in items]
            return _json(201, {"added": added})
        if method == "POST" and action == "faults":
            if data.get("clear"):
                state.clear_faults()
            if data.get("fault"):
                state.set_fault(data["fault"], data.get("count"))
            if "latency_ms" in data:
                state.latency_ms = int(data["latency_ms"])
            if "timeout_seconds" in data:
                state.timeout_seconds = float(data["timeout_seconds"])
            if data.get("flavour") in ("qa", "production"):
                state.flavour = data["flavour"]
            return _json(200, state.counters())
        if method == "POST" and action == "reset":
            state.reset(seed_demo=bool(data.get("seed_demo", True)))
            return _json(200, state.counters())
    except (TypeError, ValueError, KeyError) as exc:
        return _json(400, {"error": "invalid_request", "error_description": str(exc)})
    return _json(404, {"error": "not_found"})
