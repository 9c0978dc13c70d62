"""The rules a đảng bộ's import must pass on top of the library's: an official source, a work or citation,
a confidence level, sane lengths. Every reason is in Vietnamese and names the line of the uploaded file,
because the committee reads it in chat (or in the CLI) and fixes the file itself.

The library's own rules (``validate_items``) still run after these; these come first so the committee
reads the common mistakes in its own language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from bot.content.model import FILE_FIELDS, KINDS, ContentError, ContentItem
from bot.content.outlets import DEFAULT_OFFICIAL_DOMAINS, refusal
from bot.content.render import MAX_RENDERED_CHARS, render_item

# Accepted for an import: "low" is a guess, and a guess must not reach members as his words.
IMPORT_CONFIDENCES: tuple[str, ...] = ("high", "medium")
# The longest shipped quote is under 450 characters; a longer "quote" is a passage, not a daily item.
MAX_TEXT_CHARS = 1000
MAX_FIELD_CHARS = 300  # work, citation, source_url, lead, via, source_outlet: one line each
# Room kept for the "Do <đảng bộ> bổ sung" line the daily message adds to an imported item.
ADDED_BY_RESERVE = 260


def added_by_text(org_name: str) -> str:
    """The attribution line of an imported item (plain text; the daily message escapes it)."""
    return f"Do {org_name} bổ sung"


def _where(source: str, line: int | None, index: int, item_id: object) -> str:
    pos = f"{source}, dòng {line}" if line else f"{source}, mục thứ {index + 1}"
    return f"{pos} (id {item_id!r})" if isinstance(item_id, str | int) and item_id != "" else pos


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if isinstance(value, dt.date):
        value = value.isoformat()
    return "" if value is None or isinstance(value, list | dict) else str(value).strip()


def _reason(raw: Any, allowed: Iterable[str]) -> str | None:
    """Why one raw entry cannot be imported, or None."""
    if not isinstance(raw, dict):
        return "mục không đúng dạng 'tên trường: giá trị'"
    unknown = sorted(str(k) for k in raw if k not in FILE_FIELDS)
    if unknown:
        hint = " (ý đồng chí là 'themes'?)" if "theme" in unknown else ""
        return f"trường không được nhận: {', '.join(unknown)}{hint}"
    for name, label in (("id", "mã mục (id)"), ("kind", "loại (kind)"), ("text", "nội dung (text)")):
        if not _text(raw, name):
            return f"thiếu {label}"
    if _text(raw, "kind") not in KINDS:
        return f"loại (kind) phải là một trong: {', '.join(sorted(KINDS))}"
    url = _text(raw, "source_url")
    if not url:
        return "thiếu nguồn (source_url): mỗi mục cần địa chỉ trang chính thống đã đăng nguyên văn"
    why = refusal(url, allowed)
    if why:
        return why
    if not _text(raw, "work") and not _text(raw, "citation"):
        return "thiếu tên tác phẩm (work) hoặc trích dẫn (citation)"
    confidence = _text(raw, "confidence")
    if not confidence:
        return "thiếu mức tin cậy (confidence: high hoặc medium)"
    if confidence == "low":
        return "mức tin cậy 'low' chưa đủ để gửi cho đảng viên (cần high hoặc medium)"
    if confidence not in IMPORT_CONFIDENCES:
        return f"mức tin cậy {confidence!r} không hợp lệ (cần high hoặc medium)"
    text = _text(raw, "text")
    if len(text) > MAX_TEXT_CHARS:
        return f"nội dung dài {len(text)} ký tự, quá giới hạn {MAX_TEXT_CHARS} ký tự"
    for name in ("work", "citation", "source_url", "lead", "via", "source_outlet"):
        if len(_text(raw, name)) > MAX_FIELD_CHARS:
            return f"trường {name} dài quá {MAX_FIELD_CHARS} ký tự"
    return None


def check_entries(
    raw: Any,
    source: str,
    lines: Sequence[int | None] | None = None,
    *,
    allowed: Iterable[str] = DEFAULT_OFFICIAL_DOMAINS,
) -> None:
    """Raise ContentError for the first entry an import must refuse, naming its line and the reason."""
    if not isinstance(raw, list):
        raise ContentError(f"{source}: tệp phải là một danh sách các mục")
    allowed = tuple(allowed)
    for index, entry in enumerate(raw):
        why = _reason(entry, allowed)
        if why:
            line = lines[index] if lines and index < len(lines) else None
            item_id = entry.get("id") if isinstance(entry, dict) else None
            raise ContentError(f"{_where(source, line, index, item_id)}: {why}")


def check_rendered(
    items: Sequence[ContentItem], source: str, lines: Sequence[int | None] | None = None
) -> None:
    """Each item, rendered with its attribution line, must fit one message."""
    limit = MAX_RENDERED_CHARS - ADDED_BY_RESERVE
    for index, item in enumerate(items):
        length = len(render_item(item))
        if length > limit:
            line = lines[index] if lines and index < len(lines) else None
            raise ContentError(f"{_where(source, line, index, item.id)}: tin nhắn dài {length} ký tự, "
                               f"quá giới hạn {limit} ký tự của một mục bổ sung")
