"""Channel-neutral message types.

Handlers and services only ever see these. A channel adapter turns a platform update into an
``Inbound`` and renders a ``Reply`` into platform calls. Reply text is a small HTML subset
(<b>, <i>, <u>, <s>, <a href>, <code>, <pre>, <blockquote>); every piece of user text put into it must
go through :func:`esc`. Channels without HTML (Zalo) strip the tags and unescape the entities.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

ChatType = Literal["private", "group"]

# Telegram's hard limit for callback data; every channel keeps to it so data is portable.
MAX_CALLBACK_BYTES = 64


def esc(text: object) -> str:
    """Escape user text for the Reply HTML subset."""
    return html.escape(str(text), quote=False)


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a message goes: one chat on one channel (and one bot account, for multi-bot channels)."""

    channel: str
    chat_id: str
    bot: str = ""

    def key(self) -> str:
        return f"{self.channel}:{self.bot}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who wrote: a platform user. Handlers never build one; they get it from Inbound.user."""

    channel: str
    user_id: str
    display_name: str = ""
    username: str = ""


@dataclass(slots=True)
class MediaRef:
    """A photo, voice note or document, as received or as to be sent.

    Exactly how to fetch it depends on the source: ``file_id`` (platform file, fetch through the
    channel), ``url`` (fetch over HTTP) or ``media_key`` (already in our media store).
    """

    kind: Literal["photo", "voice", "audio", "video", "document", "sticker", "location", "other"]
    file_id: str = ""
    url: str = ""
    media_key: str = ""
    mime: str = ""
    size: int | None = None
    file_name: str = ""
    unique_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaRef:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Button:
    """An inline choice. ``data`` is at most 64 bytes, is echoed back as ``Inbound.choice`` and is
    never trusted: services re-check every permission behind it."""

    label: str
    data: str = ""
    url: str = ""
    # A link the channel may open inside the app (a Telegram Mini App); elsewhere a plain link to ``url``.
    web_app: bool = False

    def __post_init__(self) -> None:
        if not self.url and len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {self.data!r}")


@dataclass(slots=True)
class Reply:
    """Something the bot says.

    - ``buttons``: rows of inline choices (a numbered list on channels without buttons).
    - ``menu``: a persistent main menu of big buttons (rows of labels); ``remove_menu`` hides it.
    - ``media``: one photo or document; ``text`` becomes its caption when short enough.
    - ``edit_of``: the platform message id to edit in place, when the channel can edit; otherwise a
      new message is sent.
    - ``placeholder``: a hint shown in the empty input field while an answer is typed ("Ví dụ: 28/11"),
      where the channel has one (Telegram, when the message carries no inline buttons); others ignore it.
      With ``edit_only`` nothing new is ever sent (closing an answered question).
    """

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    menu: list[list[str]] | None = None
    remove_menu: bool = False
    media: MediaRef | None = None
    edit_of: str | None = None
    disable_preview: bool = True
    placeholder: str = ""
    # The number of the first choice on numbered-list channels (set when sent: bot.kernel.choices).
    choice_start: int = 1
    edit_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[{"label": b.label, "data": b.data, "url": b.url, **({"web_app": True} if b.web_app else {})}
                         for b in row] for row in self.buttons],
            "menu": self.menu,
            "remove_menu": self.remove_menu,
            "media": self.media.to_dict() if self.media else None,
            "edit_of": self.edit_of,
            "disable_preview": self.disable_preview,
            "placeholder": self.placeholder,
            "edit_only": self.edit_only,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=data.get("text", ""),
            buttons=[[Button(**b) for b in row] for row in data.get("buttons") or []],
            menu=data.get("menu"),
            remove_menu=bool(data.get("remove_menu")),
            media=MediaRef.from_dict(data["media"]) if data.get("media") else None,
            edit_of=data.get("edit_of"),
            disable_preview=data.get("disable_preview", True),
            placeholder=data.get("placeholder") or "",
            edit_only=bool(data.get("edit_only")),
        )

    def choices(self) -> list[Button]:
        return [b for row in self.buttons for b in row if not b.url]


@dataclass(slots=True)
class Inbound:
    """One thing a person did: a message, a command, a button press or a photo."""

    channel: str
    chat: ChatRef
    user: UserRef | None
    chat_type: ChatType = "private"
    text: str = ""
    command: str | None = None  # lower-case, without slash or @botname
    args: str = ""
    media: list[MediaRef] = field(default_factory=list)
    choice: str | None = None  # the Button.data that was pressed
    message_id: str = ""
    timestamp: datetime | None = None
    kind: str = "message"  # message | callback | member_update | unsupported
    callback_id: str = ""  # platform id of the button press, to acknowledge it
    update_id: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"
