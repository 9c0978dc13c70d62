"""Records, JSON shapes and validation helpers for the fake Telegram Bot API.

Kept apart from the HTTP layer (telegram.py) so the scripted users and tests can import the record
types without pulling in the server.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.devtools.emulator.html_check import check_html, visible_text

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")



def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid grey PNG, the default photo a scripted user sends."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))


TINY_PNG = tiny_png()


class ApiError(Exception):
    """Answer the current request with Telegram's error envelope."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str = ""
    file_name: str = ""

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass(slots=True)
class SentMessage:
    """One message the bot sent, as the fake stores it (current state plus edit history)."""

    method: str
    chat_id: int
    message_id: int
    text: str  # text or caption, as sent (HTML source when parse_mode is HTML)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    timestamp: float
    params: dict[str, Any]
    photo: list[dict[str, Any]] | None = None  # PhotoSize list
    document: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)  # previous versions, oldest first
    deleted: bool = False

    @property
    def visible(self) -> str:
        return visible_text(self.text) if (self.parse_mode or "").lower() == "html" else self.text

    @property
    def is_media(self) -> bool:
        return bool(self.photo or self.document or self.voice)

    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]


@dataclass(slots=True)
class OutEvent:
    """A change in a chat as a reader sees it: a new bot message, an edit or a deletion (snapshot)."""

    seq: int
    kind: Literal["new", "edit", "delete"]
    chat_id: int
    record: SentMessage
    html: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None

    @property
    def text(self) -> str:
        return visible_text(self.html) if (self.parse_mode or "").lower() == "html" else self.html


def check_text(text: str | None, parse_mode: str | None, *, caption: bool = False) -> str:
    """Validate a message text or caption the way Telegram does; return the visible text."""
    text = text or ""
    if (parse_mode or "").lower() == "html":
        reason = check_html(text)
        if reason:
            raise bad_request(f"can't parse entities: {reason}")
        shown = visible_text(text)
    else:
        shown = text
    if caption:
        if len(shown) > MAX_CAPTION:
            raise bad_request("message caption is too long")
    else:
        if not shown.strip():
            raise bad_request("message text is empty")
        if len(shown) > MAX_TEXT:
            raise bad_request("message is too long")
    return shown


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    actions = [k for k in button if k != "text" and k != "style" and k != "icon_custom_emoji_id"]
    if not actions:
        raise bad_request("can't parse inline keyboard button: "
                          "Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def parse_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Decode and validate reply_markup (JSON string or object)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup '
                              'must be an Array of Arrays')
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label:
                    raise bad_request("can't parse keyboard button: Field \"text\" must be of type String")
    elif raw.get("remove_keyboard") is not True and raw.get("force_reply") is not True:
        raise bad_request("can't find field \"inline_keyboard\"")
    placeholder = raw.get("input_field_placeholder")
    if placeholder is not None and not (isinstance(placeholder, str) and 1 <= len(placeholder) <= 64):
        raise bad_request("input field placeholder must be 1-64 characters")
    return raw


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (read from its header); a plausible default for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 640, 480


def user_json(user_id: int, first_name: str, last_name: str = "", username: str = "",
              language_code: str = "", is_bot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        data["last_name"] = last_name
    if username:
        data["username"] = username
    if language_code:
        data["language_code"] = language_code
    return data


def command_entities(text: str) -> list[dict[str, Any]]:
    """A bot_command entity for a leading /command, as Telegram adds it (offsets in UTF-16 units)."""
    m = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if not m:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(m.group(0).encode("utf-16-le")) // 2}]
