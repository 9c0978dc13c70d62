"""Organisation tree: đảng bộ (Organization) -> chi bộ (Branch)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models._types import utcnow


class Organization(SQLModel, table=True):
    """An đảng bộ: the committee level that owns branches, content and the year's theme."""

    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Branch(SQLModel, table=True):
    """A chi bộ."""

    __tablename__ = "branch"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # The branch's group chat, once a secretary links it.
    group_channel: str | None = Field(default=None, max_length=20)
    group_chat_id: str | None = Field(default=None, max_length=64)
    group_bot: str = Field(default="", max_length=64)
