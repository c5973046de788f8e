"""The sandbox payment that matches a claim (what the customer really paid), for tests that run
the real verification against the in-process sandbox (`bank_verify`)."""


def matching_payment(claim, **extra) -> dict:
    """A `banking.sandbox.state.Payment`'s fields for `claim`; `extra` changes what differs."""
    return {
        "reference": claim.reference,
        "amount": str(claim.amount),
        "phone": "58" + claim.customer_phone[1:],
        "source_bank_id": claim.payer_bank_code,
        **extra,
    }
