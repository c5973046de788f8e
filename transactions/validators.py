"""Validation and normalisation of a payment claim's fields.

Pure functions: each takes the raw value and returns the normalised value, or raises
`django.core.exceptions.ValidationError` with a translatable message (Spanish and English).
The API serializers and `services.create_claim` both use them, so every writer validates the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from config.clock import caracas_today
from transactions.banks import BANKS, CENTRAL_BANK_CODE
from transactions.models import Bank, TransactionType

TRANSACTION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
PHONE_RE = re.compile(r"^04\d{9}$")
NATIONAL_ID_RE = re.compile(r"^[VEJGP]\d{4,9}$")
REFERENCE_RE = re.compile(r"^\d{6,20}$")
BANK_CODE_RE = re.compile(r"^\d{4}$")
_PHONE_ALLOWED_RE = re.compile(r"^\+?[\d\s().-]+$")
_WS_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bidirectional overrides/isolates: can disguise text in the admin and in exported files.
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")

AMOUNT_MAX_INTEGER_DIGITS = 12
AMOUNT_DECIMAL_PLACES = 2
FULL_NAME_MIN, FULL_NAME_MAX = 2, 200
CONCEPT_MAX = 500
METADATA_MAX_BYTES = 8 * 1024
NAME_SEPARATORS = " '’-"

MESSAGES = {
    "required": _("This field is required."),
    "required_pago_movil": _("This field is required for pago móvil."),
    "required_interbank": _(
        "This field is required for interbank transfers (payer bank other than Banesco)."
    ),
    "not_text": _("A text value is required."),
    "transaction_id": _("Use 1 to 100 characters: letters, digits, '-' or '_'."),
    "phone": _("Enter a Venezuelan mobile number such as 04141234567 (+58 414-1234567 is accepted)."),
    "national_id": _("Enter a national id such as V12345678 (a letter V, E, J, G or P and 4 to 9 digits)."),
    "reference": _("The bank reference must have 6 to 20 digits and nothing else."),
    "bank_code_format": _("The bank code must have exactly 4 digits."),
    "bank_code_unknown": _("Unknown Venezuelan bank code: %(code)s."),
    "bank_code_central": _(
        "%(code)s is the Banco Central de Venezuela, which holds no customer accounts: "
        "choose the payer's bank."
    ),
    "amount_invalid": _("Enter a valid amount, such as 150.25."),
    "amount_positive": _("The amount must be greater than zero."),
    "amount_decimals": _("The amount may have at most 2 decimal places."),
    "amount_too_large": _("The amount may have at most 12 digits before the decimal point."),
    "date_invalid": _("Enter a valid date in the format YYYY-MM-DD."),
    "date_future": _("The payment date cannot be in the future."),
    "date_too_old": _("The payment date cannot be more than %(days)s days ago."),
    "full_name_length": _("The full name must have between 2 and 200 characters."),
    "full_name_chars": _("The full name may contain only letters, spaces, apostrophes and hyphens."),
    "concept_length": _("The concept may have at most 500 characters."),
    "metadata_type": _("metadata must be a JSON object."),
    "metadata_size": _("metadata may be at most 8 KB once serialised."),
    "metadata_nul": _("metadata may not contain NUL characters."),
    "choice": _("%(value)s is not a valid choice. Valid choices: %(choices)s."),
}


def _error(key: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[key], code=key, params=params or None)


def _text(value: Any) -> str:
    if value is None:
        raise _error("required")
    if not isinstance(value, str):
        raise _error("not_text")
    return value


def validate_transaction_id(value: Any) -> str:
    value = _text(value).strip()
    if not TRANSACTION_ID_RE.match(value):
        raise _error("transaction_id")
    return value


def normalize_phone(value: Any) -> str:
    """Accept `04141234567`, `0414 123 4567`, `+58 414-1234567`, `584141234567`; return `04141234567`."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    value = _text(value).strip()
    if not value or not _PHONE_ALLOWED_RE.match(value):
        raise _error("phone")
    digits = re.sub(r"\D", "", value)
    if digits.startswith("58") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif digits.startswith("4") and len(digits) == 10:
        digits = "0" + digits
    if not PHONE_RE.match(digits):
        raise _error("phone")
    return digits


def normalize_national_id(value: Any) -> str:
    """Accept `v-12.345.678`, `V 12345678`; return `V12345678`."""
    value = _text(value)
    cleaned = re.sub(r"[\s.\-]", "", value).upper()
    if not NATIONAL_ID_RE.match(cleaned):
        raise _error("national_id")
    return cleaned


def validate_reference(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    value = _text(value).strip()
    if not REFERENCE_RE.match(value):
        raise _error("reference")
    return value


def validate_bank_code(value: Any) -> str:
    value = _text(value).strip()
    if not BANK_CODE_RE.match(value):
        raise _error("bank_code_format")
    if value == CENTRAL_BANK_CODE:
        raise _error("bank_code_central", code=value)
    if value not in BANKS:
        raise _error("bank_code_unknown", code=value)
    return value


def parse_amount(value: Any) -> Decimal:
    """A positive amount with at most 2 decimals and 12 integer digits.

    JSON numbers arrive as int/float: they are converted through `str` (never `Decimal(float)`),
    so 10.1 stays 10.1 and 10.123 is rejected rather than silently rounded.
    """
    if value is None:
        raise _error("required")
    if isinstance(value, bool):
        raise _error("amount_invalid")
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _error("amount_invalid") from None
    if not amount.is_finite():
        raise _error("amount_invalid")
    if amount <= 0:
        raise _error("amount_positive")
    if amount.adjusted() + 1 > AMOUNT_MAX_INTEGER_DIGITS:
        raise _error("amount_too_large")
    # Trailing zeros beyond 2 places (10.500) are harmless; real extra precision is not.
    quantized = amount.quantize(Decimal("0.01"))
    if quantized != amount:
        raise _error("amount_decimals")
    amount = quantized
    return amount


def validate_payment_date(value: Any) -> dt.date:
    if value is None:
        raise _error("required")
    if isinstance(value, dt.datetime):
        raise _error("date_invalid")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _error("date_invalid") from None
        if len(value.strip()) != 10:
            raise _error("date_invalid")
    else:
        raise _error("date_invalid")
    today = caracas_today()
    if day > today:
        raise _error("date_future")
    max_age = settings.PAYMENT_DATE_MAX_AGE_DAYS
    if day < today - dt.timedelta(days=max_age):
        raise _error("date_too_old", days=max_age)
    return day


def normalize_full_name(value: Any) -> str:
    """Letters (any script, accents, ñ), spaces, apostrophes and hyphens; whitespace collapsed."""
    value = unicodedata.normalize("NFC", _text(value))
    value = _WS_RE.sub(" ", value).strip()
    if not FULL_NAME_MIN <= len(value) <= FULL_NAME_MAX:
        raise _error("full_name_length")
    if not value[0].isalpha() or any(not (ch.isalpha() or ch in NAME_SEPARATORS) for ch in value):
        raise _error("full_name_chars")
    return value


def clean_concept(value: Any) -> str:
    """Strip markup and control characters, collapse whitespace; at most 500 characters."""
    if value is None:
        return ""
    value = strip_tags(_text(value))
    value = _BIDI_RE.sub("", _CONTROL_RE.sub("", value))
    value = _WS_RE.sub(" ", value).strip()
    if len(value) > CONCEPT_MAX:
        raise _error("concept_length")
    return value


def validate_metadata(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _error("metadata_type")
    try:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError):
        raise _error("metadata_type") from None
    if size > METADATA_MAX_BYTES:
        raise _error("metadata_size")
    if _has_nul(value):
        # PostgreSQL's jsonb cannot store \u0000.
        raise _error("metadata_nul")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def validate_choice(value: Any, choices) -> str:
    values = list(choices.values)
    if not isinstance(value, str) or value not in values:
        raise _error("choice", value=str(value)[:50], choices=", ".join(values))
    return value


def validate_bank(value: Any) -> str:
    return validate_choice(value, Bank)


def validate_transaction_type(value: Any) -> str:
    return validate_choice(value, TransactionType)


# Model field -> normaliser. `clean_claim` runs them all.
CLAIM_FIELDS = {
    "transaction_id": validate_transaction_id,
    "bank": validate_bank,
    "transaction_type": validate_transaction_type,
    "reference": validate_reference,
    "amount": parse_amount,
    "payment_date": validate_payment_date,
    "payer_bank_code": validate_bank_code,
    "customer_full_name": normalize_full_name,
    "customer_phone": normalize_phone,
    "customer_national_id": normalize_national_id,
    "concept": clean_concept,
    "metadata": validate_metadata,
}
CONDITIONAL_FIELDS = ("payer_bank_code", "payment_date")
OPTIONAL_DEFAULTS = {
    "transaction_type": TransactionType.TRANSACTION.value,
    "concept": "",
    "metadata": {},
    "amount": None,  # the bank tells the amount (`bank_amount`); when given it must equal it
}
BANESCO_CODE = "0134"
# The bank finds a transfer by its reference alone: the customer's phone and national id are
# optional there (the manager UI's full-reference form); pago móvil needs both.
OPTIONAL_FOR_TRANSFERS = ("customer_phone", "customer_national_id")


def _conditional_fields(data: dict, cleaned: dict, errors: dict) -> None:
    """`payer_bank_code` and `payment_date` by look-up mode (DESIGN.md section 4).

    Pago móvil needs both. A BANESCO transfer defaults to Banesco→Banesco (payer 0134), which the
    bank finds without a date; from another bank (interbank) it needs the date.
    """
    bank = cleaned.get("bank")
    for field, fn in (("payer_bank_code", validate_bank_code), ("payment_date", validate_payment_date)):
        if data.get(field) is not None:
            try:
                cleaned[field] = fn(data[field])
            except ValidationError as exc:
                errors[field] = exc.error_list
    if bank == Bank.MOBILE_TRANSFER:
        for field in ("payer_bank_code", "payment_date"):
            if data.get(field) is None:
                errors[field] = [_error("required_pago_movil")]
    elif bank == Bank.BANESCO:
        if data.get("payer_bank_code") is None:
            cleaned["payer_bank_code"] = BANESCO_CODE
        if data.get("payment_date") is None:
            if cleaned.get("payer_bank_code", BANESCO_CODE) != BANESCO_CODE:
                errors["payment_date"] = [_error("required_interbank")]
            else:
                cleaned["payment_date"] = None


def clean_claim(data: dict) -> dict:
    """Validate and normalise a flat claim payload (model field names).

    Returns the cleaned dict; raises ValidationError({field: [messages]}) listing every bad field.
    Unknown keys are rejected, so nothing is silently dropped.
    """
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {}
    unknown = sorted(set(data) - set(CLAIM_FIELDS))
    for key in unknown:
        errors[key] = [ValidationError(_("Unknown field."), code="unknown_field")]
    for field, fn in CLAIM_FIELDS.items():
        if field in CONDITIONAL_FIELDS:
            continue
        if field not in data or data[field] is None:
            if field in OPTIONAL_DEFAULTS:
                default = OPTIONAL_DEFAULTS[field]
                cleaned[field] = dict(default) if isinstance(default, dict) else default
                continue
            if field in OPTIONAL_FOR_TRANSFERS and cleaned.get("bank") == Bank.BANESCO:
                cleaned[field] = ""
                continue
            errors[field] = [_error("required")]
            continue
        try:
            cleaned[field] = fn(data[field])
        except ValidationError as exc:
            errors[field] = exc.error_list
    _conditional_fields(data, cleaned, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned
