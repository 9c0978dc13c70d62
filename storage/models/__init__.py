"""The engine's SQLModel tables: organisations, people, outbox and system bookkeeping.

A feature's tables live in ``bot/features/<name>/models.py`` and are listed in its Feature declaration.
Conventions: datetimes are timezone-aware UTC (SQLModel's UTCDateTime refuses naive ones); local
times are computed with the configured time zone (``bot.clock``). JSON payloads use ``sa_column=json_column()``.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from storage.models import calendar, joining, org, outbox, people, system  # noqa: F401  (registers the tables)

metadata = SQLModel.metadata
