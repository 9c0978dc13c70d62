"""Telegram update -> neutral Inbound. Anything it cannot use becomes kind "ignored", never an error."""

from __future__ import annotations

import logging

from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update

from bot.messages import ChatRef, Inbound, MediaRef, UserRef

log = logging.getLogger("hocbac.telegram")
CHANNEL = "telegram"


def _user(u) -> UserRef | None:  # type: ignore[no-untyped-def]
    if u is None or getattr(u, "is_bot", False):
        return None
    name = " ".join(p for p in (u.first_name, u.last_name) if p) or (u.username or str(u.id))
    return UserRef(CHANNEL, str(u.id), name, u.username or "")


def _chat_type(chat_type: str) -> str:
    return "private" if chat_type == "private" else "group"


def _media(msg: Message) -> list[MediaRef]:
    if msg.photo:
        best = msg.photo[-1]  # sizes come smallest first
        return [MediaRef("photo", file_id=best.file_id, unique_id=best.file_unique_id, size=best.file_size,
                         mime="image/jpeg")]
    for kind, obj in (("voice", msg.voice), ("audio", msg.audio), ("video", msg.video),
                      ("document", msg.document), ("sticker", msg.sticker), ("video", msg.video_note),
                      ("video", msg.animation)):
        if obj is not None:
            return [MediaRef(kind, file_id=obj.file_id, unique_id=obj.file_unique_id,  # type: ignore[arg-type]
                             size=getattr(obj, "file_size", None), mime=getattr(obj, "mime_type", None) or "",
                             file_name=getattr(obj, "file_name", None) or "")]
    if msg.location is not None or msg.venue is not None:
        return [MediaRef("location")]
    if any(getattr(msg, f, None) is not None for f in ("contact", "poll", "dice", "game", "story", "checklist")):
        return [MediaRef("other")]
    return []


def _command(msg: Message, bot_username: str) -> tuple[str | None, str]:
    text = msg.text or ""
    if not text.startswith("/"):
        return None, ""
    head, _sep, args = text.partition(" ")
    name, _at, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None, ""  # addressed to another bot in a group
    if not name or len(name) > 64:
        return None, ""
    return name.lower(), args.strip()


def message_to_inbound(msg: Message, update_id: int, bot_username: str, bot: str = "") -> Inbound:
    chat = ChatRef(CHANNEL, str(msg.chat.id), bot)
    user = _user(msg.from_user)
    media = _media(msg)
    is_service = not (msg.text or msg.caption or media)
    command, args = _command(msg, bot_username)
    return Inbound(
        channel=CHANNEL,
        chat=chat,
        user=user,
        chat_type=_chat_type(msg.chat.type),  # type: ignore[arg-type]
        text=msg.text or msg.caption or "",
        command=command,
        args=args,
        media=media,
        message_id=str(msg.message_id),
        timestamp=msg.date,
        kind="ignored" if is_service else ("unsupported" if media and media[0].kind in ("other",) else "message"),
        update_id=str(update_id),
    )


def _pressed(message: object, data: str) -> dict[str, str]:
    """The pressed question as the person saw it: its text (HTML) and the label of the pressed button, so
    the kernel can edit the question to show the answer. Empty when the message is not accessible."""
    if not isinstance(message, Message) or not data:
        return {}
    out: dict[str, str] = {}
    try:
        out["origin_html"] = message.html_text if (message.text or message.caption) else ""
    except Exception:  # entities we cannot unparse: the kernel then leaves the text as it is
        log.debug("could not read the pressed message's text")
    if message.caption is not None or message.photo or message.document:
        out["origin_caption"] = "1"
    rows = message.reply_markup.inline_keyboard if message.reply_markup else []
    for row in rows:
        for button in row:
            if button.callback_data == data:
                out["pressed_label"] = button.text
    return out


def callback_to_inbound(cb: CallbackQuery, update_id: int, bot: str = "") -> Inbound:
    message = cb.message
    if message is not None and getattr(message, "chat", None) is not None:
        chat = ChatRef(CHANNEL, str(message.chat.id), bot)
        chat_type = _chat_type(message.chat.type)
        message_id = str(message.message_id)
    else:
        chat = ChatRef(CHANNEL, str(cb.from_user.id), bot)  # inline-mode message: answer in private
        chat_type = "private"
        message_id = ""
    return Inbound(
        channel=CHANNEL,
        chat=chat,
        user=_user(cb.from_user),
        chat_type=chat_type,  # type: ignore[arg-type]
        choice=cb.data or "",  # the codec refuses data over 64 bytes; cutting it could make it valid
        message_id=message_id,
        kind="callback" if cb.data else "ignored",
        callback_id=cb.id,
        update_id=str(update_id),
        extras=_pressed(message, cb.data or ""),
    )


def member_to_inbound(upd: ChatMemberUpdated, update_id: int, bot: str = "") -> Inbound:
    blocked = upd.chat.type == "private" and upd.new_chat_member.status == "kicked"
    return Inbound(
        channel=CHANNEL,
        chat=ChatRef(CHANNEL, str(upd.chat.id), bot),
        user=_user(upd.from_user),
        chat_type=_chat_type(upd.chat.type),  # type: ignore[arg-type]
        kind="blocked" if blocked else "member_update",
        update_id=str(update_id),
    )


def update_to_inbound(update: Update, bot_username: str = "", bot: str = "") -> Inbound | None:
    """Only private/group messages, button presses and the bot's own membership changes matter."""
    if update.message is not None:
        return message_to_inbound(update.message, update.update_id, bot_username, bot)
    if update.callback_query is not None:
        return callback_to_inbound(update.callback_query, update.update_id, bot)
    if update.my_chat_member is not None:
        return member_to_inbound(update.my_chat_member, update.update_id, bot)
    return None
