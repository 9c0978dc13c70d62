"""SQLModel tables. Every module in this package is imported, so a feature adds its tables in its own module.

Conventions: datetimes are timezone-aware UTC (SQLModel's UTCDateTime refuses naive ones); local
times are computed with the configured time zone (``bot.clock``). JSON payloads use ``sa_column=Column(JSON)``.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlmodel import SQLModel


def load_all() -> type[SQLModel]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return SQLModel


load_all()

metadata = SQLModel.metadata
