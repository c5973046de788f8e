import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from config.clock import caracas_today
from transactions import validators as v


def _messages(fn, value, lang):
    with translation.override(lang):
        with pytest.raises(ValidationError) as exc:
            fn(value)
        return " ".join(str(m) for m in exc.value.messages)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("04141234567", "04141234567"),
        ("0414 123 4567", "04141234567"),
        ("0414-1234567", "04141234567"),
        ("+58 414-1234567", "04141234567"),
        ("58 414 1234567", "04141234567"),
        ("584241234567", "04241234567"),
        ("(0412) 123.45.67", "04121234567"),
    ],
)
def test_phone_accepts_and_normalises(raw, expected):
    assert v.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "0414123456", "041412345678", "02121234567", "+1 414 1234567", "0414abc4567", None, 4.5]
)
def test_phone_rejects(raw):
    with pytest.raises(ValidationError):
        v.normalize_phone(raw)


def test_phone_message_in_spanish_and_english():
    assert "Venezuelan mobile number" in _messages(v.normalize_phone, "123", "en")
    assert "número de teléfono móvil venezolano" in _messages(v.normalize_phone, "123", "es")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("V12345678", "V12345678"),
        ("v-12.345.678", "V12345678"),
        ("E 1234", "E1234"),
        ("J123456789", "J123456789"),
    ],
)
def test_national_id_normalises(raw, expected):
    assert v.normalize_national_id(raw) == expected


@pytest.mark.parametrize("raw", ["X12345678", "V123", "V1234567890", "12345678", "V-12a45", ""])
def test_national_id_rejects(raw):
    with pytest.raises(ValidationError):
        v.normalize_national_id(raw)


def test_national_id_messages():
    assert "national id" in _messages(v.normalize_national_id, "X1", "en")
    assert "cédula" in _messages(v.normalize_national_id, "X1", "es")


@pytest.mark.parametrize("raw", ["123456", "12345678901234567890", " 001234567 "])
def test_reference_ok(raw):
    assert v.validate_reference(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["12345", "123456789012345678901", "12-3456", "abcdef", ""])
def test_reference_rejects(raw):
    with pytest.raises(ValidationError):
        v.validate_reference(raw)


def test_reference_messages():
    assert "6 to 20 digits" in _messages(v.validate_reference, "1", "en")
    assert "entre 6 y 20 dígitos" in _messages(v.validate_reference, "1", "es")


def test_bank_code_known_and_unknown():
    assert v.validate_bank_code("0134") == "0134"
    assert "4 digits" in _messages(v.validate_bank_code, "134", "en")
    assert "4 dígitos" in _messages(v.validate_bank_code, "134", "es")
    assert "Unknown Venezuelan bank code: 0999" in _messages(v.validate_bank_code, "0999", "en")
    assert "desconocido: 0999" in _messages(v.validate_bank_code, "0999", "es")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10", Decimal("10.00")),
        (10, Decimal("10.00")),
        (10.1, Decimal("10.10")),
        ("1500.50", Decimal("1500.50")),
        ("0.01", Decimal("0.01")),
        ("10.500", Decimal("10.50")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_amount_ok(raw, expected):
    got = v.parse_amount(raw)
    assert got == expected
    assert got.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("10.123", "at most 2 decimal places"),
        (10.123, "at most 2 decimal places"),
        ("1000000000000", "at most 12 digits"),
        (1e20, "at most 12 digits"),
        ("1e400", "at most 12 digits"),
        ("abc", "valid amount"),
        ("NaN", "valid amount"),
        ("Infinity", "valid amount"),
        (True, "valid amount"),
    ],
)
def test_amount_rejects(raw, key):
    assert key in _messages(v.parse_amount, raw, "en")


def test_amount_messages_in_spanish():
    assert "mayor que cero" in _messages(v.parse_amount, "0", "es")
    assert "2 decimales" in _messages(v.parse_amount, "1.234", "es")


def test_payment_date_window(settings):
    settings.PAYMENT_DATE_MAX_AGE_DAYS = 30
    today = caracas_today()
    assert v.validate_payment_date(today.isoformat()) == today
    assert v.validate_payment_date(today - dt.timedelta(days=30)) == today - dt.timedelta(days=30)
    assert "future" in _messages(v.validate_payment_date, today + dt.timedelta(days=1), "en")
    assert "futura" in _messages(v.validate_payment_date, today + dt.timedelta(days=1), "es")
    assert "30 days ago" in _messages(v.validate_payment_date, today - dt.timedelta(days=31), "en")
    assert "30 días" in _messages(v.validate_payment_date, today - dt.timedelta(days=31), "es")
    for bad in ("2025-13-01", "14/03/2025", "20250314", "", 20250314):
        with pytest.raises(ValidationError):
            v.validate_payment_date(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("María José Pérez", "María José Pérez"),
        ("  Ñandú   O'Neil-Smith ", "Ñandú O'Neil-Smith"),
        ("Lo", "Lo"),
        ("Jose\u0301", "José"),  # decomposed accent -> NFC
    ],
)
def test_full_name_ok(raw, expected):
    assert v.normalize_full_name(raw) == expected


@pytest.mark.parametrize("raw", ["A", "x" * 201, "Juan2", "<b>Juan</b>", "Juan_Perez", "-Juan", "Ana@x"])
def test_full_name_rejects(raw):
    with pytest.raises(ValidationError):
        v.normalize_full_name(raw)


def test_full_name_messages():
    assert "only letters" in _messages(v.normalize_full_name, "Juan2", "en")
    assert "solo puede contener letras" in _messages(v.normalize_full_name, "Juan2", "es")
    assert "between 2 and 200" in _messages(v.normalize_full_name, "A", "en")


def test_concept_strips_markup_and_limits_length():
    assert (
        v.clean_concept("<script>alert(1)</script> Pago   de\n<b>consulta</b>") == "alert(1) Pago de consulta"
    )
    assert v.clean_concept(None) == ""
    assert v.clean_concept("x" * 500) == "x" * 500
    assert "at most 500" in _messages(v.clean_concept, "x" * 501, "en")
    assert "500 caracteres" in _messages(v.clean_concept, "x" * 501, "es")


def test_metadata_object_and_size():
    assert v.validate_metadata({"a": 1}) == {"a": 1}
    assert v.validate_metadata(None) == {}
    assert v.validate_metadata({"k": "x" * 8000}) == {"k": "x" * 8000}
    assert "JSON object" in _messages(v.validate_metadata, [1, 2], "en")
    assert "objeto JSON" in _messages(v.validate_metadata, "text", "es")
    assert "8 KB" in _messages(v.validate_metadata, {"k": "x" * 8200}, "en")


@pytest.mark.parametrize("raw", ["a", "ABC_123-x", "x" * 100])
def test_transaction_id_ok(raw):
    assert v.validate_transaction_id(raw) == raw


@pytest.mark.parametrize("raw", ["", "x" * 101, "a b", "a/b", "ñ", "a.b"])
def test_transaction_id_rejects(raw):
    with pytest.raises(ValidationError):
        v.validate_transaction_id(raw)


def test_choices():
    assert v.validate_bank("BANESCO") == "BANESCO"
    assert v.validate_transaction_type("COMMISSION") == "COMMISSION"
    assert "not a valid choice" in _messages(v.validate_bank, "PAYPAL", "en")
    assert "no es una opción válida" in _messages(v.validate_transaction_type, "GIFT", "es")


def test_clean_claim_lists_every_bad_field_and_unknown_keys():
    with pytest.raises(ValidationError) as exc:
        v.clean_claim({"transaction_id": "ok", "amount": "-1", "surprise": 1})
    fields = set(exc.value.message_dict)
    assert {"amount", "surprise", "bank", "reference", "customer_phone"} <= fields
    assert "transaction_id" not in fields


def test_metadata_rejects_nul_anywhere_and_concept_drops_controls():
    for bad in ({"k": "a\x00b"}, {"a\x00": 1}, {"k": [{"x": "\x00"}]}):
        assert "NUL" in _messages(v.validate_metadata, bad, "en")
    assert "caracteres NUL" in _messages(v.validate_metadata, {"k": "\x00"}, "es")
    assert v.clean_concept("\u202eevil\x00nul\u2066") == "evilnul"
