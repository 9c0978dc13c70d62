"""`hocbac run` with only ZALO_BOTS set (no BOT_TOKEN): a Zalo-only deployment starts and answers."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from bot.devtools.emulator.zalo import FakeZalo
from tests.integration.test_cli_and_config import _env


async def test_zalo_only_process_answers_start(tmp_path):
    async with FakeZalo(max_poll_wait=0.3) as fake:
        env = _env(tmp_path, ZALO_BOTS=f"main={fake.token}@1", ZALO_API_URL=fake.base_url,
                   MEDIA_DIR=str(tmp_path / "media"))
        assert "BOT_TOKEN" not in env
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)  # type: ignore[union-attr]
            assert "đang chạy" in line.decode(), (await proc.stderr.read()).decode()  # type: ignore[union-attr]
            hint = await asyncio.wait_for(proc.stdout.readline(), timeout=10)  # type: ignore[union-attr]
            assert "ZALO_MODE=webhook" in hint.decode()  # polling: webhook recommended for production
            user = fake.user("z88001", "Hà")
            await user.send("/start")
            welcome = await user.expect("Chào mừng đồng chí đến với", timeout=10)
            assert "hệ thống tự động" in welcome.text and "/xoadulieu" in welcome.text  # Zalo's Terms
            await user.send("giup")  # typed commands work without slash or diacritics
            await user.expect("Đồng chí có thể dùng", timeout=10)
            assert proc.returncode is None
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=20)
        assert proc.returncode in (0, -15)


def test_neither_telegram_nor_zalo_is_one_clear_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=60)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "ZALO_BOTS" in lines[0], out.stderr
