"""The project's one local time zone: store UTC, show and reason about days in America/Caracas."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

CARACAS = ZoneInfo("America/Caracas")  # settings.TIME_ZONE names the same zone


def caracas_now() -> dt.datetime:
    return timezone.now().astimezone(CARACAS)


def caracas_today() -> dt.date:
    return caracas_now().date()
