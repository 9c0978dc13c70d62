"""Dialogue (ý kiến, kiến nghị): the items members send, the sealed sender link, the committee's setting.

An anonymous item has no person on its own row: the only link to its sender is a ``DialogueSeal`` row,
read by ``sealed.py`` alone (to deliver status changes and answers, and to show the sender their own
items). No listing, export, card or log line reads it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import utcnow


class ItemStatus(StrEnum):
    RECEIVED = "received"  # đã nhận
    HANDLING = "handling"  # đang xử lý
    ANSWERED = "answered"  # đã trả lời
    WITHDRAWN = "withdrawn"  # the sender took it back; the row stays with its number


OPEN_STATUSES = (ItemStatus.RECEIVED.value, ItemStatus.HANDLING.value)


class Target(StrEnum):
    BRANCH = "branch"  # the sender's branch secretary (and deputy)
    COMMITTEE = "committee"  # the đảng bộ's committee


class ItemKind(StrEnum):
    OPINION = "opinion"  # ý kiến
    PROPOSAL = "proposal"  # kiến nghị


class DialogueItem(SQLModel, table=True):
    __tablename__ = "dialogue_item"
    __table_args__ = (
        UniqueConstraint("org_id", "year", "number", name="uq_dialogue_item_number"),
        Index("ix_dialogue_item_org_status", "org_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    branch_id: int = Field(foreign_key="branch.id", index=True)  # the sender's branch
    year: int
    number: int  # "Ý kiến số 12/2026": per đảng bộ and year
    target: str = Field(max_length=20)
    kind: str = Field(default=ItemKind.OPINION, max_length=20)
    anonymous: bool = False
    # The sender of a named item; None for an anonymous one (its sender is in DialogueSeal only).
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    text: str = Field(default="", max_length=4000)
    photo_key: str | None = Field(default=None, max_length=64)
    status: str = Field(default=ItemStatus.RECEIVED, max_length=20)
    answer: str | None = Field(default=None, max_length=4000)
    answered_by: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = None
    handling_at: datetime | None = None
    withdrawn_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    erased: bool = False  # /xoadulieu: the words removed, the row (number, status) stays


class DialogueSeal(SQLModel, table=True):
    """The sealed link from an anonymous item to its sender (read only by ``sealed.py``)."""

    __tablename__ = "dialogue_seal"

    item_id: int = Field(foreign_key="dialogue_item.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)


class DialogueSettings(SQLModel, table=True):
    """A đảng bộ's choice: may members send anonymous items to its committee (off by default)."""

    __tablename__ = "dialogue_settings"

    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    anonymous_allowed: bool = False
    updated_at: datetime | None = None
