import datetime as dt
import uuid

import django_filters as filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from accounts.emails import canonical_email
from audit.models import ActorType, AuditEvent


class AuditEventFilter(filters.FilterSet):
    action = filters.CharFilter(method="filter_action", help_text="Exact action, or a comma-separated list.")
    actor = filters.CharFilter(method="filter_actor", help_text="The acting user's id (UUID) or email.")
    actor_type = filters.ChoiceFilter(choices=ActorType.choices)
    target_type = filters.CharFilter(
        method="filter_target_type", help_text="app_label.model, e.g. transactions.transaction"
    )
    target_id = filters.CharFilter(field_name="target_id", lookup_expr="exact")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_action(self, queryset, name, value):
        wanted = [a.strip() for a in value.split(",") if a.strip()]
        if not wanted:
            return queryset
        return queryset.filter(action__in=wanted) if len(wanted) > 1 else queryset.filter(action=wanted[0])

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        try:
            return queryset.filter(actor_id=uuid.UUID(value))
        except ValueError:
            pass
        if "@" in value:
            email = canonical_email(value)
            return queryset.filter(Q(actor__email=email) | Q(actor__isnull=True, actor_label=email))
        raise ValidationError({"actor": ["Expected a user id (UUID) or an email address."]})

    def filter_target_type(self, queryset, name, value):
        app_label, _, model = value.strip().lower().partition(".")
        ct = ContentType.objects.filter(app_label=app_label, model=model).first() if model else None
        if ct is None:
            raise ValidationError({"target_type": [f"Unknown target type {value!r}; use app_label.model."]})
        return queryset.filter(target_type=ct)


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: compare in UTC."""

    def __init__(self, *args, param: str, **kwargs):
        self.param = param
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(dt.UTC)
            except (OverflowError, ValueError):
                raise ValidationError({self.param: ["Date and time out of range."]}) from None
        return super().filter(qs, value)


# `from`/`to` are Python keywords, so they are added after the class is built.
AuditEventFilter.base_filters["from"] = UtcIsoDateTimeFilter(
    param="from",
    field_name="occurred_at",
    lookup_expr="gte",
    help_text="Events at or after this ISO 8601 time.",
)
AuditEventFilter.base_filters["to"] = UtcIsoDateTimeFilter(
    param="to",
    field_name="occurred_at",
    lookup_expr="lte",
    help_text="Events at or before this ISO 8601 time.",
)
