"""A test clock: `django.utils.timezone.now` (which services, the audit trail and config.clock
read) answers a chosen moment, and so does the claims' `created_at` default. Production code
runs unchanged; only the time it reads is chosen."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


class FakeClock:
    def __init__(self):
        self.moment: dt.datetime | None = None
        self._saved = None

    def now(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> FakeClock:
        assert timezone.is_aware(moment)
        self.moment = moment
        if self._saved is None:
            from transactions.models import Transaction

            field = Transaction._meta.get_field("created_at")
            self._saved = (timezone.now, field, field._get_default)
            timezone.now = self.now
            field.__dict__["_get_default"] = self.now
        return self

    def advance(self, **delta) -> dt.datetime:
        self.moment += dt.timedelta(**delta)
        return self.moment

    def stop(self) -> None:
        if self._saved is not None:
            now, field, default = self._saved
            timezone.now = now
            field.__dict__["_get_default"] = default
            self._saved = None
