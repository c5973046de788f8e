"""Every bank answer shape → the right typed result (body read before the HTTP status)."""

import json
from decimal import Decimal

import pytest

from banking.parsing import decode_body, normalise_bank_id, parse_amount, parse_body, parse_response
from banking.results import Found, NotFound, PermanentFailure, RetryableFailure


def body(code, desc="", rows=None):
    out = {"httpStatus": {"statusCode": code, "statusDesc": desc}}
    if rows is not None:
        out["dataResponse"] = {"transactionDetail": rows}
    return json.dumps(out)


ROW = {
    "referenceNumber": "012345678901",
    "amount": 150.0,
    "currencyCode": "BS ",
    "trnDate": "2025-01-10",
    "trnType": "CR",
    "sourceBankId": "0102",
    "destBankId": "0134",
}


@pytest.mark.parametrize("code", ["200", 200, " 200 "])
def test_status_code_as_string_or_number(code):
    result = parse_response(200, body(code, "OK", [ROW]))
    assert isinstance(result, Found)
    assert result.code == "200"
    assert result.rows[0].amount == Decimal("150.00")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (150, "150"),
        (150.5, "150.50"),
        ("150.50", "150.50"),
        (" 1.234,56 ", "1234.56"),
        ("1,234.56", "1234.56"),
        ("99,9", "99.90"),
        ("abc", None),
        (None, None),
    ],
)
def test_amounts_strings_or_numbers(raw, expected):
    value = parse_amount(raw)
    assert value == (Decimal(expected) if expected is not None else None)


def test_quirky_row_is_normalised():
    quirky = dict(
        ROW,
        referenceNumber="  012345678901 ",
        amount="150.00",
        trnType="CR ",
        sourceBankId="102",
        destBankId=134,
        concept="  Pago  ",
    )
    result = parse_response(200, body(200, "OK", [quirky]))
    row = result.rows[0]
    assert (row.reference, row.amount, row.trn_type, row.source_bank_id, row.dest_bank_id, row.concept) == (
        "012345678901",
        Decimal("150.00"),
        "CR",
        "0102",
        "0134",
        "Pago",
    )
    assert row.is_credit
    assert normalise_bank_id("134") == "0134"


@pytest.mark.parametrize("http_status", [200, 400])
def test_70001_is_not_found_whatever_the_http_status(http_status):
    result = parse_response(http_status, body("70001", "Consulta sin resultados"))
    assert isinstance(result, NotFound)
    assert result.raw["httpStatus"]["statusCode"] == "70001"


def test_70001_as_number_and_empty_detail():
    assert isinstance(parse_response(200, body(70001)), NotFound)
    assert isinstance(parse_response(200, body("200", "OK", [])), NotFound)


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [(503, "VRN04", None), (503, "CRT503", None), (429, "VRN05", 7.0), (424, "VRN06", None)],
)
def test_retryable_codes(status, code, retry_after):
    headers = {"Retry-After": "7"} if retry_after else {}
    result = parse_response(status, body(code, "x"), headers)
    assert isinstance(result, RetryableFailure)
    assert result.code == code
    assert result.retry_after == retry_after


@pytest.mark.parametrize("code", ["VDE01", "VDE02", "70005"])
def test_validation_codes_are_permanent(code):
    result = parse_response(400, body(code, "bad"))
    assert isinstance(result, PermanentFailure)
    assert not result.credentials


def test_vrn01_and_401_are_credentials():
    assert parse_response(401, body("VRN01", "Credenciales")).credentials
    result = parse_response(
        401, json.dumps({"error": "invalid_token", "error_description": "Token is not active"})
    )
    assert isinstance(result, PermanentFailure) and result.credentials
    assert parse_response(403, "<html>Forbidden</html>").credentials


@pytest.mark.parametrize(
    ("status", "text", "code"),
    [
        (200, '{"httpStatus": {"statusCode": "200"', "MALFORMED"),
        (502, "<html>Bad Gateway</html>", "HTTP502"),
        (500, '{"error": "boom"}', "HTTP500"),
        (429, "", "HTTP429"),
        (200, "[1, 2]", "MALFORMED"),
    ],
)
def test_malformed_html_and_5xx_are_retryable(status, text, code):
    result = parse_response(status, text)
    assert isinstance(result, RetryableFailure)
    assert result.code == code


def test_body_is_read_before_http_status():
    # HTTP 500 but the body says 70001: the body wins.
    assert isinstance(parse_response(500, body("70001")), NotFound)
    # HTTP 200 but the body says maintenance.
    assert isinstance(parse_response(200, body("VRN04")), RetryableFailure)


def test_unknown_code_with_4xx_is_permanent():
    result = parse_response(400, body("XYZ99", "?"))
    assert isinstance(result, PermanentFailure) and result.code == "XYZ99"


def test_plain_text_404_is_a_configuration_fault_naming_the_setting():
    result = parse_response(404, "404 No Mapping Rule matched")
    assert isinstance(result, PermanentFailure) and result.code == "HTTP404"
    assert result.config_fault == "BANESCO_API_BASE_URL / BANESCO_LOOKUP_PATH"
    assert result.raw == "404 No Mapping Rule matched"


def test_a_stored_body_parses_to_the_same_result():
    text = body("200", rows=[{"referenceNumber": "150496", "amount": 10, "trnType": "CR"}])
    stored = decode_body(text)
    assert parse_body(200, stored) == parse_response(200, text)
    assert parse_body(404, decode_body("404 No Mapping Rule matched")).config_fault
