"""The content item: one verified Hồ Chí Minh quote (or a story the publisher lets us use)."""

from __future__ import annotations

from dataclasses import dataclass, fields

KINDS = frozenset({"quote", "story"})
CONFIDENCES = frozenset({"high", "medium", "low"})
TET = "tet"


class ContentError(ValueError):
    """A content file or item breaks a rule. The message is one line naming file, item and reason."""


@dataclass(frozen=True, slots=True)
class ContentItem:
    """One item of the library.

    ``text``, ``work``, ``date``, ``citation`` and ``source_url`` are copied verbatim from the source.
    ``lead`` and ``reflection`` are our own words and are always rendered outside the quotation marks.
    ``owner_org_id`` is None for the shipped library; imported items belong to one đảng bộ.
    """

    id: str
    kind: str
    text: str
    source_url: str
    work: str | None = None
    date: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    citation: str | None = None
    themes: tuple[str, ...] = ()
    occasions: tuple[str, ...] = ()  # "MM-DD" or "tet"
    lead: str | None = None  # words printed before the opening quotation mark (a fragment's subject)
    reflection: str | None = None  # our own question, labelled as ours when rendered
    confidence: str | None = None
    also_seen: str | None = None
    note: str | None = None
    owner_org_id: int | None = None


# Fields a content file may carry (owner_org_id is set by the importer, never by a file).
FILE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ContentItem) if f.name != "owner_org_id")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "kind", "text", "source_url")
