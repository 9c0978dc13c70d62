"""Small column helpers shared by the model modules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column


def utcnow() -> datetime:
    """Aware UTC 'now' for column defaults only; use the injected Clock in services."""
    return datetime.now(UTC)


def json_column(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(JSON, nullable=nullable)
