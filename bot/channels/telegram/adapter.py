"""Telegram update JSON -> neutral Inbound, without aiogram's types (its ~400 pydantic models cost ~100 MB
and seconds at import; we read a handful of fields).

Anything the bot has no use for becomes kind "ignored" or None, never an error. An update whose fields do
not have the types Telegram's schema gives them raises :class:`BadUpdate` (the intake logs it without its
text and moves past it).
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime
from typing import Any

from bot.messages import ChatRef, Inbound, MediaRef, UserRef

log = logging.getLogger("hocbac.telegram")
CHANNEL = "telegram"
# The update kinds the bot reads (asked for in getUpdates / setWebhook).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class BadUpdate(ValueError):
    """A field is missing or has the wrong type; ``where`` names it (never its value)."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, *, required: bool = True) -> Any:
    value = obj.get(key)
    if value is None:
        if required:
            raise BadUpdate(f"{where}.{key}")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
        raise BadUpdate(f"{where}.{key}")
    return value


def _obj(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any] | None:
    return _get(obj, key, dict, where, required=required)  # type: ignore[no-any-return]


def _user(u: dict[str, Any] | None, where: str) -> UserRef | None:
    if u is None:
        return None
    uid = _get(u, "id", int, where)
    is_bot = _get(u, "is_bot", bool, where)
    first, last = _get(u, "first_name", str, where), _get(u, "last_name", str, where, required=False)
    username = _get(u, "username", str, where, required=False) or ""
    if is_bot:
        return None
    name = " ".join(p for p in (first, last) if p) or (username or str(uid))
    return UserRef(CHANNEL, str(uid), name, username)


def _chat(msg: dict[str, Any], where: str) -> tuple[ChatRef, str]:
    chat = _obj(msg, "chat", where)
    assert chat is not None
    chat_id = _get(chat, "id", int, f"{where}.chat")
    chat_type = _get(chat, "type", str, f"{where}.chat")
    return ChatRef(CHANNEL, str(chat_id)), "private" if chat_type == "private" else "group"


def _file(kind: str, obj: dict[str, Any], where: str) -> MediaRef:
    return MediaRef(kind, file_id=_get(obj, "file_id", str, where),  # type: ignore[arg-type]
                    unique_id=_get(obj, "file_unique_id", str, where),
                    size=_get(obj, "file_size", int, where, required=False),
                    mime=_get(obj, "mime_type", str, where, required=False) or "",
                    file_name=_get(obj, "file_name", str, where, required=False) or "")


def _media(msg: dict[str, Any]) -> list[MediaRef]:
    photo = _get(msg, "photo", list, "message", required=False)
    if photo:
        best = photo[-1]  # sizes come smallest first
        if not isinstance(best, dict):
            raise BadUpdate("message.photo")
        ref = _file("photo", best, "message.photo")
        ref.mime = "image/jpeg"
        return [ref]
    for kind, key in (("voice", "voice"), ("audio", "audio"), ("video", "video"), ("document", "document"),
                      ("sticker", "sticker"), ("video", "video_note"), ("video", "animation")):
        obj = _obj(msg, key, f"message.{key}", required=False) if key in msg else None
        if obj is not None:
            return [_file(kind, obj, f"message.{key}")]
    if msg.get("location") is not None or msg.get("venue") is not None:
        return [MediaRef("location")]
    if any(msg.get(f) is not None for f in ("contact", "poll", "dice", "game", "story", "checklist")):
        return [MediaRef("other")]
    return []


def _command(text: str, bot_username: str) -> tuple[str | None, str]:
    if not text.startswith("/"):
        return None, ""
    head, _sep, args = text.partition(" ")
    name, _at, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None, ""  # addressed to another bot in a group
    if not name or len(name) > 64:
        return None, ""
    return name.lower(), args.strip()


def message_to_inbound(msg: dict[str, Any], update_id: int, bot_username: str) -> Inbound:
    message_id = _get(msg, "message_id", int, "message")
    date = _get(msg, "date", int, "message")
    chat, chat_type = _chat(msg, "message")
    user = _user(_obj(msg, "from", "message", required=False), "message.from")
    text = _get(msg, "text", str, "message", required=False) or ""
    caption = _get(msg, "caption", str, "message", required=False) or ""
    media = _media(msg)
    is_service = not (text or caption or media)
    command, args = _command(text, bot_username)
    return Inbound(
        channel=CHANNEL,
        chat=chat,
        user=user,
        chat_type=chat_type,  # type: ignore[arg-type]
        text=text or caption,
        command=command,
        args=args,
        media=media,
        message_id=str(message_id),
        timestamp=datetime.fromtimestamp(date, UTC),
        kind="ignored" if is_service else ("unsupported" if media and media[0].kind in ("other",) else "message"),
        update_id=str(update_id),
    )


# --- the text of a pressed message, back to our HTML subset ---------------------------------------------

_TAGS = {"bold": "b", "italic": "i", "underline": "u", "strikethrough": "s", "spoiler": "tg-spoiler",
         "code": "code", "blockquote": "blockquote"}


def _wrap(entity: dict[str, Any], body: str) -> str:
    kind = entity.get("type")
    if kind in _TAGS:
        tag = _TAGS[str(kind)]
        return f"<{tag}>{body}</{tag}>"
    if kind == "expandable_blockquote":
        return f"<blockquote expandable>{body}</blockquote>"
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{html.escape(str(language))}">{body}</code></pre>'
        return f"<pre>{body}</pre>"
    if kind == "text_link":
        return f'<a href="{html.escape(str(entity.get("url") or ""))}">{body}</a>'
    if kind == "text_mention" and isinstance(entity.get("user"), dict):
        return f'<a href="tg://user?id={entity["user"].get("id")}">{body}</a>'
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{html.escape(str(entity.get("custom_emoji_id") or ""))}">{body}</tg-emoji>'
    return body  # url, mention, hashtag …: Telegram finds them again in the plain text


def html_text(text: str, entities: list[Any] | None) -> str:
    """Text + entities (offsets in UTF-16 code units, as Telegram counts) -> HTML, as aiogram's
    ``Message.html_text``: nested entities nest, an entity overlapping an earlier one is dropped."""
    data = text.encode("utf-16-le")

    def piece(start: int, end: int) -> str:
        return html.escape(data[start * 2:end * 2].decode("utf-16-le"), quote=False)

    valid = [e for e in entities or () if isinstance(e, dict) and isinstance(e.get("offset"), int)
             and isinstance(e.get("length"), int)]
    ordered = sorted(valid, key=lambda e: (e["offset"], -e["length"]))

    def render(start: int, end: int, items: list[dict[str, Any]]) -> str:
        out: list[str] = []
        pos = start
        for i, e in enumerate(items):
            off, stop = e["offset"], e["offset"] + e["length"]
            if off < pos or stop > end:
                continue  # inside one already rendered, or overlapping it
            out.append(piece(pos, off))
            inner = [x for x in items[i + 1:] if x["offset"] >= off and x["offset"] + x["length"] <= stop]
            out.append(_wrap(e, render(off, stop, inner)))
            pos = stop
        out.append(piece(pos, end))
        return "".join(out)

    return render(0, len(data) // 2, ordered)


def _pressed(message: dict[str, Any] | None, data: str) -> dict[str, str]:
    """The pressed question as the person saw it: its text (HTML) and the label of the pressed button, so
    the kernel can edit the question to show the answer. Empty when the message is not accessible."""
    if message is None or not data or not message.get("date"):  # date 0: an inaccessible message
        return {}
    out: dict[str, str] = {}
    text, caption = message.get("text"), message.get("caption")
    try:
        if isinstance(text, str) and text:
            out["origin_html"] = html_text(text, message.get("entities"))
        elif isinstance(caption, str) and caption:
            out["origin_html"] = html_text(caption, message.get("caption_entities"))
        else:
            out["origin_html"] = ""
    except Exception:  # entities we cannot unparse: the kernel then leaves the text as it is
        log.debug("could not read the pressed message's text")
    if caption is not None or message.get("photo") or message.get("document"):
        out["origin_caption"] = "1"
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else ():
        for button in row if isinstance(row, list) else ():
            if isinstance(button, dict) and button.get("callback_data") == data:
                out["pressed_label"] = str(button.get("text") or "")
    return out


def callback_to_inbound(cb: dict[str, Any], update_id: int) -> Inbound:
    cb_id = _get(cb, "id", str, "callback_query")
    sender = _obj(cb, "from", "callback_query")
    assert sender is not None
    _get(cb, "chat_instance", str, "callback_query")
    data = _get(cb, "data", str, "callback_query", required=False) or ""
    user = _user(sender, "callback_query.from")
    message = _obj(cb, "message", "callback_query", required=False)
    if message is not None:
        _get(message, "message_id", int, "callback_query.message")
        _get(message, "date", int, "callback_query.message")
        chat, chat_type = _chat(message, "callback_query.message")
        message_id = str(message["message_id"])
    else:
        chat = ChatRef(CHANNEL, str(sender["id"]))  # inline-mode message: answer in private
        chat_type, message_id = "private", ""
    return Inbound(
        channel=CHANNEL,
        chat=chat,
        user=user,
        chat_type=chat_type,  # type: ignore[arg-type]
        choice=data,  # the codec refuses data over 64 bytes; cutting it could make it valid
        message_id=message_id,
        kind="callback" if data else "ignored",
        callback_id=cb_id,
        update_id=str(update_id),
        extras=_pressed(message, data),
    )


def member_to_inbound(upd: dict[str, Any], update_id: int) -> Inbound:
    chat, chat_type = _chat(upd, "my_chat_member")
    user = _user(_obj(upd, "from", "my_chat_member"), "my_chat_member.from")
    _get(upd, "date", int, "my_chat_member")
    new = _obj(upd, "new_chat_member", "my_chat_member")
    assert new is not None
    status = _get(new, "status", str, "my_chat_member.new_chat_member")
    return Inbound(
        channel=CHANNEL,
        chat=chat,
        user=user,
        chat_type=chat_type,  # type: ignore[arg-type]
        kind="blocked" if chat_type == "private" and status == "kicked" else "member_update",
        update_id=str(update_id),
    )


def update_to_inbound(update: Any, bot_username: str = "") -> Inbound | None:
    """Only private/group messages, button presses and the bot's own membership changes matter; other
    kinds (edited messages, channel posts, reactions …) are None. Raises BadUpdate on a malformed one."""
    if not isinstance(update, dict):
        raise BadUpdate("update")
    update_id = _get(update, "update_id", int, "update")
    if "message" in update:
        msg = _obj(update, "message", "update")
        return message_to_inbound(msg, update_id, bot_username) if msg is not None else None
    if "callback_query" in update:
        cb = _obj(update, "callback_query", "update")
        return callback_to_inbound(cb, update_id) if cb is not None else None
    if "my_chat_member" in update:
        upd = _obj(update, "my_chat_member", "update")
        return member_to_inbound(upd, update_id) if upd is not None else None
    return None
