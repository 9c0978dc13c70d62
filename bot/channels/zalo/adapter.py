"""Zalo update -> neutral Inbound. Never raises: junk becomes None (logged at debug)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from bot.messages import ChatRef, Inbound, MediaRef, UserRef

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
# Zalo deals in .aac voice notes only (API_NOTES #38).
VOICE_MIME = "audio/aac"
UNSUPPORTED = "message.unsupported.received"


def unwrap(update: Any) -> dict[str, Any] | None:
    """Webhook bodies and getUpdates replies may or may not sit inside {"ok", "result"}."""
    if isinstance(update, dict) and "result" in update and ("ok" in update or "message" not in update):
        update = update["result"]
    return update if isinstance(update, dict) else None


def _event_name(update: dict[str, Any], message: dict[str, Any]) -> str:
    name = update.get("event_name")
    if isinstance(name, str) and name:
        return name
    # The documented getUpdates sample carries no event_name; infer it from the fields present.
    if message.get("photo_url") or message.get("photo"):
        return IMAGE
    if message.get("sticker"):
        return STICKER
    if message.get("voice_url"):
        return VOICE
    if isinstance(message.get("text"), str):
        return TEXT
    return UNSUPPORTED


def _str(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)  # Zalo dates are milliseconds
        except (OverflowError, OSError, ValueError):
            return None
    return None


def split_command(text: str) -> tuple[str | None, str]:
    """'/HomNay@bot mai' -> ('homnay', 'mai'); plain text -> (None, '')."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None, ""
    head, _, args = stripped[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    return (command or None), args.strip()


_LEADING_MENTION = re.compile(r"^@[^/\n]*?\s+(?=/)")


def strip_mention(text: str, names: tuple[str, ...] = ()) -> str:
    """'@Bot Học Bác /lienketnhom 06:30' -> '/lienketnhom 06:30'. In a Zalo group the bot only hears
    messages that @mention it (or reply to it), so a command there starts with the mention. A known bot
    name is stripped even before plain words; an unknown one only when a /command follows."""
    stripped = text.lstrip()
    if not stripped.startswith("@"):
        return text
    for name in sorted(names, key=len, reverse=True):
        mention = "@" + name.lstrip("@")
        if stripped[: len(mention)].casefold() == mention.casefold():
            return stripped[len(mention):].lstrip(" ,:")
    m = _LEADING_MENTION.match(stripped)
    return stripped[m.end():] if m else text


def zalo_update_to_inbound(update: Any, bot_key: str, *, bot_names: tuple[str, ...] = ()) -> Inbound | None:
    body = unwrap(update)
    message = body.get("message") if body else None
    if not isinstance(message, dict):
        log.debug("zalo %s: update without a message ignored", bot_key)
        return None
    chat = message.get("chat")
    chat_id = _str(chat.get("id")) if isinstance(chat, dict) else ""
    if not chat_id:
        log.debug("zalo %s: update without chat id ignored", bot_key)
        return None
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    user_id = _str(sender.get("id"))
    name = next(
        (v for k in ("display_name", "first_name", "name") if isinstance(v := sender.get(k), str) and v), ""
    )
    user = UserRef(channel=CHANNEL, user_id=user_id, display_name=name) if user_id else None
    chat_type = "group" if str(chat.get("chat_type", "")).upper() == "GROUP" else "private"
    event = _event_name(body, message)
    message_id = _str(message.get("message_id"))
    inbound = Inbound(
        channel=CHANNEL,
        chat=ChatRef(channel=CHANNEL, chat_id=chat_id, bot=bot_key),
        user=user,
        chat_type=chat_type,
        message_id=message_id,
        update_id=message_id,  # Zalo has no update ids; the message id is the closest thing
        timestamp=_timestamp(message.get("date")),
        extras={"event_name": event, "is_bot": bool(sender.get("is_bot"))},
    )
    if event == TEXT:
        text = message.get("text")
        if not isinstance(text, str):
            log.debug("zalo %s: text event without text ignored", bot_key)
            return None
        if chat_type == "group":
            text = strip_mention(text, bot_names)
        inbound.text = text
        inbound.command, inbound.args = split_command(text)
    elif event == IMAGE:
        url = message.get("photo_url") or message.get("photo")
        caption = message.get("caption")
        inbound.text = caption if isinstance(caption, str) else ""
        if isinstance(url, str) and url:
            inbound.media.append(MediaRef(kind="photo", url=url, unique_id=message_id))
        else:
            log.debug("zalo %s: image without URL", bot_key)
            inbound.kind = "unsupported"
    elif event == STICKER:
        sticker = message.get("sticker")
        url = message.get("url")
        inbound.media.append(
            MediaRef(kind="sticker", file_id=_str(sticker), url=url if isinstance(url, str) else "")
        )
    elif event == VOICE:
        url = message.get("voice_url") or message.get("url")
        if isinstance(url, str) and url:
            inbound.media.append(MediaRef(kind="voice", url=url, mime=VOICE_MIME, unique_id=message_id,
                                          file_name="voice.aac"))
        else:
            log.debug("zalo %s: voice without URL", bot_key)
            inbound.kind = "unsupported"
    else:
        inbound.kind = "unsupported"
    return inbound
