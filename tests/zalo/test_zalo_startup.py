"""Start-up against the fake Zalo server: getMe first (a bad token stops `hocbac run` with one line), the bot's
own id kept (its echoed messages ignored), setWebhook's verification logged, private webhook addresses
refused, and texts cut by UTF-16 units (an emoji counts 2) under a 1,900 margin."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

from bot.channels.zalo.render import SPLIT_AT, utf16_len
from bot.channels.zalo.runtime import ZaloRuntime
from bot.config import Settings
from bot.devtools.emulator.zalo import FakeZalo
from bot.messages import ChatRef, Reply
from tests.integration.test_cli_and_config import _env


async def test_bad_zalo_token_stops_start_up_with_one_line(tmp_path):
    async with FakeZalo(max_poll_wait=0.3) as fake:
        env = _env(tmp_path, ZALO_BOTS="main=999:not-the-real-token@1", ZALO_API_URL=fake.base_url,
                   MEDIA_DIR=str(tmp_path / "media"))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert fake.stats["call:getMe"] == 1 and fake.stats["call:getUpdates"] == 0
    out = subprocess.CompletedProcess([], proc.returncode, stdout.decode(), stderr.decode())
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "ZALO_BOTS" in lines[0] and "'main'" in lines[0] and "Zalo Bot Manager" in lines[0]
    assert "not-the-real-token" not in out.stderr and "đang chạy" not in out.stdout


def _settings(fake: FakeZalo, tmp_path, **extra) -> Settings:
    return Settings(_env_file=None, zalo_bots=f"main={fake.token}@1", zalo_api_url=fake.base_url,
                    media_dir=str(tmp_path), web_host="127.0.0.1", web_port=0, **extra)


async def _noop(inbound, channel) -> None:
    return None


async def test_getme_keeps_the_bot_id_and_its_echo_is_ignored(tmp_path, clock):
    async with FakeZalo(max_poll_wait=0.2) as fake:
        runtime = ZaloRuntime(_settings(fake, tmp_path), clock, _noop)
        seen = []

        async def handle(inbound, channel):
            seen.append(inbound.text)

        runtime.handle = handle
        await runtime.start(stop := asyncio.Event())
        try:
            channel = runtime.channels["main"]
            assert channel.bot_id == fake.token.split(":")[0]
            echo = fake.user(channel.bot_id, "Bot Học Bác")  # the bot's own message, as Zalo may echo it
            await echo.send("tin của chính bot")
            person = fake.user("u7", "Lan")
            await person.send("xin chào")
            for _ in range(50):
                if seen:
                    break
                await asyncio.sleep(0.05)
            assert seen == ["xin chào"]
        finally:
            stop.set()
            await runtime.stop()


async def test_private_webhook_address_refused_and_verification_logged(tmp_path, caplog, clock):
    async with FakeZalo(max_poll_wait=0.2) as fake:
        settings = _settings(fake, tmp_path, zalo_mode="webhook", public_base_url="http://192.168.1.10",
                             zalo_webhook_secret="webhook-master-secret-0123456789",
                             media_link_secret="test-media-link-secret-0123456789")
        runtime = ZaloRuntime(settings, clock, _noop)
        with caplog.at_level(logging.INFO):
            await runtime.start(asyncio.Event())
        try:
            assert "public address" in caplog.text  # setWebhook refused: a private address
            assert await runtime.channels["main"].client.get_webhook_info() is None
            # Allowed (a test server on this machine): Zalo's probe reaches the bot and the outcome is logged.
            fake.allow_private_webhook = True
            caplog.clear()
            with caplog.at_level(logging.INFO):
                await runtime._set_webhook("main", runtime.channels["main"])
            assert "webhook verification FAILED" in caplog.text and "hint" in caplog.text  # :80 is not ours
            runtime.settings.public_base_url = runtime.local_url
            caplog.clear()
            with caplog.at_level(logging.INFO):
                await runtime._set_webhook("main", runtime.channels["main"])
            assert "webhook verification passed" in caplog.text
        finally:
            await runtime.stop()


async def test_emoji_text_is_cut_by_utf16_units(fake, channel):
    fake.user("u1", "Lan")
    body = " ".join(["Việc tốt 🌟 hôm nay ✅ của chi bộ 🎉."] * 160)  # ~5,900 characters, 3 emoji each
    assert utf16_len(body) - len(body) == 320  # two emoji of 2 units in each sentence
    await channel.deliver(ChatRef(channel="zalo", chat_id="u1", bot="main"), Reply(body))
    msgs = fake.messages_for("u1")
    assert len(msgs) >= 4
    assert all(utf16_len(m.text) <= SPLIT_AT for m in msgs)
    assert " ".join(m.text for m in msgs) == body  # nothing lost, cut at spaces
    assert fake.stats["failed"] == 0
