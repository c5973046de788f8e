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


class Bank(models.TextChoices):
    BANESCO = "BANESCO", _("Banesco transfer")
    MOBILE_TRANSFER = "MOBILE_TRANSFER", _("Pago móvil")


class TransactionType(models.TextChoices):
    TRANSACTION = "TRANSACTION", _("Transaction")
    COMMISSION = "COMMISSION", _("Commission")
    OTHER = "OTHER", _("Other")


# Statuses the verification sweep works on.
VERIFIABLE_STATUSES = (Status.IN_PROGRESS, Status.UNKNOWN)


class TransactionQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """Clients see their own claims; reconcilers, auditors and admins see all."""
        qs = self.alive()
        if user.has_perm("transactions.view_all_transactions"):
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
    amount = models.DecimalField(_("amount (VES)"), max_digits=14, decimal_places=2)
    payment_date = models.DateField(_("payment date"))
    payer_bank_code = models.CharField(_("payer bank code"), max_length=4)

    customer_full_name = models.CharField(_("customer full name"), max_length=200)
    customer_phone = models.CharField(_("customer phone"), max_length=11)
    customer_national_id = models.CharField(_("customer national id"), max_length=10)
    concept = models.CharField(_("concept"), max_length=500, blank=True, default="")

    banesco_payload = models.JSONField(_("last bank answer"), null=True, blank=True)
    status_reason = models.CharField(_("status reason"), max_length=500, blank=True, default="")
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    verification_attempts = models.PositiveIntegerField(_("verification attempts"), default=0)
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    next_verification_at = models.DateTimeField(_("next verification at"), null=True, blank=True)

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
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="tx_amount_positive"),
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
            # What the verification sweep picks up.
            models.Index(
                fields=["next_verification_at"],
                name="tx_due_verification_idx",
                condition=Q(status__in=["IN_PROGRESS", "UNKNOWN"], deleted_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.transaction_id} ({self.status})"
