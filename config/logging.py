"""structlog configuration: JSON lines in production, console rendering locally.

Two processors guard every event: secrets (passwords, tokens, Authorization headers, client
secrets) are redacted by key, and Venezuelan phone numbers and national ids are masked wherever
they appear in a value.
"""

import logging
import logging.config
import re

import structlog

SECRET_KEYS = re.compile(
    r"(pass(word)?|secret|token|authorization|api[_-]?key|cookie|session|signature|hmac|refresh|access)",
    re.IGNORECASE,
)
# 04141234567, +58 414-123-4567, 584141234567, 0414 123 4567 ...
# Alphanumeric boundaries so hex ids and UUIDs (request/user ids) are not mistaken for PII.
PHONE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:\+?58[\s-]?|0)(4\d{2})[\s.-]?(\d{3})[\s.-]?(\d{2})(\d{2})(?![A-Za-z0-9])"
)
# V12345678, v-12.345.678, J-123456789 ...
NATIONAL_ID_RE = re.compile(
    r"(?<![A-Za-z0-9])([VEJGPvejgp])[-\s]?(\d{1,3}(?:\.?\d{3}){1,2}|\d{4,9})(?![A-Za-z0-9]|-[0-9A-Fa-f]{4})"
)

REDACTED = "[REDACTED]"


def mask_pii(text: str) -> str:
    """Mask phone numbers (keep the operator prefix and last 2 digits) and national ids (last 3)."""
    text = PHONE_RE.sub(lambda m: f"0{m.group(1)}*****{m.group(4)}", text)

    def _nid(m: re.Match) -> str:
        digits = m.group(2).replace(".", "")
        return f"{m.group(1).upper()}{'*' * (len(digits) - 3)}{digits[-3:]}"

    return NATIONAL_ID_RE.sub(_nid, text)


def _scrub(value, depth=0):
    if depth > 6:
        return value
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and SECRET_KEYS.search(k) else _scrub(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(v, depth + 1) for v in value)
    if isinstance(value, str):
        return mask_pii(value)
    return value


def scrub_processor(logger, method_name, event_dict):
    """structlog processor: redact secrets by key and mask PII in every value."""
    return _scrub(event_dict)


def configure_logging(*, level: str = "INFO", json: bool = False) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        scrub_processor,
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structlog": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
                    "foreign_pre_chain": shared,
                }
            },
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                "django.request": {"level": "ERROR", "propagate": True},
                "django.server": {"level": "WARNING", "propagate": True},
            },
        }
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
