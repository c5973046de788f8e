"""The append-only, hash-chained audit trail.

Rows are created only by `audit.services.record`. They are never updated or deleted: the model,
its QuerySet and (on PostgreSQL) database triggers refuse it (migration 0002). Each row stores an
HMAC of its own content plus the previous row's hash (`audit.chain`), so a quiet edit, a deleted
row or a reordering is found by `manage.py verify_audit`.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class ActorType(models.TextChoices):
    USER = "USER", _("User")
    SYSTEM = "SYSTEM", _("System")
    BANK = "BANK", _("Bank")
    ANONYMOUS = "ANONYMOUS", _("Anonymous")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update() is not allowed.")

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: delete() is not allowed.")

    def _raw_delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: delete() is not allowed.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are append-only: bulk_update() is not allowed.")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("Audit events are created one by one by audit.services.record().")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update_or_create() is not allowed.")

    def for_target(self, obj):
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(target_type=ct, target_id=str(obj.pk))


class AuditEvent(models.Model):
    # Global, unique, increasing event number (a PostgreSQL sequence: no lock, may have gaps);
    # orders the trail for readers. The tamper evidence is per chain (`chain`, `chain_seq`).
    sequence = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    # Which hash chain the event extends: 0 = the single legacy chain (every event before the
    # sharded chains began, numbered by `sequence`, closed since); 1..AUDIT_CHAINS = the sharded
    # chains (docs/AUDIT_CHAINS.md), each gapless by `chain_seq` under its own append lock.
    chain = models.PositiveSmallIntegerField(_("chain"), default=0, db_default=0, editable=False)
    chain_seq = models.BigIntegerField(_("position in chain"), null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), editable=False)

    # Users are only soft-deleted; PROTECT keeps the chain (actor_id is hashed) intact.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        editable=False,
        db_index=False,  # covered by audit_actor_seq_idx
    )
    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_label = models.CharField(_("actor label"), max_length=254, blank=True)

    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,  # covered by audit_target_seq_idx
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)

    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-sequence"]
        default_permissions = ("view",)
        # A forged row outside the chains (e.g. `sequence = -7`, a chain position <= 0) is refused
        # by the database; rows that do not extend their chain's head are refused by a trigger
        # (migrations 0004, 0005).
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gt=0), name="audit_sequence_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(chain=0, chain_seq__isnull=True)
                    | models.Q(chain__gte=1, chain__lte=255, chain_seq__gt=0)
                ),
                name="audit_chain_position_valid",
            ),
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_position_unique"),
        ]
        indexes = [
            models.Index(fields=["action", "-sequence"], name="audit_action_seq_idx"),
            models.Index(fields=["actor", "-sequence"], name="audit_actor_seq_idx"),
            models.Index(fields=["target_type", "target_id", "-sequence"], name="audit_target_seq_idx"),
            models.Index(fields=["occurred_at"], name="audit_occurred_at_idx"),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError("Audit events are append-only: an existing event cannot be saved.")
        if not getattr(self, "_recording", False):
            raise AppendOnlyError("Audit events are created only through audit.services.record().")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: delete() is not allowed.")

    @property
    def target_label(self) -> str:
        if self.target_type_id is None:
            return ""
        ct = ContentType.objects.get_for_id(self.target_type_id)
        return f"{ct.app_label}.{ct.model}"
