"""Row matching, table-driven: does one bank row support a claim (transactions.matching)?"""

from decimal import Decimal

import pytest

from banking.results import BankRow
from transactions.matching import match_rows, references_match, row_verdict


def row(reference="012345678901", amount="150.00", trn_type="CR", currency="BS "):
    return BankRow(
        reference=reference,
        amount=None if amount is None else Decimal(amount),
        trn_type=trn_type,
        currency=currency,
    )


CLAIM_REF = "012345678901"


@pytest.mark.parametrize(
    ("bank_row", "claimed", "verdict"),
    [
        (row(), Decimal("150.00"), ""),
        (row(), None, ""),  # no claimed amount: any amount supports
        (row(reference="12345678901"), Decimal("150.00"), ""),  # leading zero dropped by the bank
        (row(reference="345678901"), Decimal("150.00"), ""),  # tail of 9 digits
        (row(reference="678901"), Decimal("150.00"), ""),  # tail of exactly 6 digits
        (row(reference="78901"), Decimal("150.00"), "REFERENCE_MISMATCH"),  # 5 digits: too short
        (row(reference="012345678902"), Decimal("150.00"), "REFERENCE_MISMATCH"),
        (row(reference="9012345678901"), Decimal("150.00"), ""),  # the claim is the tail of the row
        (row(currency="VES"), Decimal("150.00"), ""),
        (row(currency=" bs"), Decimal("150.00"), ""),
        (row(currency="USD"), Decimal("150.00"), "CURRENCY_MISMATCH"),
        (row(currency=""), Decimal("150.00"), "CURRENCY_MISMATCH"),
        (row(amount="149.99"), Decimal("150.00"), "AMOUNT_MISMATCH"),
        (row(amount=None), None, "AMOUNT_MISMATCH"),  # no amount to record
        (row(trn_type="DB"), Decimal("150.00"), "DEBIT"),
        (row(trn_type="DB", reference="999999999"), Decimal("150.00"), "REFERENCE_MISMATCH"),
    ],
)
def test_row_verdict(bank_row, claimed, verdict):
    assert row_verdict(bank_row, reference=CLAIM_REF, amount=claimed) == verdict


@pytest.mark.parametrize(
    ("rows", "claimed", "code", "picked"),
    [
        ([row()], Decimal("150.00"), "VERIFIED", 0),
        ([row(reference="555555555555"), row()], Decimal("150.00"), "VERIFIED", 1),  # others ignored
        ([row(), row()], Decimal("150.00"), "SEVERAL_ROWS", None),
        ([row(), row(trn_type="DB")], Decimal("150.00"), "DEBIT", 1),  # a reversal needs a person
        ([row(amount="99.99")], Decimal("100.00"), "AMOUNT_MISMATCH", 0),
        ([row(amount="1"), row(amount="2")], Decimal("3"), "AMOUNT_MISMATCH", None),
        ([row(reference="555555555555", currency="USD")], None, "REFERENCE_MISMATCH", 0),
        ([row(currency="USD"), row(reference="555555555555")], None, "CURRENCY_MISMATCH", 0),
        ([row(trn_type="DB", reference="555555555555")], None, "NO_CREDIT", None),
    ],
)
def test_match_rows(rows, claimed, code, picked):
    match = match_rows(rows, reference=CLAIM_REF, amount=claimed)
    assert match.code == code
    assert match.row is (None if picked is None else rows[picked])
    assert match.supported == (code == "VERIFIED")


def test_references_need_digits():
    assert not references_match("", CLAIM_REF) and not references_match("000000", "000000")
