"""The dashboard's sign-in links and sessions. Only hashes of the secrets are stored: a copy of the database
opens no session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models._types import utcnow


class DashboardLink(SQLModel, table=True):
    """A one-time sign-in link from /bangdieukhien: bound to one person, valid 10 minutes, claimed once."""

    __tablename__ = "dashboard_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class DashboardSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the random id, the row its hash, the CSRF token and the expiry."""

    __tablename__ = "dashboard_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    via: str = Field(default="link", max_length=10)  # link | telegram


class DashboardAttempt(SQLModel, table=True):
    """A sign-in attempt from one IP address (a link opened, a Mini App login), for rate limiting guesses.
    Holds no person: the address is hashed, and rows older than the window are deleted as new ones come."""

    __tablename__ = "dashboard_attempt"

    id: int | None = Field(default=None, primary_key=True)
    ip_hash: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
