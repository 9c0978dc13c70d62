"""ZaloUser: a scripted person chatting with the bot through FakeZalo.

Same method names as the Telegram scripted user (``ChatUser`` in script.py): send, send_photo,
send_sticker, press, expect, expect_nothing, transcript, last. ``expect`` reads the bot's messages
to this chat in order (FIFO): it returns the first unread one containing every fragment and marks
it and everything before it as read.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.text import fold

if TYPE_CHECKING:
    from bot.devtools.emulator.zalo import FakeMessage, FakeZalo

# A tiny valid JPEG header is not needed: the fake serves whatever bytes it is given.
DEFAULT_PHOTO = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


class ZaloUser:
    def __init__(self, fake: FakeZalo, user_id: str, display_name: str, *, chat_id: str | None = None,
                 group: bool = False, token: str | None = None) -> None:
        self.fake = fake
        self.user_id = user_id
        self.display_name = display_name
        self.chat_id = chat_id or user_id  # a private chat's id is the user's id
        self.group = group
        self.token = token
        self._read = 0  # how many of this chat's bot messages have been consumed by expect()

    def __repr__(self) -> str:
        return f"ZaloUser({self.user_id!r}, {self.display_name!r})"

    # --- acting ---------------------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        await self.fake.inject_text(self, text, self.token)

    async def send_photo(self, data: bytes | None = None, caption: str = "") -> str:
        """Host the bytes on the fake and send them as a photo; returns the photo URL."""
        url = self.fake.host_file(data if data is not None else DEFAULT_PHOTO)
        await self.fake.inject_image(self, url, caption, self.token)
        return url

    async def send_sticker(self, sticker: str = "fake-sticker") -> None:
        await self.fake.inject_sticker(self, sticker, self.token)

    async def press(self, label: str) -> None:
        """Answer the latest numbered choice list by number, as a Zalo user would."""
        latest = next((m for m in reversed(self.transcript()) if m.buttons), None)
        if latest is None:
            raise AssertionError(f"{self}: no bot message with a numbered choice list to press {label!r} in")
        options = latest.buttons
        number = next((n for n, o in enumerate(options, 1) if o == label), 0)
        if not number and (wanted := fold(label)):
            number = next((n for n, o in enumerate(options, 1) if fold(o) == wanted), 0)
        if not number:
            raise AssertionError(f"{self}: no choice {label!r}; options are {options}")
        await self.send(str(number))

    # --- reading --------------------------------------------------------------------------------------

    def transcript(self) -> list[FakeMessage]:
        """Every bot message to this chat, oldest first."""
        return self.fake.messages_for(self.chat_id)

    @property
    def last(self) -> FakeMessage | None:
        messages = self.transcript()
        return messages[-1] if messages else None

    def _find_unread(self, fragments: tuple[str, ...]) -> FakeMessage | None:
        messages = self.transcript()
        for index in range(self._read, len(messages)):
            if all(f in messages[index].text for f in fragments):
                self._read = index + 1
                return messages[index]
        return None

    # Same signature as the Telegram ChatUser.expect; ``timeout`` is a test deadline.
    async def expect(self, *fragments: str, timeout: float = 5.0) -> FakeMessage:  # noqa: ASYNC109
        """The first unread bot message containing every fragment (waiting up to ``timeout``)."""
        async with self.fake.changed:
            try:
                await asyncio.wait_for(
                    self.fake.changed.wait_for(lambda: self._peek(fragments)), timeout
                )
            except TimeoutError:
                unread = self.transcript()[self._read:]
                shown = "\n".join(f"  - {m}" for m in unread) or "  (nothing)"
                raise AssertionError(
                    f"{self}: no bot message with {list(fragments)} within {timeout}s; unread:\n{shown}"
                ) from None
        found = self._find_unread(fragments)
        assert found is not None
        return found

    def _peek(self, fragments: tuple[str, ...]) -> bool:
        messages = self.transcript()
        return any(all(f in m.text for f in fragments) for m in messages[self._read:])

    async def expect_nothing(self, within: float = 0.3) -> None:
        """Fail if, after waiting ``within`` seconds, this chat has any unread bot message
        (one that arrived during the wait, or an earlier one no expect() consumed)."""
        await asyncio.sleep(within)
        unread = self.transcript()[self._read:]
        if unread:
            raise AssertionError(f"{self}: expected silence, got:\n" + "\n".join(f"  - {m}" for m in unread))
