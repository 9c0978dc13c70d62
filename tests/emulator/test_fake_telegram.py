"""The fake Telegram Bot API, driven by plain aiohttp calls and by a real aiogram Bot."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web

from bot.devtools.emulator.ratelimit import RateLimits
from bot.devtools.emulator.telegram import FakeTelegram
from bot.devtools.emulator.telegram_state import TINY_PNG

TOKEN = "123:abc"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    b = Bot(token=TOKEN, session=session)
    yield b
    await b.session.close()


async def call(fake: FakeTelegram, method: str, token: str = TOKEN, **params: Any) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}/bot{token}/{method}", json=params) as resp:
            return resp.status, await resp.json()


def keyboard(*labels_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)
                                                  for t, d in labels_data]])


# ---- plain HTTP -------------------------------------------------------------------------------------


async def test_envelopes_tokens_and_unknown_methods(fake: FakeTelegram) -> None:
    status, body = await call(fake, "getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == 123 and body["result"]["username"] == "hocbac_test_bot"
    status, body = await call(fake, "getMe", token="not-a-token")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await call(fake, "sendTelepathy")
    assert status == 404 and body["description"] == "Not Found: method not found"


async def test_urlencoded_and_query_params_are_accepted(fake: FakeTelegram) -> None:
    fake.add_chat(42)
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/bot{TOKEN}/sendMessage"
        async with http.post(url, data={"chat_id": "42", "text": "form"}) as resp:
            assert resp.status == 200
        async with http.get(url, params={"chat_id": "42", "text": "query"}) as resp:
            assert resp.status == 200
    assert [m.text for m in fake.messages_for(42)] == ["form", "query"]


async def test_unknown_chat_and_empty_text(fake: FakeTelegram) -> None:
    status, body = await call(fake, "sendMessage", chat_id=999, text="hi")
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    fake.add_chat(999)
    status, body = await call(fake, "sendMessage", chat_id=999, text="  ")
    assert status == 400 and body["description"] == "Bad Request: message text is empty"
    status, body = await call(fake, "sendMessage", chat_id=999, text="x" * 1025, parse_mode="HTML",
                              reply_markup={"bad": 1})
    assert (status, body["description"]) == (400, 'Bad Request: can\'t find field "inline_keyboard"')
    status, body = await call(fake, "sendMessage", chat_id=999, text="x", reply_markup="{not json")
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert fake.stats["400"] == 4 and fake.sent == []


async def test_fail_next_injects_faults(fake: FakeTelegram) -> None:
    fake.add_chat(7)
    fake.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)
    fake.fail_next("getMe", status=429, description="Too Many Requests: retry after 3", retry_after=3)
    assert (await call(fake, "sendMessage", chat_id=7, text="a"))[0] == 502
    assert (await call(fake, "sendMessage", chat_id=7, text="a"))[0] == 502
    assert (await call(fake, "sendMessage", chat_id=7, text="a"))[0] == 200
    status, body = await call(fake, "getMe")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    assert fake.stats["5xx"] == 2 and len(fake.sent) == 1


async def test_commands_per_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

    await bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    await bot.set_my_commands([BotCommand(command="help", description="Trợ giúp")],
                              scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert fake.commands[("default", "")] == [{"command": "start", "description": "Bắt đầu"}]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert [c.command for c in got] == ["help"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])
    assert await bot.delete_my_commands()
    assert ("default", "") not in fake.commands


# ---- aiogram Bot against the fake -------------------------------------------------------------------


async def test_aiogram_get_me_and_html_send(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123 and me.is_bot and me.username == "hocbac_test_bot"
    fake.add_chat(42)
    msg = await bot.send_message(42, "<b>Chào</b> &amp; mừng", parse_mode="HTML",
                                 reply_markup=keyboard(("Đồng ý", "ok")))
    assert msg.text == "Chào & mừng" and msg.chat.id == 42
    assert msg.reply_markup is not None and msg.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    record = fake.sent[-1]
    assert (record.method, record.chat_id, record.text, record.parse_mode) == (
        "sendMessage", 42, "<b>Chào</b> &amp; mừng", "HTML")
    assert record.reply_markup == {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok"}]]}


async def test_aiogram_sees_telegram_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_chat(42)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "ạ" * 4097)
    await bot.send_message(42, "<i>" + "a" * 4096 + "</i>", parse_mode="HTML")  # markup is not counted
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(42, "x", reply_markup=keyboard(("A", "d" * 65)))
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(42, BufferedInputFile(TINY_PNG, "p.png"), caption="c" * 1025)
    fake.block(42)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(42, "hello?")
    assert len(fake.sent) == 1 and fake.stats["403"] == 1


async def test_rate_limit_burst_gives_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_chat(42)
    for i in range(4):  # the default per-chat burst
        await bot.send_message(42, f"tin {i}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(42, "one too many")
    assert caught.value.retry_after >= 1
    assert [m.text for m in fake.messages_for(42)] == [f"tin {i}" for i in range(4)]
    assert fake.stats["429"] == 1


async def test_global_and_group_limits() -> None:
    async with FakeTelegram(limits=RateLimits(global_per_sec=5, group_per_min=3, chat_burst=100)) as fake:
        for chat in range(1, 7):
            fake.add_chat(chat)
        statuses = [(await call(fake, "sendMessage", chat_id=c, text="x"))[0] for c in range(1, 7)]
        assert statuses == [200] * 5 + [429]
        # Another token has its own budget; groups allow group_per_min per minute.
        fake.add_chat(-100)
        other = "999:xyz"
        statuses = [(await call(fake, "sendMessage", token=other, chat_id=-100, text="g"))[0]
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        _, body = await call(fake, "sendMessage", token=other, chat_id=-100, text="g")
        assert body["parameters"]["retry_after"] > 1  # a minute window, not a second


async def test_edit_and_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_chat(42)
    sent = await bot.send_message(42, "Câu hỏi 1", reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text("Câu hỏi 1 <b>đã trả lời</b>", chat_id=42,
                                         message_id=sent.message_id, parse_mode="HTML")
    assert edited.text == "Câu hỏi 1 đã trả lời"
    record = fake.message(42, sent.message_id)
    assert record is not None and record.reply_markup is None  # editing text without markup drops it
    assert record.edits[0]["text"] == "Câu hỏi 1"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Câu hỏi 1 <b>đã trả lời</b>", chat_id=42, message_id=sent.message_id,
                                    parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=9999)
    await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id,
                                        reply_markup=keyboard(("B", "b")))
    assert await bot.delete_message(42, sent.message_id)
    assert fake.stats["edits"] == 2 and [e.kind for e in fake.events_for(42)] == ["new", "edit", "edit",
                                                                                    "delete"]


async def test_photo_upload_get_file_and_download(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_chat(42)
    data = TINY_PNG + b"distinct tail"
    msg = await bot.send_photo(42, BufferedInputFile(data, "p.png"), caption="<b>Ảnh</b>", parse_mode="HTML")
    assert msg.caption == "Ảnh" and msg.photo is not None and len(msg.photo) == 2
    file = await bot.get_file(msg.photo[-1].file_id)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == data
    again = await bot.send_photo(42, msg.photo[-1].file_id)  # resend by file_id
    assert again.photo is not None and again.photo[-1].file_id == msg.photo[-1].file_id
    doc = await bot.send_document(42, BufferedInputFile(b"a;b\n1;2\n", "bao_cao.csv"))
    assert doc.document is not None and doc.document.file_name == "bao_cao.csv"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(42, "no-such-file-id")


async def test_injected_photo_is_downloadable(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(501, "Lan")
    await alice.send_photo(b"\xff\xd8 jpeg-ish bytes")
    updates = await bot.get_updates()
    photo = updates[0].message.photo
    assert photo is not None and len(photo) == 2
    file = await bot.get_file(photo[-1].file_id)
    assert (await bot.download_file(file.file_path)).read() == b"\xff\xd8 jpeg-ish bytes"


async def test_get_updates_long_poll_and_offset(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(501, "Lan")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()  # nothing yet: it waits
    await alice.send("/start ABC")
    updates = await asyncio.wait_for(poll, 2)  # returns as soon as the update arrives
    assert len(updates) == 1
    message = updates[0].message
    assert message.text == "/start ABC" and message.from_user.id == 501
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    await alice.send("hai")
    assert [u.update_id for u in await bot.get_updates()] == [updates[0].update_id, updates[0].update_id + 1]
    rest = await bot.get_updates(offset=updates[0].update_id + 1)
    assert [u.message.text for u in rest] == ["hai"]
    assert await bot.get_updates(offset=rest[0].update_id + 1, timeout=0) == []


async def test_second_poller_conflicts_the_first(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    second.cancel()


async def test_webhook_delivery_with_secret_and_retry(fake: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret_-X")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        alice = fake.user(501, "Lan")
        await alice.send("qua webhook")
        await fake.wait_webhook_idle(timeout=3)
        assert len(received) == 1
        secret, update = received[0]
        assert secret == "s3cret_-X" and update["message"]["text"] == "qua webhook"
        assert fake.webhook_log[-1]["attempts"] == 2  # first attempt got a 500
        await bot.delete_webhook()
        await alice.send("lại polling")
        assert [u.message.text for u in await bot.get_updates()] == ["lại polling"]
    finally:
        await runner.cleanup()


async def test_callback_answer_recorded(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(501, "Lan")
    await bot.send_message(501, "Chọn", reply_markup=keyboard(("Đồng ý", "yes"), ("Không", "no")))
    await alice.press("Đồng ý")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query.data == "yes" and query.message.reply_markup.inline_keyboard[0][1].text == "Không"
    await bot.answer_callback_query(query.id, text="Đã ghi nhận")
    assert fake.callback_answers[query.id]["text"] == "Đã ghi nhận"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


# ---- scripted users against a tiny echo bot -----------------------------------------------------------


async def echo_loop(bot: Bot) -> None:
    """A minimal bot: greets on /start with buttons, echoes text, edits the message on a press."""
    offset = 0
    while True:
        for update in await bot.get_updates(offset=offset, timeout=5):
            offset = update.update_id + 1
            if update.message and update.message.text == "/start":
                await bot.send_message(update.message.chat.id, "<b>Chào mừng</b> đồng chí đến chi bộ",
                                       parse_mode="HTML", reply_markup=keyboard(("Đồng ý", "agree"),
                                                                                ("Để sau", "later")))
            elif update.message and update.message.text:
                await bot.send_message(update.message.chat.id, f"Bạn nói: {update.message.text}")
            elif update.callback_query:
                query = update.callback_query
                await bot.answer_callback_query(query.id)
                await bot.edit_message_text(f"Đã chọn: {query.data}", chat_id=query.message.chat.id,
                                            message_id=query.message.message_id)


async def test_scripted_user_reads_like_a_chat(fake: FakeTelegram, bot: Bot) -> None:
    fake.limits.enabled = False  # this chat sends more than Telegram's per-chat burst
    loop = asyncio.create_task(echo_loop(bot))
    try:
        alice = fake.user(501, "Lan")
        await alice.send("/start")
        welcome = await alice.expect("Chào mừng", "chi bộ")
        assert welcome.buttons == ["Đồng ý", "Để sau"] and welcome.html.startswith("<b>Chào mừng</b>")
        await alice.press("Đồng ý")
        edited = await alice.expect("Đã chọn: agree")
        assert edited.edited and edited.message_id == welcome.message_id
        await alice.send("xin chào")
        await alice.expect("Bạn nói: xin chào")
        await alice.expect_nothing(within=0.2)
        with pytest.raises(AssertionError, match="no button matching 'Từ chối'"):
            await alice.send("/start")
            await alice.expect("Chào mừng")
            await alice.press("Từ chối")
        await alice.press("sau")  # substring match
        await alice.expect("Đã chọn: later")
        with pytest.raises(AssertionError, match="Unread"):
            await alice.expect("never said", timeout=0.2)
        lines = alice.transcript().splitlines()
        assert lines[0] == "Lan: /start" and "Chào mừng" in lines[1] and alice.last is not None
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


# ---- real-shaped fixture updates -------------------------------------------------------------------


def shared_dir() -> Path | None:
    candidates = [Path(os.environ["HOCBAC_SHARED_DIR"])] if os.environ.get("HOCBAC_SHARED_DIR") else []
    candidates.append(Path(__file__).resolve().parents[2] / ".." / "shared")
    candidates.append(Path("/work/shared"))
    return next((c for c in candidates if (c / "telegram-updates" / "updates.json").is_file()), None)


async def test_fixture_updates_round_trip_unchanged(fake: FakeTelegram) -> None:
    folder = shared_dir()
    if folder is None:
        if os.environ.get("CI") == "true":
            pytest.fail("shared/telegram-updates/updates.json is missing in CI")
        pytest.skip("shared/telegram-updates/updates.json not present (set HOCBAC_SHARED_DIR)")
    items = json.loads((folder / "telegram-updates" / "updates.json").read_text(encoding="utf-8"))
    assert len(items) > 50
    for item in items:
        await fake.inject_update(item["update"])
        status, body = await call(fake, "getUpdates", timeout=0)
        assert status == 200 and body["result"] == [item["update"]], item["kind"]
        # Confirm it the way aiogram does (last id + 1), even for replayed non-increasing ids.
        status, body = await call(fake, "getUpdates", offset=item["update"]["update_id"] + 1, timeout=0)
        assert body["result"] == [], item["kind"]


async def test_profile_chat_voice_caption_and_actions(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(501, "Lan")
    group = fake.group(-1001, "Chi bộ 3")
    await alice.send_in(group, "chào cả chi bộ")
    await alice.send_sticker()
    await alice.send_location(21.03, 105.85)
    await alice.send_voice(b"OggS voice")
    kinds = [(u.message.chat.id, u.message.content_type) for u in await bot.get_updates()]
    assert kinds == [(-1001, "text"), (501, "sticker"), (501, "location"), (501, "voice")]
    chat = await bot.get_chat(-1001)
    assert chat.title == "Chi bộ 3" and chat.type == "group"
    assert await bot.set_my_description("Học Bác mỗi ngày") and await bot.set_my_short_description("Học Bác")
    assert fake.descriptions["description:"] == "Học Bác mỗi ngày"
    assert await bot.send_chat_action(501, "typing") and fake.chat_actions == [(501, "typing")]
    voice = await bot.send_voice(501, BufferedInputFile(b"OggS reply", "r.ogg"), caption="nghe")
    assert voice.voice is not None and voice.caption == "nghe"
    await bot.edit_message_caption(chat_id=501, message_id=voice.message_id, caption="nghe lại")
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text("x", chat_id=501, message_id=voice.message_id)
    assert (await alice.expect("nghe lại")).media == "voice"
    assert await bot.log_out() and await bot.close()


def test_standalone_runner_prints_base_url() -> None:
    import subprocess
    import sys
    import urllib.request

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "bot.devtools.emulator", "--port", "0"], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/bot1:x/getMe", timeout=5) as resp:
            assert json.loads(resp.read())["result"]["id"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=5)
