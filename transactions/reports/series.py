"""The last N days of the daily report, for the dashboard's charts.

A past day's figures never change (the audit trail is append-only and its events are stamped
with the time they are written), so each past day is kept in the shared cache for
`REPORT_PAST_DAY_CACHE_SECONDS` (default 12 h); today's figures for `REPORT_TODAY_CACHE_SECONDS`
(default 60 s; 0 = always computed). The queue sizes of all the days come from one query.
A warm dashboard reads the cache once (get_many); a cold one computes the missing days.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from config.clock import caracas_today
from transactions.reports.daily import DayReport, daily_report, queue_sizes

logger = logging.getLogger(__name__)
VERSION = 1


def _key(day: dt.date) -> str:
    return f"report:day:v{VERSION}:{connection.settings_dict.get('NAME')}:{day.isoformat()}"


def _cache_get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("report: cache unavailable")
        return {}


def _cache_set(key: str, value: DayReport, seconds: int) -> None:
    if seconds <= 0:
        return
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("report: cache unavailable")


def last_days(n: int = 30, *, today: dt.date | None = None) -> list[DayReport]:
    """Reports of the n days ending today (Caracas), oldest first."""
    today = today or caracas_today()
    days = [today - dt.timedelta(days=i) for i in range(n - 1, -1, -1)]
    past_seconds = int(getattr(settings, "REPORT_PAST_DAY_CACHE_SECONDS", 12 * 3600))
    today_seconds = int(getattr(settings, "REPORT_TODAY_CACHE_SECONDS", 60))
    cached = _cache_get_many([_key(d) for d in days])
    missing = [d for d in days if _key(d) not in cached]
    if missing:
        queue = queue_sizes(missing)
        for day in missing:
            report = daily_report(day, queue_end=queue[day])
            cached[_key(day)] = report
            _cache_set(_key(day), report, today_seconds if day >= today else past_seconds)
    return [cached[_key(d)] for d in days]
