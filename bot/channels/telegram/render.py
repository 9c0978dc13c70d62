"""Neutral Reply -> Telegram markup and text chunks."""

from __future__ import annotations

import html
import re

from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    WebAppInfo,
)

from bot.messages import Reply

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


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.label[:64], web_app=WebAppInfo(url=b.url)) if b.web_app and b.url
         else InlineKeyboardButton(text=b.label[:64], url=b.url) if b.url
         else InlineKeyboardButton(text=b.label[:64], callback_data=b.data) for b in row]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


MAX_PLACEHOLDER = 64


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None:
    """A Telegram message carries one keyboard: inline buttons win over the main menu. The input placeholder
    rides on the menu keyboard, or on a ForceReply when there is no keyboard to carry it."""
    inline = inline_keyboard(reply)
    if inline is not None:
        return inline
    placeholder = reply.placeholder.strip()[:MAX_PLACEHOLDER] or None
    if reply.menu:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=label) for label in row] for row in reply.menu],
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=placeholder,
        )
    if reply.remove_menu:
        return ReplyKeyboardRemove()
    if placeholder:
        return ForceReply(force_reply=True, input_field_placeholder=placeholder)
    return None
