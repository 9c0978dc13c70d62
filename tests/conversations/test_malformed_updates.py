"""An update the bot cannot parse is skipped past the offset and logged without its text; polling goes on.

aiogram parses a getUpdates batch as a whole, so one malformed update (a button press with missing fields
or wrong types) failed every poll and the bot stayed stuck on it forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from tests.conftest import require_or_skip, shared_dir

SECRET_NAME = "Bí Mật Riêng"


async def confirmed(fake_tg, update_ids: set[int] | None = None, timeout: float = 10) -> None:  # noqa: ASYNC109
    """Wait until getUpdates confirmed (by its offset) these updates, or every update when None."""

    def done() -> bool:
        pending = {u.get("update_id") for u in fake_tg._pending}
        return not pending if update_ids is None else not update_ids & pending

    async with fake_tg._updates_cond:  # getUpdates notifies it after confirming an offset
        await asyncio.wait_for(fake_tg._updates_cond.wait_for(done), timeout)


def malformed_updates(user_id: int, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Button presses and messages Telegram's schema refuses: missing fields, wrong types."""
    user = {"id": user_id, "is_bot": False, "first_name": SECRET_NAME}
    return [
        {"callback_query": {"id": "1", "from": user, "data": "erase:1"}},  # no chat_instance
        {"callback_query": {"id": 7, "from": "not a user", "chat_instance": None, "data": 12,
                            "message": message}},
        {"callback_query": {"id": "2", "chat_instance": "x", "data": f"{SECRET_NAME}"}},  # no "from"
        {"callback_query": "a string"},
        {"message": {"message_id": "abc", "from": user, "chat": {"id": user_id}, "text": SECRET_NAME}},
        {"message": {"message_id": 5, "date": "yesterday", "chat": {"id": "x", "type": 3}, "text": [1]}},
    ]


async def test_a_malformed_button_press_does_not_hold_up_polling(bot, fake_tg, caplog):
    caplog.set_level(logging.INFO)
    an = fake_tg.user(6101, "Trần Văn An")
    await an.send("/start")
    first = await an.expect("Chào mừng")
    bad = [await fake_tg.inject_update(u)
           for u in malformed_updates(6101, {"message_id": first.message_id, "chat": {"id": 6101}})]
    await an.send("/help")  # after the bad ones, in the same getUpdates batch or the next
    await an.expect("/start")
    # The offset moved past every bad update: nothing of them is still waiting to be fetched.
    bad_ids = {u["update_id"] for u in bad}
    await confirmed(fake_tg, bad_ids)
    skipped = [r.getMessage() for r in caplog.records if "does not parse" in r.getMessage()]
    assert len(skipped) == len(bad)
    assert all(str(uid) in " ".join(skipped) for uid in bad_ids)
    assert all(r.levelno == logging.WARNING for r in caplog.records if "does not parse" in r.getMessage())
    assert not any(SECRET_NAME in r.getMessage() for r in caplog.records)  # no personal text in the log
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _real_updates() -> list[dict]:
    base = shared_dir()
    require_or_skip(base is not None and (base / "telegram-updates" / "updates.json").exists(),
                    "shared/telegram-updates/updates.json not found")
    assert base is not None
    return [item["update"] for item in json.loads((base / "telegram-updates" / "updates.json").read_text())]


async def test_real_updates_interleaved_with_garbage(bot, fake_tg, caplog):
    """All 125 real-shaped updates, each followed by a malformed one: the bot keeps polling past all of
    them and answers a person afterwards."""
    caplog.set_level(logging.INFO)
    fake_tg.limits.enabled = False
    real = _real_updates()
    assert len(real) == 125
    garbage_pool = malformed_updates(6201, {"message_id": 1, "chat": {"id": 6201}})
    injected_bad = []
    for i, update in enumerate(real):
        await fake_tg.inject_update(update)
        junk = dict(garbage_pool[i % len(garbage_pool)])
        junk.pop("update_id", None)
        injected_bad.append(await fake_tg.inject_update(junk))
    probe = fake_tg.user(77002, "Kiểm tra")
    await probe.send("/start")
    await probe.expect("Chào mừng", timeout=30)
    await confirmed(fake_tg)
    skipped = [r.getMessage() for r in caplog.records if "does not parse" in r.getMessage()]
    assert len(skipped) == len(injected_bad)
    rejected = [e for e in fake_tg.errors if e[0] != "answerCallbackQuery"]
    assert rejected == []
    crashes = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert crashes == [], [r.getMessage() for r in crashes]
    assert not any(SECRET_NAME in r.getMessage() for r in caplog.records)
