"""Neutral Reply -> Telegram markup and text chunks.

The decisions are made once, as Bot API JSON (``*_json``): the thin client (thin.py, ``hocbac worker``) sends
that as it is, and the aiogram channel wraps the same JSON in aiogram's types (``inline_keyboard``,
``markup``). aiogram is imported only inside those two, so this module stays cheap to import.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from bot.messages import Button, Reply

if TYPE_CHECKING:
    from aiogram.types import (
        ForceReply,
        InlineKeyboardMarkup,
        ReplyKeyboardMarkup,
        ReplyKeyboardRemove,
    )

MAX_TEXT = 4096
MAX_CAPTION = 1024
_TAG = re.compile(r"<[^>]*>")


def visible_len(fragment: str) -> int:
    return len(html.unescape(_TAG.sub("", fragment)))


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line breaks so that each chunk fits. Our replies keep every tag inside one line, so a
    line break is always a safe place; a single over-long line is sent as escaped plain text pieces."""
    if visible_len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        n = visible_len(line) + 1
        if n - 1 > limit:
            if current:
                chunks.append("\n".join(current))
                current, size = [], 0
            plain = html.unescape(_TAG.sub("", line))
            chunks.extend(html.escape(plain[i : i + limit - 50], quote=False)
                          for i in range(0, len(plain), limit - 50))
            continue
        if size + n > limit and current:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += n
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()] or [" "]


def button_json(b: Button) -> dict[str, Any]:
    """One inline button: a Mini App (``web_app``: its url opens inside Telegram), a link or a callback."""
    label = b.label[:64]
    if b.web_app and b.url:
        return {"text": label, "web_app": {"url": b.url}}
    if b.url:
        return {"text": label, "url": b.url}
    return {"text": label, "callback_data": b.data}


def inline_keyboard_json(reply: Reply) -> dict[str, Any] | None:
    if not reply.buttons:
        return None
    return {"inline_keyboard": [[button_json(b) for b in row] for row in reply.buttons]}


MAX_PLACEHOLDER = 64


def markup_json(reply: Reply) -> dict[str, Any] | None:
    """A Telegram message carries one keyboard: inline buttons win over the main menu. The input placeholder
    rides on the menu keyboard, or on a ForceReply when there is no keyboard to carry it."""
    inline = inline_keyboard_json(reply)
    if inline is not None:
        return inline
    placeholder = reply.placeholder.strip()[:MAX_PLACEHOLDER] or None
    hint = {"input_field_placeholder": placeholder} if placeholder else {}
    if reply.menu:
        return {"keyboard": [[{"text": label} for label in row] for row in reply.menu],
                "resize_keyboard": True, "is_persistent": True, **hint}
    if reply.remove_menu:
        return {"remove_keyboard": True}
    if placeholder:
        return {"force_reply": True, **hint}
    return None


def _aiogram(data: dict[str, Any] | None) -> Any:
    """The same JSON as aiogram's markup type (for the aiogram channel)."""
    if data is None:
        return None
    from aiogram.types import ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

    for key, kind in (("inline_keyboard", InlineKeyboardMarkup), ("keyboard", ReplyKeyboardMarkup),
                      ("remove_keyboard", ReplyKeyboardRemove), ("force_reply", ForceReply)):
        if key in data:
            return kind.model_validate(data)
    raise ValueError(f"not a reply markup: {sorted(data)}")


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _aiogram(inline_keyboard_json(reply))  # type: ignore[no-any-return]


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None:
    return _aiogram(markup_json(reply))  # type: ignore[no-any-return]
