"""Start-up behaviour of the real `hocbac` process: help, bad settings, and answering /start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.devtools.emulator import FakeTelegram

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_", "ADMIN_"))}
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONPATH": str(REPO)})
    env.update(extra)
    return env


def test_help_lists_commands(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=60)
    assert out.returncode == 0
    for cmd in ("run", "migrate", "admin"):
        assert cmd in out.stdout


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("BOT_TIMEZONE", "Mars/Olympus", "BOT_TIMEZONE"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ("ADMIN_IDS", "12345", "ADMIN_IDS"),
    ("BOT_TOKEN", "not-a-token", "BOT_TOKEN"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
])
def test_bad_setting_stops_with_one_clear_line(tmp_path, key, value, expected):
    out = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path, **{"BOT_TOKEN": "123:abcdef", key: value}), timeout=60)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert expected in lines[0] and "Traceback" not in out.stderr


def test_missing_token_is_explained(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=60)
    assert out.returncode == 2
    assert "BOT_TOKEN" in out.stderr and "BotFather" in out.stderr and "Traceback" not in out.stderr


async def test_real_process_answers_start_against_outside_fake(tmp_path):
    """`hocbac run` with a made-up token against a fake Bot API in another process answers /start."""
    async with FakeTelegram() as fake:
        env = _env(tmp_path, BOT_TOKEN="4242:made-up-token", TELEGRAM_API_URL=fake.base_url,
                   MEDIA_DIR=str(tmp_path / "media"))
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)  # type: ignore[union-attr]
            assert "đang chạy" in line.decode()
            user = fake.user(88001, "Hà")
            for item in ("edited_message", "sticker", "channel_post", "my_chat_member"):
                await fake.inject_update(_odd_update(item, 88002))
            started = time.monotonic()
            await user.send("/start")
            await user.expect("Chào mừng đồng chí đến với", timeout=10)
            assert time.monotonic() - started < 5  # the target is 1 s; the margin absorbs a busy CI machine
            assert proc.returncode is None  # still running after the odd updates
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=20)
        assert proc.returncode in (0, -15)


def _odd_update(kind: str, uid: int) -> dict:
    user = {"id": uid, "is_bot": False, "first_name": "X"}
    chat = {"id": uid, "type": "private", "first_name": "X"}
    msg = {"message_id": 1, "date": 1700000000, "chat": chat, "from": user}
    if kind == "edited_message":
        return {"update_id": 1, "edited_message": {**msg, "text": "sửa", "edit_date": 1700000001}}
    if kind == "sticker":
        return {"update_id": 2, "message": {**msg, "sticker": {"file_id": "s", "file_unique_id": "u", "width": 1,
                                                                "height": 1, "is_animated": False,
                                                                "is_video": False, "type": "regular"}}}
    if kind == "channel_post":
        return {"update_id": 3, "channel_post": {"message_id": 5, "date": 1700000000, "text": "tin",
                                                 "chat": {"id": -1001, "type": "channel", "title": "Kênh"}}}
    return {"update_id": 4, "my_chat_member": {
        "chat": chat, "from": user, "date": 1700000000,
        "old_chat_member": {"status": "member", "user": {"id": 4242, "is_bot": True, "first_name": "B"}},
        "new_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": 4242, "is_bot": True, "first_name": "B"}}}}
