"""Fake chat platforms for tests, benchmarks and the demo page (Telegram: see telegram.py)."""

from bot.devtools.emulator.ratelimit import RateLimits
from bot.devtools.emulator.script import BotMessage, ChatUser, TelegramUser
from bot.devtools.emulator.telegram import FakeTelegram
from bot.devtools.emulator.telegram_inject import FakeGroup
from bot.devtools.emulator.telegram_state import SentMessage

__all__ = ["BotMessage", "ChatUser", "FakeGroup", "FakeTelegram", "RateLimits", "SentMessage", "TelegramUser"]
