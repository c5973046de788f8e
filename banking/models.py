"""One row per Banesco look-up: metrics, counting, "last successful look-up" for operators.

Bookkeeping of the banking app only; a claim's status lives on `transactions.Transaction`.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BankLookup(models.Model):
    class Outcome(models.TextChoices):
        FOUND = "found", _("Found")
        NOT_FOUND = "not_found", _("Not found")
        RETRYABLE = "retryable", _("Bank unavailable (retries exhausted)")
        PERMANENT = "permanent", _("Refused by the bank")

    claim = models.ForeignKey(
        "transactions.Transaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bank_lookups",
        verbose_name=_("claim"),
    )
    environment = models.CharField(_("environment"), max_length=16)
    mode = models.CharField(_("search mode"), max_length=16)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    code = models.CharField(_("bank status code"), max_length=32, blank=True, default="")
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("HTTP attempts"), default=1)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    decided_status = models.CharField(_("decided status"), max_length=16, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("bank look-up")
        verbose_name_plural = _("bank look-ups")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="banklookup_created_idx"),
            models.Index(fields=["outcome", "-created_at"], name="banklookup_outcome_idx"),
        ]

    def __str__(self):
        return f"{self.mode} {self.outcome} {self.code} ({self.created_at:%Y-%m-%d %H:%M:%S})"
