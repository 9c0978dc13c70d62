"""ZaloUser: a scripted person chatting with the bot through FakeZalo.

A :class:`ChatUser`, so conversation tests read the same on both channels: send, send_photo, press,
expect, expect_nothing, transcript, last. Zalo has no buttons: ``press(label)`` answers the latest
numbered choice list by typing its number, as a Zalo user would (``send("dong y")`` types the label).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.devtools.emulator.script import BotMessage, ChatUser
from bot.text import fold

if TYPE_CHECKING:
    from bot.devtools.emulator.zalo import FakeMessage, FakeZalo

# A tiny valid JPEG header is not needed: the fake serves whatever bytes it is given.
DEFAULT_PHOTO = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


class ZaloUser(ChatUser):
    def __init__(self, fake: FakeZalo, user_id: str, display_name: str, *, chat_id: str | None = None,
                 group: bool = False, token: str | None = None) -> None:
        super().__init__(user_id, display_name)
        self.fake = fake
        self.user_id = user_id
        self.display_name = display_name
        self.chat_id = chat_id or user_id  # a private chat's id is the user's id
        self.group = group
        self.token = token  # which bot this person writes to (None: the fake's first)

    def __repr__(self) -> str:
        return f"ZaloUser({self.user_id!r}, {self.display_name!r})"

    # --- ChatUser plumbing ----------------------------------------------------------------------------

    @property
    def chat_key(self) -> str:
        return self.chat_id

    @staticmethod
    def _view(m: FakeMessage) -> BotMessage:
        labels = m.buttons
        return BotMessage(text=m.text, html=m.text, message_id=m.message_id, chat_id=m.chat_id,
                          buttons=labels, button_data=[(label, str(n)) for n, label in zip(m.choice_numbers, labels,
                                                                                            strict=True)],
                          photo=m.photo, media="photo" if m.photo else "", raw=m)

    def bot_events(self, chat: Any) -> list[BotMessage]:
        return [self._view(m) for m in self.fake.messages_for(str(chat))]

    def current(self, message: BotMessage) -> BotMessage:
        return message  # Zalo messages are never edited

    async def wait_change(self, chat: Any, seen: int, timeout: float) -> bool:  # noqa: ASYNC109
        cond = self.fake.changed
        try:
            async with cond:
                await asyncio.wait_for(
                    cond.wait_for(lambda: len(self.fake.messages_for(str(chat))) > seen), timeout)
        except TimeoutError:
            return False
        return True

    async def _send_text(self, chat: Any, text: str) -> None:
        await self.fake.inject_text(self, text, self.token)

    async def send_reply_to_bot(self, text: str) -> None:
        """In a group: answer one of the bot's messages with Zalo's reply (the bot hears it without a mention)."""
        self._note(self.chat_key, f"{self.display_name}: [trả lời bot] {text}")
        await self.fake.inject_text(self, text, self.token, reply_to_bot=True)

    async def _press(self, message: BotMessage, data: str) -> None:
        await self._send_text(message.chat_id, data)  # the "data" of a numbered choice is its number

    # --- acting ---------------------------------------------------------------------------------------

    async def send_photo(self, data: bytes | None = None, caption: str = "") -> str:  # type: ignore[override]
        """Host the bytes on the fake and send them as a photo; returns the photo URL."""
        self._note(self.chat_key, f"{self.display_name}: [ảnh] {caption}")
        url = self.fake.host_file(data if data is not None else DEFAULT_PHOTO)
        await self.fake.inject_image(self, url, caption, self.token)
        return url

    async def send_voice(self, data: bytes) -> None:
        """Host the bytes on the fake (a .aac voice note, as Zalo has them) and send them as a voice message."""
        self._note(self.chat_key, f"{self.display_name}: [tin nhắn thoại]")
        url = self.fake.host_file(data, "audio/aac")
        await self.fake.inject_voice(self, url, self.token)

    async def send_sticker(self, sticker: str = "fake-sticker") -> None:  # type: ignore[override]
        self._note(self.chat_key, f"{self.display_name}: [nhãn dán]")
        await self.fake.inject_sticker(self, sticker, self.token)

    async def press(self, label: str, message: BotMessage | None = None) -> None:
        """Answer a numbered choice list (the latest, or ``message``'s) by number. ``label`` matches
        exactly, then loosely (no diacritics/case/emoji), then as a unique substring."""
        latest = message or next((m for m in reversed(self.bot_events(self.chat_key)) if m.buttons), None)
        if latest is None:
            raise AssertionError(f"{self}: no bot message with a numbered choice list to press {label!r} in")
        options = latest.buttons
        index = next((i for i, o in enumerate(options) if o == label), None)
        if index is None and (wanted := fold(label)):
            index = next((i for i, o in enumerate(options) if fold(o) == wanted), None)
        if index is None:
            partial = [i for i, o in enumerate(options) if label in o]
            index = partial[0] if len(partial) == 1 else None
        if index is None:
            raise AssertionError(f"{self}: no choice {label!r}; options are {options}")
        number = int(latest.button_data[index][1])  # the number the message shows (numbers run on across cards)
        self._note(self.chat_key, f"{self.display_name}: [chọn] {number}. {options[index]}")
        await self._send_text(self.chat_key, str(number))

    # --- reading --------------------------------------------------------------------------------------

    def messages(self) -> list[FakeMessage]:
        """Every bot message to this chat as the fake recorded it, oldest first."""
        return self.fake.messages_for(self.chat_id)
