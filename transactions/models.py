"""Payment claims. Only `transactions.services` writes these rows."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    COMPLETED = "COMPLETED", _("Completed")
    CANCELED = "CANCELED", _("Canceled")
    UNKNOWN = "UNKNOWN", _("Unknown")
    TO_REVIEW = "TO_REVIEW", _("To review")


def status_label(status: str | None) -> str:
    """The human label of a status (translated), or the value itself when it is not one."""
    return str(Status(status).label) if status in Status.values else (status or "")


class Bank(models.TextChoices):
    BANESCO = "BANESCO", _("Banesco transfer")
    MOBILE_TRANSFER = "MOBILE_TRANSFER", _("Pago móvil")


class TransactionType(models.TextChoices):
    TRANSACTION = "TRANSACTION", _("Transaction")
    COMMISSION = "COMMISSION", _("Commission")
    OTHER = "OTHER", _("Other")


class ReasonCode(models.TextChoices):
    """Why an automatic decision put a claim where it is (stored beside the reason text)."""

    VERIFIED = "VERIFIED", _("Verified with the bank")
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH", _("Amount differs")
    REFERENCE_MISMATCH = "REFERENCE_MISMATCH", _("Reference differs")
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH", _("Not in bolívares")
    DEBIT = "DEBIT", _("Debit movement")
    NO_CREDIT = "NO_CREDIT", _("No credit movement")
    SEVERAL_ROWS = "SEVERAL_ROWS", _("Several candidate movements")
    DUPLICATE_REFERENCE = "DUPLICATE_REFERENCE", _("Reference already used")
    NOT_FOUND_YET = "NOT_FOUND_YET", _("Not found yet")
    NOT_FOUND_WINDOW = "NOT_FOUND_WINDOW", _("Not found within the window")
    BANK_REFUSED = "BANK_REFUSED", _("Refused by the bank")
    BANK_UNREACHABLE = "BANK_UNREACHABLE", _("Bank unreachable")
    CONFIG_FAULT = "CONFIG_FAULT", _("Bank configuration fault")


# Statuses the verification sweep works on.
VERIFIABLE_STATUSES = (Status.IN_PROGRESS, Status.UNKNOWN)


def sees_all_claims(user) -> bool:
    """Whether `user` reads every client's claims; otherwise only their own (visible_to)."""
    return user.has_perm("transactions.view_all_transactions")


class TransactionQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """Clients see their own claims; reconcilers, auditors and admins see all."""
        qs = self.alive()
        if sees_all_claims(user):
            return qs
        return qs.filter(created_by=user)


class Transaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transaction_id = models.CharField(_("client transaction id"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    bank = models.CharField(_("bank"), max_length=16, choices=Bank.choices)
    transaction_type = models.CharField(
        _("type"), max_length=16, choices=TransactionType.choices, default=TransactionType.TRANSACTION
    )
    reference = models.CharField(_("bank reference"), max_length=20)
    # Optional (the ERD's create body and the manager UI send none): when given it must equal the
    # bank's; the bank's own amount is `bank_amount` either way.
    amount = models.DecimalField(_("amount (VES)"), max_digits=14, decimal_places=2, null=True, blank=True)
    bank_amount = models.DecimalField(
        _("bank amount (VES)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Required for pago móvil and interbank transfers; Banesco→Banesco look-ups use no date.
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    payer_bank_code = models.CharField(_("payer bank code"), max_length=4)

    customer_full_name = models.CharField(_("customer full name"), max_length=200)
    customer_phone = models.CharField(_("customer phone"), max_length=11)
    customer_national_id = models.CharField(_("customer national id"), max_length=10)
    concept = models.CharField(_("concept"), max_length=500, blank=True, default="")

    # The ERD's field: the raw body of the look-up that decided the status (`decided_lookup.body`).
    banesco_payload = models.JSONField(_("last bank answer"), null=True, blank=True)
    decided_lookup = models.ForeignKey(
        "banking.BankLookup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deciding bank look-up"),
    )
    status_reason = models.CharField(_("status reason"), max_length=500, blank=True, default="")
    status_reason_code = models.CharField(
        _("reason code"), max_length=32, choices=ReasonCode.choices, blank=True, default="", db_default=""
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # When the claim last entered TO_REVIEW (set by transactions.services in the status change's
    # transaction, beside its audit event; None outside the queue): the queue's age, indexed.
    review_since = models.DateTimeField(_("in review since"), null=True, blank=True, editable=False)

    verification_attempts = models.PositiveIntegerField(_("verification attempts"), default=0)
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    next_verification_at = models.DateTimeField(_("next verification at"), null=True, blank=True)

    # The reconciler working the claim (transactions.workbench.assignment), until `assigned_until`.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assigned_until = models.DateTimeField(_("assigned until"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment claim")
        verbose_name_plural = _("payment claims")
        ordering = ["-created_at"]
        permissions = [
            ("view_all_transactions", "Can read every client's claims"),
            ("cancel_transaction", "Can withdraw own IN_PROGRESS/UNKNOWN claims"),
            ("decide_transaction", "Can approve or reject claims in TO_REVIEW"),
            ("reverify_transaction", "Can trigger a bank re-verification"),
            ("reopen_transaction", "Can reopen a COMPLETED or CANCELED claim"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "transaction_type"],
                condition=Q(deleted_at__isnull=True),
                name="tx_reference_type_unique_alive",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=Decimal("0")), name="tx_amount_positive"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="tx_status_valid"),
            models.CheckConstraint(condition=Q(bank__in=Bank.values), name="tx_bank_valid"),
            models.CheckConstraint(
                condition=Q(transaction_type__in=TransactionType.values), name="tx_type_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="tx_status_created_idx"),
            models.Index(fields=["-created_at"], name="tx_created_idx"),
            models.Index(fields=["created_by", "-created_at"], name="tx_owner_created_idx"),
            models.Index(fields=["reference"], name="tx_reference_idx"),
            # Prefix search on the reference (`search=` on the list): LIKE 'nnn%' needs pattern ops
            # unless the database collation is C. (transaction_id's unique index gets a _like twin.)
            models.Index(
                fields=["reference"], name="tx_reference_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["customer_phone"], name="tx_phone_idx"),
            models.Index(fields=["customer_national_id"], name="tx_national_id_idx"),
            models.Index(fields=["payment_date"], name="tx_payment_date_idx"),
            # The reconcilers' queue, oldest first.
            models.Index(
                fields=["created_at"],
                name="tx_to_review_queue_idx",
                condition=Q(status="TO_REVIEW", deleted_at__isnull=True),
            ),
            # The queue by time in review (oldest first), whole and per cause.
            models.Index(
                fields=["review_since", "created_at", "id"],
                name="tx_review_since_idx",
                condition=Q(status="TO_REVIEW", deleted_at__isnull=True),
            ),
            models.Index(
                fields=["status_reason_code", "review_since", "created_at", "id"],
                name="tx_review_cause_idx",
                condition=Q(status="TO_REVIEW", deleted_at__isnull=True),
            ),
            # What the verification sweep picks up.
            models.Index(
                fields=["next_verification_at"],
                name="tx_due_verification_idx",
                condition=Q(status__in=["IN_PROGRESS", "UNKNOWN"], deleted_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.transaction_id} ({self.status})"


# Models of the webhooks sub-package belong to this app (migrations in transactions/migrations/).
from transactions.webhooks.models import (  # noqa: E402, F401
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
