"""The content item: one verified Hồ Chí Minh quote (or a story the publisher lets us use)."""

from __future__ import annotations

from dataclasses import dataclass, fields

KINDS = frozenset({"quote", "story"})
CONFIDENCES = frozenset({"high", "medium", "low"})
SHIP = "ship"
STATUSES = frozenset({SHIP, "hold"})
TET = "tet"

# Vietnamese display names of the corpus's theme slugs (shared/content/hcm-quotes-v2.yaml). A đảng bộ's
# own items may use other slugs; those are shown as the slug itself (see theme_name).
THEME_NAMES: dict[str, str] = {
    "can-kiem-liem-chinh": "Cần, kiệm, liêm, chính",
    "chi-bo": "Chi bộ",
    "chong-tham-o-lang-phi": "Chống tham ô, lãng phí",
    "dan-van": "Dân vận",
    "dao-duc": "Đạo đức cách mạng",
    "doan-ket": "Đoàn kết",
    "doc-lap-tu-do": "Độc lập, tự do",
    "giao-duc": "Giáo dục",
    "hoc-tap": "Học tập",
    "lao-dong": "Lao động",
    "neu-guong": "Nêu gương",
    "phong-cach": "Phong cách",
    "phu-nu": "Phụ nữ",
    "phuc-vu-nhan-dan": "Phục vụ nhân dân",
    "thanh-nien": "Thanh niên",
    "tu-phe-binh": "Tự phê bình và phê bình",
    "xay-dung-dang": "Xây dựng Đảng",
}


def theme_name(slug: str) -> str:
    """The Vietnamese name of a theme slug ("dan-van" -> "Dân vận"); unknown slugs are shown as they are."""
    return THEME_NAMES.get(slug, slug)


class ContentError(ValueError):
    """A content file or item breaks a rule. The message is one line naming file, item and reason."""


@dataclass(frozen=True, slots=True)
class ContentItem:
    """One item of the library.

    ``text``, ``work``, ``date``, ``citation``, ``via``, ``source_url`` and ``source_outlet`` are copied
    verbatim from the source. ``lead`` and ``reflection`` are our own words and are always rendered
    outside the quotation marks. ``also_seen`` and ``note`` are internal and never rendered.
    ``owner_org_id`` is None for the shipped library; imported items belong to one đảng bộ.
    """

    id: str
    kind: str
    text: str
    source_url: str
    work: str | None = None
    date: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    citation: str | None = None
    via: str | None = None  # the modern book the text was read in ("sách “…”, Nxb …"), shown as "Trích theo"
    source_outlet: str | None = None  # the outlet's name, shown as the label of the source link
    themes: tuple[str, ...] = ()
    occasions: tuple[str, ...] = ()  # "MM-DD" or "tet"
    lead: str | None = None  # words printed before the opening quotation mark (a fragment's subject)
    reflection: str | None = None  # our own question, labelled as ours when rendered
    confidence: str | None = None
    also_seen: str | None = None
    note: str | None = None
    status: str = SHIP  # only "ship" items are ever loaded; "hold" is refused with its hold_reason
    owner_org_id: int | None = None


# Fields a content file may carry (owner_org_id is set by the importer, never by a file).
# ``hold_reason`` is read only to explain why a held item is refused.
FILE_FIELDS: tuple[str, ...] = (
    *(f.name for f in fields(ContentItem) if f.name != "owner_org_id"),
    "hold_reason",
)
REQUIRED_FIELDS: tuple[str, ...] = ("id", "kind", "text", "source_url")
