"""Zalo: outgoing-message counts per bot per month, and the codes that link two channel accounts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models._types import utcnow


class LinkCode(SQLModel, table=True):
    """A 6-digit code from /lienket: typed on another channel, it joins both accounts to one person."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    identity_id: int = Field(foreign_key="identity.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LinkFailure(SQLModel, table=True):
    """A wrong link code, for rate limiting guesses. Counted per chat account ("telegram:123"), not per
    person: /xoadulieu makes a new person of the same account, and that must not reset the count."""

    __tablename__ = "link_failure"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)  # no FK: survives a merge that deletes the person
    account: str = Field(default="", max_length=90, index=True)  # channel:external id
    at: datetime = Field(default_factory=utcnow, index=True)
