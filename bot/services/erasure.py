"""Erasure (/xoadulieu): what a feature's eraser hands back, and removing the copies of it elsewhere.

A feature's eraser blanks or deletes the person's rows in its own tables and returns an :class:`Erased`:
the personal texts it removed (so the engine can find the copies of them in messages already queued or
sent to others, e.g. the secretary's "X reported a good deed: …") and the media it deleted. The privacy
feature runs every eraser in one transaction, then redacts those texts and the person's names in the
outbox and in other people's conversation state (docs/PRIVACY.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.messages import esc

# Shorter texts ("ok", "có") are not specific enough to look for in other people's messages.
MIN_FRAGMENT = 4
# Lists and digests show the start of a long text ("…" after 70 or 80 characters): its first characters
# are looked for too.
PREFIX = 40


@dataclass
class Erased:
    """What one eraser removed: texts to look for in copies, media keys it deleted (or left to others)."""

    texts: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)

    def add(self, *texts: str | None) -> None:
        self.texts.update(t for t in texts if t)

    def add_json(self, value: Any) -> None:
        """Every string inside a JSON value (a draft, a version's content)."""
        if isinstance(value, str):
            self.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                self.add_json(v)
        elif isinstance(value, list):
            for v in value:
                self.add_json(v)

    def merge(self, other: Erased | None) -> None:
        if other is not None:
            self.texts |= other.texts
            self.media |= other.media


def fragments(texts: Iterable[str]) -> list[str]:
    """The strings to look for: each text, its lines and its first characters, raw and HTML-escaped
    (messages carry user text escaped), longest first."""
    found: set[str] = set()
    for text in texts:
        text = text.strip()
        if len(text) < MIN_FRAGMENT:
            continue
        parts = {text, *(line.strip() for line in text.splitlines() if len(line.strip()) >= 2 * MIN_FRAGMENT)}
        if len(text) > PREFIX:
            parts.add(text[:PREFIX])
        for part in parts:
            found.update((part, esc(part)))
    return sorted(found, key=len, reverse=True)


def redact(value: Any, needles: list[str], placeholder: str) -> tuple[Any, bool]:
    """``value`` (a JSON value) with every line of text that holds a needle replaced by ``placeholder``.
    Whole lines go, so a digest keeps its other entries while a truncated snippet leaves nothing behind."""
    if isinstance(value, str):
        if not any(n in value for n in needles):
            return value, False
        lines = [placeholder if any(n in line for n in needles) else line for line in value.split("\n")]
        out = "\n".join(lines)
        if any(n in out for n in needles):  # a needle spanning lines (a multi-line text)
            out = placeholder
        return out, True
    if isinstance(value, dict):
        changed = False
        result: dict[str, Any] = {}
        for k, v in value.items():
            result[k], c = redact(v, needles, placeholder)
            changed = changed or c
        return result, changed
    if isinstance(value, list):
        items = [redact(v, needles, placeholder) for v in value]
        return [v for v, _c in items], any(c for _v, c in items)
    return value, False


def drop_media(payload: dict[str, Any], keys: set[str]) -> tuple[dict[str, Any], bool]:
    """A payload without the media attachments whose key is one of ``keys`` (the person's photos)."""
    media = payload.get("media")
    items = media if isinstance(media, list) else [media] if isinstance(media, dict) else []
    if not any(isinstance(m, dict) and m.get("media_key") in keys for m in items):
        return payload, False
    kept = [m for m in items if not (isinstance(m, dict) and m.get("media_key") in keys)]
    out = dict(payload)
    if isinstance(media, list):
        out["media"] = kept
    else:
        out["media"] = kept[0] if kept else None
    return out, True
