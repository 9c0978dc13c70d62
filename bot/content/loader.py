"""Load and validate content files.

Every rule raises :class:`ContentError` on the first bad item, with one line naming the file, the
item (id, or its position) and the reason, so a reviewer can fix it without reading a traceback.
The same rules apply to the shipped library and to files a đảng bộ imports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import (
    CONFIDENCES,
    FILE_FIELDS,
    KINDS,
    REQUIRED_FIELDS,
    SHIP,
    STATUSES,
    TET,
    ContentError,
    ContentItem,
)
from bot.content.render import MAX_RENDERED_CHARS, rendered_length
from bot.content.search import normalize

LIBRARY_DIR = Path(__file__).parent / "library"

_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_OCCASION = re.compile(r"^(\d{2})-(\d{2})$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_LIST_FIELDS = ("themes", "occasions")
_TEXT_FIELDS = ("id", "kind", "text", "source_url", "work", "citation", "via", "source_outlet", "lead",
                "reflection", "confidence", "also_seen", "note", "status", "hold_reason")


def _where(source: str, index: int, line: int | None, item_id: object) -> str:
    pos = f"{source}:{line}" if line else f"{source} item #{index + 1}"
    return f"{pos} (id {item_id!r})" if item_id else pos


def _valid_occasion(value: str) -> bool:
    if value == TET:
        return True
    m = _OCCASION.match(value)
    if not m:
        return False
    try:
        dt.date(2000, int(m[1]), int(m[2]))  # 2000 is a leap year, so 02-29 is allowed
    except ValueError:
        return False
    return True


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError


class _Validator:
    """Checks items one by one, remembering ids and texts across files to catch duplicates."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.texts: dict[str, str] = {}

    def check(self, raw: Any, source: str, index: int, line: int | None) -> ContentItem:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        where = _where(source, index, line, item_id)

        def fail(reason: str) -> ContentError:
            return ContentError(f"{where}: {reason}")

        if not isinstance(raw, dict):
            raise fail("item is not a mapping of field: value")
        unknown = sorted(str(k) for k in raw if k not in FILE_FIELDS)
        if unknown:
            hint = " (did you mean 'themes'?)" if "theme" in unknown else ""
            raise fail(f"unknown field(s) {', '.join(unknown)}{hint}")
        values: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = raw.get(name)
            if isinstance(value, dt.date):  # YAML turns unquoted 1945-09-02 into a date
                value = value.isoformat()
            if value is not None and not isinstance(value, str | int | float):
                raise fail(f"field '{name}' must be text")
            text = "" if value is None else str(value).strip()
            values[name] = text or None
        raw_date = raw.get("date")
        if isinstance(raw_date, dt.date):
            raw_date = raw_date.isoformat()
        values["date"] = None if raw_date in (None, "") else str(raw_date).strip()
        status = values.pop("status") or SHIP
        hold_reason = values.pop("hold_reason")
        if status not in STATUSES:
            raise fail(f"unknown status '{status}' (allowed: {', '.join(sorted(STATUSES))})")
        if status != SHIP:
            raise fail(f"status '{status}' is not shippable ({hold_reason or 'no hold_reason given'})")
        for name in REQUIRED_FIELDS:
            if not values[name]:
                reason = "empty text" if name == "text" else f"missing or empty '{name}'"
                raise fail(reason)
        if not _SLUG.match(values["id"]):
            raise fail("id must be lower-case words joined by '-' (a-z, 0-9)")
        if values["kind"] not in KINDS:
            raise fail(f"unknown kind '{values['kind']}' (allowed: {', '.join(sorted(KINDS))})")
        if not _URL.match(values["source_url"]):
            raise fail(f"source_url is not an http(s) URL: {values['source_url']!r}")
        if not values["work"] and not values["citation"]:
            raise fail("neither 'work' nor 'citation' is given")
        if values["date"] is not None and not _DATE.match(values["date"]):
            raise fail(f"bad date {values['date']!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
        if values["confidence"] is not None and values["confidence"] not in CONFIDENCES:
            raise fail(f"unknown confidence '{values['confidence']}'")
        lists: dict[str, tuple[str, ...]] = {}
        for name in _LIST_FIELDS:
            try:
                entries = [str(v).strip() for v in _as_list(raw.get(name))]
            except TypeError:
                raise fail(f"field '{name}' must be a list") from None
            lists[name] = tuple(e for e in entries if e)
        for theme in lists["themes"]:
            if not _SLUG.match(theme):
                raise fail(f"bad theme slug {theme!r}")
        for occasion in lists["occasions"]:
            if not _valid_occasion(occasion):
                raise fail(f"bad occasion {occasion!r} (use MM-DD like 09-02, or 'tet')")

        item = ContentItem(**values, **lists)
        key = normalize(item.text)
        if item.id in self.ids:
            raise fail(f"duplicate id (first in {self.ids[item.id]})")
        if key in self.texts:
            raise fail(f"duplicate text (same words as id {self.texts[key]!r})")
        length = rendered_length(item)
        if length > MAX_RENDERED_CHARS:
            raise fail(f"rendered message is {length} characters, over the {MAX_RENDERED_CHARS} limit")
        self.ids[item.id] = source
        self.texts[key] = item.id
        return item

    def check_all(
        self, raw: Any, source: str, lines: Sequence[int | None] | None = None
    ) -> list[ContentItem]:
        if not isinstance(raw, list):
            raise ContentError(f"{source}: expected a list of items")
        return [
            self.check(entry, source, i, lines[i] if lines and i < len(lines) else None)
            for i, entry in enumerate(raw)
        ]


def validate_items(
    raw: list[dict[str, Any]], source: str, lines: Sequence[int | None] | None = None
) -> list[ContentItem]:
    """Validate raw items (from YAML or CSV). ``lines`` gives each item's line for error messages."""
    return _Validator().check_all(raw, source, lines)


# The shipped library (~290 KB of YAML) is parsed at every start-up: libyaml's parser does it ~10x faster
# than the pure-Python one (same SafeConstructor, same nodes and line marks).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, loader_class: Any) -> tuple[Any, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else []), node
    finally:
        loader.dispose()


def read_yaml(path: Path) -> tuple[Any, list[int | None]]:
    """Parse a YAML file, returning the data and the 1-based line where each top-level item starts."""
    try:
        text = path.read_text(encoding="utf-8")
        try:
            data, node = _compose(text, _FAST_LOADER)
        except yaml.YAMLError:
            # libyaml words some errors differently: the pure-Python parser gives the message users see.
            data, node = _compose(text, yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise ContentError(f"{path.name}: cannot read YAML: {reason}") from None
    lines: list[int | None] = []
    if isinstance(node, yaml.SequenceNode):
        lines = [child.start_mark.line + 1 for child in node.value]
    return data, lines


@dataclass
class Library:
    """Items by id. Shipped items have ``owner_org_id=None``; imported ones belong to one đảng bộ."""

    items: dict[str, ContentItem] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, items: Iterable[ContentItem], sources: Iterable[str] = ()) -> Library:
        lib = cls(sources=list(sources))
        for item in items:
            if item.id in lib.items:
                raise ContentError(f"duplicate id {item.id!r}")
            lib.items[item.id] = item
        return lib

    def get(self, item_id: str) -> ContentItem | None:
        return self.items.get(item_id)

    def all(self) -> list[ContentItem]:
        return list(self.items.values())

    def for_org(self, org_id: int | None) -> list[ContentItem]:
        """The shipped items plus those imported by ``org_id`` (never another organisation's)."""
        return [i for i in self.items.values() if i.owner_org_id is None or i.owner_org_id == org_id]

    def with_items(self, extra: Iterable[ContentItem]) -> Library:
        """A new library with ``extra`` added (e.g. an organisation's imported items from the DB)."""
        return Library.of([*self.items.values(), *extra], self.sources)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ContentItem]:
        return iter(self.items.values())


def library_files(path: Path | None = None) -> list[Path]:
    path = path or LIBRARY_DIR
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    return [path]


def load_library(path: Path | None = None) -> Library:
    """Load every ``*.yaml`` in ``path`` (a directory or one file; default: the shipped library)."""
    files = library_files(path)
    if not files:
        raise ContentError(f"{path or LIBRARY_DIR}: no content files (*.yaml)")
    validator = _Validator()
    items: list[ContentItem] = []
    for file in files:
        data, lines = read_yaml(file)
        items.extend(validator.check_all(data if data is not None else [], file.name, lines))
    if not items:
        raise ContentError(f"{path or LIBRARY_DIR}: no shippable items (every content file is empty)")
    return Library.of(items, [str(path or LIBRARY_DIR)])


def owned_by(items: Iterable[ContentItem], org_id: int | None) -> list[ContentItem]:
    return [replace(i, owner_org_id=org_id) for i in items]
