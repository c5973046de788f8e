"""The API's JSON parser: bounded, unambiguous, and clear about what it refuses (HTTP 400).

* **Depth** (`API_JSON_MAX_DEPTH`, default 20): nesting is measured before parsing, by a scan over
  the bracket characters outside strings (no recursion), so a body of 100 000 `[` is a 400, not a
  RecursionError; and no accepted value can reach the audit recorder's own limit (32 levels).
* **Keys** (`API_JSON_MAX_KEYS`, default 1000 object keys in the whole body).
* **Duplicate keys** are refused naming the key (`{"amount": 1, "amount": 2}`): for a payments API
  "the last one wins" is an ambiguity, not a convenience.
* NaN and Infinity are refused (as DRF's strict JSONParser does).
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from rest_framework.parsers import JSONParser

from config.errors import ValidationFailed

# A JSON string (with escapes) or one bracket; strings are skipped so brackets inside them don't count.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def max_depth() -> int:
    return int(getattr(settings, "API_JSON_MAX_DEPTH", 20))


def max_keys() -> int:
    return int(getattr(settings, "API_JSON_MAX_KEYS", 1000))


def nesting_depth(text: str, limit: int) -> int:
    """The deepest bracket nesting of `text`, stopping as soon as it passes `limit`."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in "]}":
            depth -= 1
    return deepest


class _Pairs:
    """object_pairs_hook: refuse duplicate keys, count keys across the whole document."""

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0

    def __call__(self, pairs):
        self.count += len(pairs)
        if self.count > self.limit:
            raise ValidationFailed(
                f"The JSON body has more than {self.limit} keys.",
                code="json_too_many_keys",
                details={"max_keys": self.limit},
            )
        result = {}
        for key, value in pairs:
            if key in result:
                raise ValidationFailed(
                    f'Duplicate key "{key}" in the JSON body.',
                    code="json_duplicate_key",
                    details={"key": key},
                )
            result[key] = value
        return result


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str):
    """Parse `text` under the limits above (ValidationFailed for what they refuse)."""
    limit = max_depth()
    if nesting_depth(text, limit) > limit:
        raise ValidationFailed(
            f"The JSON body is nested more than {limit} levels deep.",
            code="json_too_deep",
            details={"max_depth": limit},
        )
    try:
        return json.loads(text, object_pairs_hook=_Pairs(max_keys()), parse_constant=_reject_constant)
    except ValueError as exc:
        raise ValidationFailed(
            f"JSON parse error - {exc}", code="parse_error", details={"error": str(exc)}
        ) from exc


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationFailed(f"The body is not valid {encoding}.", code="parse_error") from exc
        return loads(text)
