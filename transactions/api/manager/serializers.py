"""The manager UI's claim shapes (`src/types/transactions.ts` of the UI) and their translation to
the claim service's flat payload. No validation here beyond "is it a string": every rule is the
claim service's (`transactions.services.create_claim` → `transactions.validators`)."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from transactions import selectors

# Our payment channel -> the UI's transaction type.
TYPE_BY_BANK = {"BANESCO": "TRANSFER", "MOBILE_TRANSFER": "MOBILE_PAYMENT"}
TRANSACTION_ID_PREFIX = "manager-"


def new_transaction_id() -> str:
    """The UI sends no id of its own: each create is a new claim."""
    return f"{TRANSACTION_ID_PREFIX}{uuid.uuid4().hex}"


class _Text(serializers.CharField):
    """A string passed to the service as sent (the service trims and normalises)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class _CreateInputSerializer(serializers.Serializer):
    BANK = ""
    # contract field -> claim field (also names the service's errors in the contract's terms)
    FIELDS: dict[str, str] = {}

    def to_service_data(self) -> dict:
        data = {"transaction_id": new_transaction_id(), "bank": self.BANK}
        for ours, theirs in self.FIELDS.items():
            value = self.validated_data.get(ours)
            if value not in (None, ""):
                data[theirs] = value
        return data


class FullReferenceInputSerializer(_CreateInputSerializer):
    """A Banesco→Banesco transfer identified by its full reference (no amount, no date)."""

    BANK = "BANESCO"
    FIELDS = {
        "reference": "reference",
        "customer_full_name": "customer_full_name",
        "customer_phone": "customer_phone",
        "customer_document": "customer_national_id",
    }

    reference = _Text(max_length=100)
    customer_full_name = _Text(max_length=300)
    customer_phone = _Text(max_length=50, required=False, allow_null=True)
    customer_document = _Text(max_length=50, required=False, allow_null=True)


class PartialReferenceInputSerializer(_CreateInputSerializer):
    """A pago móvil: the reference (6+ digits), payer phone, date and bank (no amount)."""

    BANK = "MOBILE_TRANSFER"
    FIELDS = {
        "reference_number": "reference",
        "phone_number": "customer_phone",
        "operation_date": "payment_date",
        "bank_code": "payer_bank_code",
        "customer_full_name": "customer_full_name",
        "customer_document": "customer_national_id",
    }

    reference_number = _Text(max_length=100)
    phone_number = _Text(max_length=50)
    operation_date = _Text(max_length=50)
    bank_code = _Text(max_length=10)
    customer_full_name = _Text(max_length=300)
    customer_phone = _Text(max_length=50, required=False, allow_null=True)
    customer_document = _Text(max_length=50)

    def validate(self, attrs):
        # The UI sends the payer's phone twice (phone_number for the bank, customer_phone for the
        # customer); the claim has one phone, so a different second one is refused, never dropped.
        other = attrs.get("customer_phone")
        if other not in (None, "") and other != attrs["phone_number"]:
            raise serializers.ValidationError({"customer_phone": [_("Must equal phone_number.")]})
        return attrs


def contract_errors(details, fields: dict) -> dict:
    """The service's field errors (claim field names) named as the contract names them."""
    if not isinstance(details, dict):
        return details
    by_claim_field = {theirs: ours for ours, theirs in fields.items()}
    return {"fields": {by_claim_field.get(key, key): value for key, value in details.items()}}


class BankRowOutputSerializer(serializers.Serializer):
    """The bank's matching movement, camelCase as Banesco names it (normalised by banking.parsing)."""

    referenceNumber = serializers.CharField(source="reference")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    currencyCode = serializers.CharField(source="currency")
    accountId = serializers.CharField(source="account_id", help_text="As masked by the bank.")
    trnDate = serializers.DateField(source="trn_date", allow_null=True)
    trnTime = serializers.CharField(source="trn_time")
    sourceBankId = serializers.CharField(source="source_bank_id")
    destBankId = serializers.CharField(source="dest_bank_id")
    concept = serializers.CharField()
    customerIdBen = serializers.CharField(source="customer_id_ben")
    trnType = serializers.CharField(source="trn_type")


class ManagerTransactionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.CharField()
    customer_full_name = serializers.CharField()
    customer_phone = serializers.CharField()
    customer_document = serializers.CharField(source="customer_national_id")
    type = serializers.SerializerMethodField()
    bank = serializers.CharField(source="payer_bank_code", help_text="The payer's 4-digit bank code.")
    amount = serializers.SerializerMethodField()
    concept = serializers.CharField()
    details = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "enum": ["TRANSFER", "MOBILE_PAYMENT"]})
    def get_type(self, obj) -> str:
        return TYPE_BY_BANK.get(obj.bank, obj.bank)

    @extend_schema_field(
        {
            "type": "string",
            "format": "decimal",
            "nullable": True,
            "description": "The claimed amount, else the bank's (`bank_amount`); null before either.",
        }
    )
    def get_amount(self, obj) -> str | None:
        amount = obj.amount if obj.amount is not None else obj.bank_amount
        return None if amount is None else f"{amount:.2f}"

    @extend_schema_field(BankRowOutputSerializer(allow_null=True))
    def get_details(self, obj):
        row = selectors.claim_bank_row(claim=obj)
        return None if row is None else BankRowOutputSerializer(row).data


def bulk_delete_ids_field() -> serializers.ListField:
    """The bulk-delete body: a JSON array of claim ids (UUIDs)."""
    return serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, max_length=500
    )
