"""One row per Banesco look-up: what was asked, the bank's raw answer, and its outcome.

The raw body of every look-up is kept (dj-stripe keeps each raw event); a claim points at the
look-up that decided it (`transactions.Transaction.decided_lookup`). This app knows claims only by
id (`claim_id`, no foreign key): banking is the Banesco adapter and never imports `transactions`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .parsing import parse_body


class BankLookup(models.Model):
    class Outcome(models.TextChoices):
        FOUND = "found", _("Found")
        NOT_FOUND = "not_found", _("Not found")
        RETRYABLE = "retryable", _("Bank unavailable (retries exhausted)")
        PERMANENT = "permanent", _("Refused by the bank")

    claim_id = models.UUIDField(_("claim"), null=True, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("The person who ran this look-up by hand (empty for automatic verification)."),
    )
    request = models.JSONField(_("what was asked"), default=dict, blank=True)
    body = models.JSONField(_("raw bank answer"), null=True, blank=True)
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

    def result(self):
        """The stored answer parsed again with `banking.parsing` (the one reading of a bank answer)."""
        cached = getattr(self, "_result", None)
        if cached is None:
            cached = self._result = parse_body(self.http_status, self.body)
        return cached
