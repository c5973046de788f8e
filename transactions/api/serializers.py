"""Input and output serializers of the transactions API (kept separate; no writes here)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from transactions import validators
from transactions.banks import bank_name
from transactions.evidence import bank_evidence, details_dict
from transactions.models import Bank, ReasonCode, Status, TransactionType


class NormalizedField(serializers.Field):
    """A field whose input goes through one of `transactions.validators`' pure functions."""

    normalizer = None

    def __init__(self, normalizer, **kwargs):
        self.normalizer = normalizer
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return self.normalizer(data)

    def to_representation(self, value):
        return str(value)


@extend_schema_field({"type": "string", "example": "04141234567"})
class PhoneField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.normalize_phone, **kwargs)


@extend_schema_field({"type": "string", "example": "V12345678"})
class NationalIdField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.normalize_national_id, **kwargs)


@extend_schema_field({"type": "string", "maxLength": 200, "example": "María José Pérez"})
class FullNameField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.normalize_full_name, **kwargs)


@extend_schema_field({"type": "string", "maxLength": 500, "example": "Consulta de cardiología"})
class ConceptField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.clean_concept, **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,100}$", "example": "portal-000123"})
class TransactionIdField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.validate_transaction_id, **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^\d{6,20}$", "example": "001234567890"})
class ReferenceField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.validate_reference, **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}$", "example": "0102"})
class BankCodeField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.validate_bank_code, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d{1,12}(\.\d{1,2})?$",
        "example": "1500.50",
        "description": "Amount in VES, > 0, at most 2 decimals. A JSON number is accepted too.",
    }
)
class AmountField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.parse_amount, **kwargs)


@extend_schema_field(OpenApiTypes.DATE)
class PaymentDateField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.validate_payment_date, **kwargs)

    def to_representation(self, value):
        return value.isoformat()


@extend_schema_field({"type": "object", "additionalProperties": True, "example": {"invoice": "F-1001"}})
class MetadataField(NormalizedField):
    def __init__(self, **kwargs):
        super().__init__(validators.validate_metadata, **kwargs)

    def to_representation(self, value):
        return value


class StrictSerializer(serializers.Serializer):
    """Rejects unknown keys instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(data)


# --- input ----------------------------------------------------------------------------------


class CustomerInputSerializer(StrictSerializer):
    full_name = FullNameField()
    phone = PhoneField()
    national_id = NationalIdField()
    concept = ConceptField(required=False, default="")


class ClaimCreateInputSerializer(StrictSerializer):
    transaction_id = TransactionIdField()
    bank = serializers.ChoiceField(choices=Bank.choices)
    transaction_type = serializers.ChoiceField(
        choices=TransactionType.choices, required=False, default=TransactionType.TRANSACTION
    )
    reference = ReferenceField()
    amount = AmountField(
        required=False,
        allow_null=True,
        help_text="Optional: absent, the bank tells the amount (`bank_amount`); given, it must equal it.",
    )
    payment_date = PaymentDateField(
        required=False,
        allow_null=True,
        help_text="Required for pago móvil and interbank transfers; not used for Banesco→Banesco.",
    )
    payer_bank_code = BankCodeField(
        required=False,
        allow_null=True,
        help_text="Required for pago móvil; defaults to 0134 (Banesco→Banesco) for BANESCO.",
    )
    customer = CustomerInputSerializer()
    metadata = MetadataField(required=False, default=dict)

    def to_service_data(self) -> dict:
        """The validated payload in the service's flat model-field shape."""
        data = dict(self.validated_data)
        customer = data.pop("customer")
        data["customer_full_name"] = customer["full_name"]
        data["customer_phone"] = customer["phone"]
        data["customer_national_id"] = customer["national_id"]
        data["concept"] = customer.get("concept", "")
        return data


class ClaimCancelInputSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- output ---------------------------------------------------------------------------------


class CustomerOutputSerializer(serializers.Serializer):
    full_name = serializers.CharField(source="customer_full_name")
    phone = serializers.CharField(source="customer_phone")
    national_id = serializers.CharField(source="customer_national_id")
    concept = serializers.CharField()


class BanescoMovementSerializer(serializers.Serializer):
    reference_number = serializers.CharField(allow_null=True)
    amount = serializers.CharField(allow_null=True)
    currency_code = serializers.CharField(allow_null=True)
    account_id = serializers.CharField(allow_null=True, help_text="As masked by the bank.")
    trn_date = serializers.CharField(allow_null=True)
    trn_time = serializers.CharField(allow_null=True)
    trn_type = serializers.CharField(allow_null=True)
    source_bank_id = serializers.CharField(allow_null=True)
    dest_bank_id = serializers.CharField(allow_null=True)
    concept = serializers.CharField(allow_null=True)
    supports_claim = serializers.BooleanField(help_text="This row alone would verify the claim.")
    verdict = serializers.CharField(help_text="Empty when the row supports the claim, else what differs.")


class BanescoDetailsSerializer(serializers.Serializer):
    status_code = serializers.CharField(allow_null=True)
    status_desc = serializers.CharField(allow_null=True)
    movements = BanescoMovementSerializer(many=True)


class ClaimOutputSerializer(serializers.Serializer):
    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_reason = serializers.CharField()
    status_reason_code = serializers.ChoiceField(
        choices=[("", ""), *ReasonCode.choices], help_text="Why the last automatic decision was taken."
    )
    bank = serializers.ChoiceField(choices=Bank.choices)
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices)
    reference = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    bank_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="The amount the bank reported."
    )
    payment_date = serializers.DateField(allow_null=True)
    payer_bank_code = serializers.CharField()
    payer_bank_name = serializers.SerializerMethodField()
    customer = CustomerOutputSerializer(source="*")
    metadata = serializers.JSONField()
    banesco_details = serializers.SerializerMethodField()
    verification_attempts = serializers.IntegerField()
    last_verified_at = serializers.DateTimeField(allow_null=True)
    next_verification_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_payer_bank_name(self, obj) -> str:
        return bank_name(obj.payer_bank_code)

    @extend_schema_field(BanescoDetailsSerializer(allow_null=True))
    def get_banesco_details(self, obj):
        return details_dict(bank_evidence(obj))

    def to_representation(self, obj):
        """The declared fields' output, built directly (same keys, order and values).

        DRF's field-by-field path costs 12-20 % of a list request (20- and 50-claim pages,
        `bench/serializer_cost.py`, docs/PERFORMANCE.md "Hand-made speed-ups"); the fields above
        stay the schema and the reference (tests/bench checks this equals
        `Serializer.to_representation`).
        """
        to_datetime = _iso_datetime_in(timezone.get_current_timezone())
        return {
            "transaction_id": str(obj.transaction_id),
            "status": str(obj.status),
            "status_reason": str(obj.status_reason),
            "status_reason_code": str(obj.status_reason_code),
            "bank": str(obj.bank),
            "transaction_type": str(obj.transaction_type),
            "reference": str(obj.reference),
            "amount": _amount(obj.amount),
            "bank_amount": _amount(obj.bank_amount),
            "payment_date": obj.payment_date.isoformat() if obj.payment_date else None,
            "payer_bank_code": str(obj.payer_bank_code),
            "payer_bank_name": self.get_payer_bank_name(obj),
            "customer": {
                "full_name": str(obj.customer_full_name),
                "phone": str(obj.customer_phone),
                "national_id": str(obj.customer_national_id),
                "concept": str(obj.concept),
            },
            "metadata": obj.metadata,
            "banesco_details": self.get_banesco_details(obj),
            "verification_attempts": int(obj.verification_attempts),
            "last_verified_at": to_datetime(obj.last_verified_at),
            "next_verification_at": to_datetime(obj.next_verification_at),
            "created_at": to_datetime(obj.created_at),
            "updated_at": to_datetime(obj.updated_at),
        }


# Shared, stateless field instance for ClaimOutputSerializer.to_representation.
_AMOUNT = serializers.DecimalField(max_digits=14, decimal_places=2)


def _amount(value):
    return None if value is None else _AMOUNT.to_representation(value)


def _iso_datetime_in(tz):
    """DRF DateTimeField's ISO 8601 output in `tz` (the current time zone), without its per-value
    time-zone lookup: `None` stays None, UTC offsets become `Z`."""

    def to_representation(value):
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return to_representation


class ClaimStatusOutputSerializer(serializers.Serializer):
    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_reason = serializers.CharField()
    last_verified_at = serializers.DateTimeField(allow_null=True)
    next_verification_at = serializers.DateTimeField(allow_null=True)
    verification_attempts = serializers.IntegerField()

    def to_representation(self, obj):
        """The declared fields' output, built directly (as ClaimOutputSerializer does): DRF's
        field-by-field path was ~0.2 ms of a ~1.5 ms status request (docs/PERFORMANCE.md).
        Subclasses that declare more fields keep DRF's path (tests/bench compares the two)."""
        if type(self) is not ClaimStatusOutputSerializer:
            return super().to_representation(obj)
        to_datetime = _iso_datetime_in(timezone.get_current_timezone())
        return {
            "transaction_id": str(obj.transaction_id),
            "status": str(obj.status),
            "status_reason": str(obj.status_reason),
            "last_verified_at": to_datetime(obj.last_verified_at),
            "next_verification_at": to_datetime(obj.next_verification_at),
            "verification_attempts": int(obj.verification_attempts),
        }


class ClaimVerifyQuerySerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        default=0,
        min_value=0,
        max_value=10,
        help_text="Seconds (0-10) to wait for the verification worker's look-up; 0 answers at once.",
    )


class ClaimVerifyOutputSerializer(ClaimStatusOutputSerializer):
    verification_pending = serializers.BooleanField(
        help_text="True while the requested look-up has not happened yet (202); false when the "
        "status above is the worker's outcome (200)."
    )


class ClaimEventOutputSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    action = serializers.CharField()
    actor_type = serializers.CharField()
    actor_label = serializers.SerializerMethodField(
        help_text="Who acted. Clients see only their own label; other actors are blank."
    )
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    reason = serializers.CharField()
    metadata = serializers.JSONField()
    request_id = serializers.CharField()

    def get_actor_label(self, obj) -> str:
        viewer = self.context.get("viewer")
        if viewer is None or viewer.has_perm("transactions.view_all_transactions"):
            return obj.actor_label
        if obj.actor_id is not None and obj.actor_id == viewer.pk:
            return obj.actor_label
        return ""
