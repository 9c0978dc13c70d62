"""The materials library (tài liệu sinh hoạt, chuyên đề): items, per-branch open counts, meeting attachments."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import utcnow


class LibraryItem(SQLModel, table=True):
    """A document (kept by content hash in the media store) or a link, for a whole đảng bộ (``branch_id``
    None, uploaded by its committee) or one branch (uploaded by its secretary)."""

    __tablename__ = "library_item"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    title: str = Field(max_length=200)
    kind: str = Field(default="file", max_length=10)  # file | link
    url: str = Field(default="", max_length=1000)
    media_key: str = Field(default="", max_length=64)
    media_kind: str = Field(default="document", max_length=10)  # document | photo
    mime: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=200)
    size: int | None = None
    year: int = Field(index=True)
    month: int | None = None  # None: the whole year
    theme: str = Field(default="", max_length=200)
    search: str = Field(default="", max_length=1000)  # folded title, theme and file name (bot.text.fold)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class LibraryOpenCount(SQLModel, table=True):
    """How many times members of one branch opened one item: a count, never who opened it."""

    __tablename__ = "library_open_count"
    __table_args__ = (UniqueConstraint("item_id", "branch_id", name="uq_library_open_count"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="library_item.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    opens: int = 0
    last_at: datetime = Field(default_factory=utcnow)


class LibraryAttachment(SQLModel, table=True):
    """An item attached to a meeting notice (the meetings feature's meeting id; no import of its model)."""

    __tablename__ = "library_attachment"
    __table_args__ = (UniqueConstraint("meeting_id", "item_id", name="uq_library_attachment"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(index=True)
    item_id: int = Field(foreign_key="library_item.id", index=True)
