"""A hot read's SQL compiled once per process from its queryset (PrecompiledRead).

Compiling a queryset to SQL is pure Python and costs the same every time: for the claim status
poll it was ~0.3 ms of the ~0.9 ms the ORM spent on a one-row read (docs/PERFORMANCE.md, "Where a
read request's time goes"). A PrecompiledRead keeps the queryset as the one definition of the
read (its manager's filters, its columns, its ordering) and compiles it the first time it runs;
after that each call only executes that SQL with its own values and converts the row(s) as the
ORM would (the database backend's converters of each column, e.g. SQLite's datetimes and UUIDs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet


class PrecompiledRead:
    """`build(**markers)` returns a `values_list` queryset in which each parameter of the read is
    given as a marker: a string unlike any real value (e.g. "\\x00transaction_id"). String
    parameters only: each marker must reach the compiled parameters unchanged, exactly once, and
    the real values are passed as they are (no field preparation runs on them)."""

    def __init__(self, build: Callable[..., QuerySet], **markers: str):
        if not all(isinstance(m, str) for m in markers.values()):
            raise ImproperlyConfigured("PrecompiledRead markers must be strings")
        self._build = build
        self._markers = markers
        self._compiled: tuple | None = None
        self._lock = threading.Lock()

    def _compile(self) -> tuple:
        queryset = self._build(**self._markers)
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        names = {marker: name for name, marker in self._markers.items()}
        slots = [(names[p], None) if isinstance(p, str) and p in names else (None, p) for p in params]
        placed = [name for name, _ in slots if name is not None]
        if sorted(placed) != sorted(self._markers):
            raise ImproperlyConfigured(f"markers {sorted(self._markers)} compiled as {placed}")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return sql, slots, converters, queryset.db

    def rows(self, **values: str) -> list[tuple[Any, ...]]:
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile()
        sql, slots, converters, using = self._compiled
        params = [values[name] if name is not None else constant for name, constant in slots]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters.items():
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted
