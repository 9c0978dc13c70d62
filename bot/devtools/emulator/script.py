"""Scripted chat users that read like a conversation in tests:

    await alice.send("/start")
    await alice.expect("Chào mừng")
    await alice.press("Đồng ý")

``ChatUser`` holds the channel-neutral transcript logic (expect, press lookup, transcript);
``TelegramUser`` drives the fake Telegram server. A Zalo user implements the same abstract methods.
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.devtools.emulator.telegram_state import TINY_PNG

if TYPE_CHECKING:
    from bot.devtools.emulator.telegram import FakeTelegram
    from bot.devtools.emulator.telegram_state import OutEvent


@dataclass(slots=True)
class BotMessage:
    """One bot message (or edit of one) as a person sees it."""

    text: str  # visible text: tags removed, entities decoded
    html: str  # as sent
    message_id: int | str
    chat_id: int | str
    buttons: list[str] = field(default_factory=list)  # inline button labels, row by row
    button_data: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data or url)
    photo: bool = False
    media: str = ""  # "photo" | "document" | "voice" | ""
    edited: bool = False
    deleted: bool = False
    raw: Any = None  # the channel's own record

    def line(self) -> str:
        tag = "[đã xoá] " if self.deleted else ("[sửa] " if self.edited else "")
        media = f"[{self.media}] " if self.media else ""
        buttons = f"  {self.buttons}" if self.buttons else ""
        return f"bot #{self.message_id}: {tag}{media}{self.text}{buttons}"


class ChatUser(abc.ABC):
    """A person chatting with the bot. Subclasses supply the channel plumbing."""

    default_timeout = 5.0

    def __init__(self, user_id: int | str, name: str) -> None:
        self.user_id = user_id
        self.name = name
        self._cursor: dict[Any, int] = {}  # chat -> number of bot events already consumed
        # (bot events in that chat at the time, chat, line): what this user did, for transcripts.
        self._own: list[tuple[int, Any, str]] = []

    # ---- channel plumbing ------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def chat_key(self) -> Any:
        """The private chat's id."""

    @abc.abstractmethod
    def bot_events(self, chat: Any) -> list[BotMessage]:
        """Every bot message/edit/deletion in ``chat`` so far, in arrival order."""

    @abc.abstractmethod
    async def wait_change(self, chat: Any, seen: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until ``chat`` has more than ``seen`` bot events; False on timeout. Never busy-sleeps."""

    @abc.abstractmethod
    async def _send_text(self, chat: Any, text: str) -> None: ...

    @abc.abstractmethod
    async def _press(self, message: BotMessage, data: str) -> None: ...

    @abc.abstractmethod
    def current(self, message: BotMessage) -> BotMessage:
        """The latest state of ``message`` (after edits)."""

    async def send_photo(self, data: bytes | None = None, caption: str = "") -> None:
        raise NotImplementedError

    async def send_sticker(self) -> None:
        raise NotImplementedError

    async def send_location(self, lat: float, lon: float) -> None:
        raise NotImplementedError

    async def send_voice(self, data: bytes) -> None:
        raise NotImplementedError

    # ---- talking ---------------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        self._note(self.chat_key, f"{self.name}: {text}")
        await self._send_text(self.chat_key, text)

    async def send_in(self, group: Any, text: str) -> None:
        chat = getattr(group, "chat_id", group)
        self._note(chat, f"{self.name}: {text}")
        await self._send_text(chat, text)

    async def press(self, label: str, message: BotMessage | None = None) -> None:
        """Press the inline button labelled ``label`` (exact match first, then substring)."""
        if message is None:
            message = self._last_with_buttons(self.chat_key)
        else:
            message = self.current(message)
        choices = [(lab, data) for lab, data in message.button_data]
        exact = [c for c in choices if c[0] == label]
        partial = [c for c in choices if label in c[0]]
        matches = exact or partial
        if len(matches) != 1:
            problem = "no button" if not matches else f"{len(matches)} buttons"
            raise AssertionError(f"{self.name}: {problem} matching {label!r} on bot message "
                                 f"#{message.message_id}; available: {message.buttons}")
        self._note(message.chat_id, f"{self.name}: [bấm] {matches[0][0]}")
        await self._press(message, matches[0][1])

    async def press_data(self, data: str, message: BotMessage) -> None:
        """Send callback data that may not be on any button (forged input)."""
        self._note(message.chat_id, f"{self.name}: [bấm dữ liệu] {data!r}")
        await self._press(self.current(message), data)

    def _last_with_buttons(self, chat: Any) -> BotMessage:
        for event in reversed(self.bot_events(chat)):
            state = self.current(event)
            if state.button_data and not state.deleted:
                return state
        raise AssertionError(f"{self.name}: no bot message with buttons in this chat.\n{self.transcript()}")

    # ---- reading ---------------------------------------------------------------------------------

    # A timeout argument reads like a chat in tests, hence the noqa.
    async def expect(self, *fragments: str, timeout: float | None = None,  # noqa: ASYNC109
                     chat: Any = None) -> BotMessage:
        """The first unread bot message containing every fragment; it and all before it become read."""
        chat = self.chat_key if chat is None else getattr(chat, "chat_id", chat)
        timeout = self.default_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events = self.bot_events(chat)
            start = self._cursor.get(chat, 0)
            for index in range(start, len(events)):
                event = events[index]
                if not event.deleted and all(f in event.text for f in fragments):
                    self._cursor[chat] = index + 1
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self.wait_change(chat, len(events), remaining):
                unread = "\n".join(e.line() for e in self.bot_events(chat)[start:]) or "(nothing)"
                raise AssertionError(f"{self.name}: no bot message containing {list(fragments)} within "
                                     f"{timeout}s. Unread:\n{unread}")

    async def expect_nothing(self, within: float = 0.3, chat: Any = None) -> None:
        """Assert the bot says (or edits) nothing new here for ``within`` seconds."""
        chat = self.chat_key if chat is None else getattr(chat, "chat_id", chat)
        seen = len(self.bot_events(chat))
        start = self._cursor.get(chat, 0)
        if await self.wait_change(chat, seen, within):
            new = "\n".join(e.line() for e in self.bot_events(chat)[seen:])
            raise AssertionError(f"{self.name}: expected silence, bot said:\n{new}")
        self._cursor[chat] = max(start, seen)

    @property
    def last(self) -> BotMessage | None:
        events = [e for e in self.bot_events(self.chat_key) if not e.deleted]
        return self.current(events[-1]) if events else None

    def _note(self, chat: Any, line: str) -> None:
        self._own.append((len(self.bot_events(chat)), chat, line))

    def transcript(self, chat: Any = None) -> str:
        """The chat as readable lines, this user's actions interleaved with the bot's messages."""
        chat = self.chat_key if chat is None else getattr(chat, "chat_id", chat)
        own = [(mark, line) for mark, c, line in self._own if c == chat]
        out: list[str] = []
        i = 0
        for index, event in enumerate(self.bot_events(chat)):
            while i < len(own) and own[i][0] <= index:
                out.append(own[i][1])
                i += 1
            out.append(event.line())
        out.extend(line for _, line in own[i:])
        return "\n".join(out)


class TelegramUser(ChatUser):
    """A scripted Telegram user talking to the bot through a :class:`FakeTelegram`."""

    def __init__(self, fake: FakeTelegram, user: dict[str, Any]) -> None:
        super().__init__(user["id"], user.get("first_name", str(user["id"])))
        self.fake = fake
        self.user = user

    @property
    def chat_key(self) -> int:
        return int(self.user["id"])

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def _view(self, event: OutEvent) -> BotMessage:
        rec = event.record
        rows = (event.reply_markup or {}).get("inline_keyboard") or []
        pairs = [(b.get("text", ""), b.get("callback_data", b.get("url", ""))) for row in rows for b in row]
        media = "photo" if rec.photo else "document" if rec.document else "voice" if rec.voice else ""
        return BotMessage(text=event.text, html=event.html, message_id=rec.message_id, chat_id=rec.chat_id,
                          buttons=[p[0] for p in pairs], button_data=pairs, photo=bool(rec.photo),
                          media=media, edited=event.kind == "edit", deleted=event.kind == "delete", raw=event)

    def bot_events(self, chat: Any) -> list[BotMessage]:
        return [self._view(e) for e in self.fake.events_for(int(chat))]

    def current(self, message: BotMessage) -> BotMessage:
        rec = message.raw.record
        latest = [e for e in self.fake.events_for(rec.chat_id) if e.record is rec]
        return self._view(latest[-1]) if latest else message

    async def wait_change(self, chat: Any, seen: int, timeout: float) -> bool:  # noqa: ASYNC109
        cond = self.fake.events
        try:
            async with cond:
                await asyncio.wait_for(cond.wait_for(lambda: len(self.fake.events_for(int(chat))) > seen),
                                       timeout)
        except TimeoutError:
            return False
        return True

    async def _send_text(self, chat: Any, text: str) -> None:
        await self.fake.inject_message(self.user, text, chat_id=int(chat))

    async def _press(self, message: BotMessage, data: str) -> None:
        await self.fake.inject_callback(self.user, message.raw.record, data)

    async def send_photo(self, data: bytes | None = None, caption: str = "") -> None:
        self._note(self.chat_key, f"{self.name}: [ảnh] {caption}")
        await self.fake.inject_photo(self.user, self.chat_key, data or TINY_PNG, caption)

    async def send_sticker(self) -> None:
        self._note(self.chat_key, f"{self.name}: [nhãn dán]")
        stored = self.fake.store_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker", "image/webp")
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
                   "file_size": len(stored.data)}
        await self.fake.inject_content(self.user, self.chat_key, sticker=sticker)

    async def send_location(self, lat: float, lon: float) -> None:
        self._note(self.chat_key, f"{self.name}: [vị trí] {lat}, {lon}")
        await self.fake.inject_content(self.user, self.chat_key, location={"latitude": lat, "longitude": lon})

    async def send_voice(self, data: bytes) -> None:
        self._note(self.chat_key, f"{self.name}: [ghi âm]")
        stored = self.fake.store_file(data, "voice", "audio/ogg")
        voice = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "duration": 1,
                 "mime_type": "audio/ogg", "file_size": len(data)}
        await self.fake.inject_content(self.user, self.chat_key, voice=voice)
