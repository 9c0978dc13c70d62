"""Every real-shaped update in ../shared/telegram-updates survives polling: no crash, no trace, no
message Telegram would reject."""

from __future__ import annotations

import json
import logging

from tests.conftest import require_or_skip, shared_dir


def _updates() -> list[dict]:
    base = shared_dir()
    require_or_skip(base is not None and (base / "telegram-updates" / "updates.json").exists(),
                    "shared/telegram-updates/updates.json not found")
    assert base is not None
    return json.loads((base / "telegram-updates" / "updates.json").read_text())


async def test_bot_survives_every_update_kind(bot, fake_tg, caplog):
    fake_tg.limits.enabled = False
    items = _updates()
    assert len(items) == 125
    caplog.set_level(logging.DEBUG, logger="hocbac")
    for item in items:
        await fake_tg.inject_update(item["update"])
    # The bot is alive and answers afterwards.
    probe = fake_tg.user(77001, "Kiểm tra")
    await probe.send("/start")
    await probe.expect("Chào mừng đồng chí đến với")
    rejected = [e for e in fake_tg.errors if e[0] != "answerCallbackQuery"]
    assert rejected == []
    crashes = [r for r in caplog.records if r.exc_info or "unhandled" in r.getMessage()]
    assert crashes == [], [r.getMessage() for r in crashes]
    # Updates from people in private chats got at most short answers, never a trace.
    for sent in fake_tg.sent:
        assert "Traceback" not in (sent.text or "")
