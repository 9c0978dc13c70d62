"""The thin Bot API client (bot/channels/telegram/thin.py) against the fake Telegram: every method it sends
with, every error it maps, the same wire calls as the aiogram channel, and a worker that never imports
aiogram."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.channels.telegram.thin import ThinBot, ThinChannel
from bot.delivery import PermanentError, RetryableError, TokenRevokedError
from bot.devtools.emulator.ratelimit import RateLimits
from bot.devtools.emulator.telegram import FakeTelegram
from bot.devtools.emulator.telegram_state import TINY_PNG, SentMessage
from bot.messages import Button, ChatRef, MediaRef, Reply

TOKEN = "123456:TEST-token-for-the-fake-server"
ALICE, BOB = 81001, 81002


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits(enabled=False)) as server:
        server.add_chat(ALICE, first_name="Alice")
        server.add_chat(BOB, first_name="Bob")
        yield server


async def _media(key: str) -> tuple[bytes, str]:
    assert key == "k1"
    return TINY_PNG, "anh.png"


@pytest.fixture
async def thin(fake: FakeTelegram) -> AsyncIterator[ThinChannel]:
    channel = ThinChannel(ThinBot(TOKEN, fake.base_url), media_reader=_media)
    await channel.start()
    yield channel
    await channel.close()


@pytest.fixture
async def fat(fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(make_bot(TOKEN, fake.base_url), media_reader=_media)
    await channel.start()
    yield channel
    await channel.close()


def to(chat: int) -> ChatRef:
    return ChatRef("telegram", str(chat))


def wire(m: SentMessage) -> tuple[Any, ...]:
    """What Telegram would see of one sent message (form-encoded or JSON alike)."""
    preview = m.params.get("link_preview_options")
    return (m.method, m.text, (m.parse_mode or "").upper() if m.text else "", m.reply_markup,
            json.loads(preview) if isinstance(preview, str) else preview,
            bool(m.photo), bool(m.document))


# --- each method ---------------------------------------------------------------------------------------


async def test_start_reads_the_bot_username(thin: ThinChannel) -> None:
    assert thin.username == "hocbac_test_bot"
    assert thin.deep_link("abc") == "https://t.me/hocbac_test_bot?start=abc"


async def test_text_with_inline_buttons_menu_placeholder_and_removal(thin: ThinChannel, fake: FakeTelegram) -> None:
    sent = await thin.deliver(to(ALICE), Reply(text="<b>Chào</b> đồng chí",
                                               buttons=[[Button("Có", "y:1"), Button("Xem", url="https://a.vn/")]]))
    msg = fake.messages_for(ALICE)[-1]
    assert sent.message_ids == [str(msg.message_id)]
    assert msg.method == "sendMessage" and msg.parse_mode == "HTML" and msg.visible == "Chào đồng chí"
    assert msg.buttons() == [{"text": "Có", "callback_data": "y:1"}, {"text": "Xem", "url": "https://a.vn/"}]
    assert msg.params["link_preview_options"] == {"is_disabled": True}

    await thin.deliver(to(ALICE), Reply(text="Menu", menu=[["Tin", "Hỏi"]], placeholder="Ví dụ: 28/11",
                                        disable_preview=False))
    msg = fake.messages_for(ALICE)[-1]
    assert msg.reply_markup == {"keyboard": [[{"text": "Tin"}, {"text": "Hỏi"}]], "resize_keyboard": True,
                                "is_persistent": True, "input_field_placeholder": "Ví dụ: 28/11"}
    assert msg.params["link_preview_options"] == {"is_disabled": False}

    await thin.deliver(to(ALICE), Reply(text="Ẩn", remove_menu=True))
    assert fake.messages_for(ALICE)[-1].reply_markup == {"remove_keyboard": True}
    await thin.deliver(to(ALICE), Reply(text="Gõ ngày", placeholder="Ví dụ: 28/11"))
    assert fake.messages_for(ALICE)[-1].reply_markup == {"force_reply": True,
                                                         "input_field_placeholder": "Ví dụ: 28/11"}


async def test_photos_and_documents_by_file_id_url_and_our_store(thin: ThinChannel, fake: FakeTelegram) -> None:
    stored = fake.store_file(TINY_PNG, "photo", "image/png")
    await thin.deliver(to(ALICE), Reply(text="Ảnh <i>đẹp</i>", media=MediaRef("photo", file_id=stored.file_id)))
    msg = fake.messages_for(ALICE)[-1]
    assert msg.method == "sendPhoto" and msg.photo and msg.visible == "Ảnh đẹp" and msg.parse_mode == "HTML"

    # Our media store's bytes go multipart, with the reply's buttons on the caption.
    await thin.deliver(to(ALICE), Reply(text="Tệp", media=MediaRef("document", media_key="k1"),
                                        buttons=[[Button("OK", "ok")]]))
    msg = fake.messages_for(ALICE)[-1]
    assert msg.method == "sendDocument" and msg.document and msg.document["file_name"] == "anh.png"
    assert fake.files[msg.document["file_id"]].data == TINY_PNG
    assert msg.buttons() == [{"text": "OK", "callback_data": "ok"}]

    # By URL (the fake fetches loopback URLs: its own file route).
    url = f"{fake.base_url}/file/bot{TOKEN}/{stored.file_path}"
    await thin.deliver(to(ALICE), Reply(media=MediaRef("photo", url=url)))
    msg = fake.messages_for(ALICE)[-1]
    assert msg.method == "sendPhoto" and fake.files[msg.photo[-1]["file_id"]].data == TINY_PNG  # type: ignore[index]

    # A caption over 1024 characters: the file alone, then the text as a message with the buttons.
    long_caption = "x" * 1500
    sent = await thin.deliver(to(ALICE), Reply(text=long_caption, media=MediaRef("photo", file_id=stored.file_id),
                                               buttons=[[Button("OK", "ok")]]))
    first, second = fake.messages_for(ALICE)[-2:]
    assert len(sent.message_ids) == 2 and first.method == "sendPhoto" and not first.text
    assert second.text == long_caption and second.buttons()


async def test_edits_of_text_and_of_a_photo_card(thin: ThinChannel, fake: FakeTelegram) -> None:
    sent = await thin.deliver(to(ALICE), Reply(text="Câu hỏi?", buttons=[[Button("Có", "y")]]))
    mid = sent.message_ids[0]
    again = await thin.deliver(to(ALICE), Reply(text="Câu hỏi? <b>Có</b>", edit_of=mid))
    msg = fake.message(ALICE, int(mid))
    assert again.message_ids == [mid] and msg is not None and msg.visible == "Câu hỏi? Có" and msg.reply_markup is None
    # The same content again: "message is not modified" is success, not an error.
    assert (await thin.deliver(to(ALICE), Reply(text="Câu hỏi? <b>Có</b>", edit_of=mid))).message_ids == [mid]
    # A message that is gone: sent anew, unless only an edit was wanted.
    assert (await thin.deliver(to(ALICE), Reply(text="Mới", edit_of="999", edit_only=True))).message_ids == []
    fresh = await thin.deliver(to(ALICE), Reply(text="Mới", edit_of="999"))
    assert fresh.message_ids and fake.messages_for(ALICE)[-1].text == "Mới"

    stored = fake.store_file(TINY_PNG, "photo", "image/png")
    card = await thin.deliver(to(ALICE), Reply(text="Ảnh", media=MediaRef("photo", file_id=stored.file_id),
                                               buttons=[[Button("Xoá", "d")]]))
    await thin.deliver(to(ALICE), Reply(text="Ảnh (đã xoá)", edit_of=card.message_ids[0]))
    photo = fake.message(ALICE, int(card.message_ids[0]))
    assert photo is not None and photo.text == "Ảnh (đã xoá)" and photo.reply_markup is None


async def test_copy_message_and_file_download_and_ack(thin: ThinChannel, fake: FakeTelegram) -> None:
    sent = await thin.deliver(to(ALICE), Reply(text="Bản gốc <b>đậm</b>"))
    copied = await thin.bot.copy_message(BOB, ALICE, int(sent.message_ids[0]))
    msg = fake.messages_for(BOB)[-1]
    assert msg.method == "copyMessage" and msg.message_id == copied["message_id"] and msg.visible == "Bản gốc đậm"

    stored = fake.store_file(b"voice-bytes", "voice", "audio/ogg")
    assert await thin.fetch_media(MediaRef("voice", file_id=stored.file_id)) == b"voice-bytes"

    await thin.set_commands([("tin", "Tin mới")])
    assert [c["command"] for c in fake.commands[("default", "")]] == ["tin"]


# --- each error ----------------------------------------------------------------------------------------


async def test_errors_map_to_the_same_typed_errors(thin: ThinChannel, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryableError) as rate:
        await thin.deliver(to(ALICE), Reply(text="a"))
    assert rate.value.retry_after == 7.0

    fake.block(BOB)
    with pytest.raises(PermanentError) as blocked:
        await thin.deliver(to(BOB), Reply(text="a"))
    assert blocked.value.unreachable and "blocked" in blocked.value.reason

    fake.fail_next("sendMessage", 400, "Bad Request: message is too long")
    with pytest.raises(PermanentError) as too_long:
        await thin.deliver(to(ALICE), Reply(text="a"))
    assert not too_long.value.unreachable and "too long" in too_long.value.reason
    with pytest.raises(PermanentError) as entities:
        await thin.deliver(to(ALICE), Reply(text="<b>không đóng thẻ"))
    assert "can't parse entities" in entities.value.reason and not entities.value.unreachable
    with pytest.raises(PermanentError) as nochat:
        await thin.deliver(to(424242), Reply(text="a"))
    assert nochat.value.unreachable

    fake.fail_next("sendMessage", 401, "Unauthorized")
    with pytest.raises(TokenRevokedError) as revoked:
        await thin.deliver(to(ALICE), Reply(text="a"))
    assert isinstance(revoked.value, PermanentError) and not revoked.value.unreachable

    fake.fail_next_html("sendMessage", status=502)
    with pytest.raises(RetryableError) as outage:
        await thin.deliver(to(ALICE), Reply(text="a"))
    assert "502" in outage.value.reason and outage.value.retry_after is None
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(RetryableError):
        await thin.deliver(to(ALICE), Reply(text="a"))
    assert fake.messages_for(ALICE) == []  # nothing of the above went out

    # A garbled 2xx: it went out; counted sent (uncertain), never raised for a retry.
    fake.garble_next("sendMessage")
    result = await thin.deliver(to(ALICE), Reply(text="b"))
    assert result.uncertain and len(fake.messages_for(ALICE)) == 1


async def test_both_channels_raise_the_same_errors(thin: ThinChannel, fat: TelegramChannel,
                                                   fake: FakeTelegram) -> None:
    async def failure(channel: Any, arrange: Any) -> tuple[type, str, bool, float | None]:
        arrange()
        try:
            await channel.deliver(to(ALICE), Reply(text="x"))
        except (RetryableError, PermanentError) as exc:
            # The reason's head (aiogram rewords a 429's description, not its kind).
            return (type(exc), exc.reason.split(":")[0], getattr(exc, "unreachable", False),
                    getattr(exc, "retry_after", None))
        raise AssertionError("no error")

    cases = [lambda: fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3),
             lambda: fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user"),
             lambda: fake.fail_next("sendMessage", 400, "Bad Request: chat not found"),
             lambda: fake.fail_next("sendMessage", 401, "Unauthorized"),
             lambda: fake.fail_next_html("sendMessage", status=502)]
    for arrange in cases:
        assert await failure(thin, arrange) == await failure(fat, arrange)


# --- the same wire calls as the aiogram channel ----------------------------------------------------------


async def test_long_messages_and_keyboards_go_out_exactly_as_from_the_aiogram_channel(
        thin: ThinChannel, fat: TelegramChannel, fake: FakeTelegram) -> None:
    lines = [f"<b>Dòng {i}</b> — {'nội dung ' * 12}" for i in range(120)] + ["x" * 5000]
    stored = fake.store_file(TINY_PNG, "photo", "image/png")
    replies = [
        Reply(text="\n".join(lines), buttons=[[Button("Tiếp", "n:2")]]),
        Reply(text="Menu", menu=[["A", "B"], ["C"]], placeholder="Ví dụ: 28/11"),
        Reply(text="Ẩn", remove_menu=True, disable_preview=False),
        Reply(text="Gõ", placeholder="  Họ tên  "),
        Reply(text="Ảnh", media=MediaRef("photo", file_id=stored.file_id), buttons=[[Button("Xem", url="https://a.vn")]]),
    ]
    for reply in replies:
        await fat.deliver(to(ALICE), reply)
        await thin.deliver(to(BOB), reply)
    by_aiogram = [wire(m) for m in fake.messages_for(ALICE)]
    by_thin = [wire(m) for m in fake.messages_for(BOB)]
    assert len(by_aiogram) > len(replies)  # the long text was split
    assert by_thin == by_aiogram


# --- the worker never imports aiogram --------------------------------------------------------------------

WORKER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from bot.config import Settings
    from bot.devtools.emulator.telegram import FakeTelegram

    async def main(tmp):
        async with FakeTelegram() as fake:
            fake.add_chat(5001, first_name="An")
            settings = Settings(_env_file=None, bot_token=sys.argv[2], telegram_api_url=fake.base_url,
                                database_url=f"sqlite+aiosqlite:///{tmp}/w.sqlite3", media_dir=f"{tmp}/media")
            import bot.cli
            bot.cli.build_parser()
            from bot.compose import build
            from bot.messages import ChatRef, Reply
            from bot.services import outbox
            composed = await build(settings, mode="worker")
            try:
                app = composed.app
                async with app.db.session() as s:
                    await outbox.enqueue(s, key="w:1", kind="notice", to=outbox.Recipient(ChatRef("telegram", "5001")),
                                         reply=Reply(text="Chào <b>đồng chí</b>"), due_at=app.clock.now())
                await composed.sender.drain()
                print("channel", type(composed.telegram).__name__)
                print("sent", [m.text for m in fake.messages_for(5001)])
            finally:
                await composed.close()
        print("aiogram", sorted(m for m in sys.modules if m.split(".")[0] == "aiogram")[:3])

    asyncio.run(main(sys.argv[1]))
""")


def test_a_worker_sends_without_importing_aiogram(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, str(tmp_path), TOKEN], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.splitlines()
    assert "channel ThinChannel" in out
    assert "sent ['Chào <b>đồng chí</b>']" in out
    assert "aiogram []" in out, done.stdout


# --- reading updates without aiogram ---------------------------------------------------------------------


def test_the_pressed_message_text_reads_back_as_aiogram_reads_it() -> None:
    from aiogram.types import Message

    from bot.channels.telegram.adapter import html_text

    text = "Họp 🎉 chi bộ <ngày> & giờ: xem https://a.vn ngay"
    u16 = lambda s: len(s.encode("utf-16-le")) // 2  # noqa: E731
    at = lambda part: u16(text[:text.index(part)])  # noqa: E731
    entities = [
        {"type": "bold", "offset": 0, "length": u16("Họp 🎉 chi bộ")},
        {"type": "italic", "offset": at("🎉"), "length": u16("🎉 chi")},  # nested, after an astral emoji
        {"type": "text_link", "offset": at("<ngày>"), "length": u16("<ngày>"), "url": "https://x.vn/?a=1"},
        {"type": "url", "offset": at("https://a.vn"), "length": u16("https://a.vn")},
        {"type": "code", "offset": at("giờ"), "length": u16("giờ")},
        {"type": "blockquote", "offset": at("ngay"), "length": u16("ngay")},
    ]
    message = Message.model_validate({"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                      "text": text, "entities": entities})
    assert html_text(text, entities) == message.html_text
    assert html_text("a < b", None) == "a &lt; b"
    # Two entities from one offset nest, the longer outside (aiogram repeats the tail of the text there).
    nested = [{"type": "code", "offset": 0, "length": 3}, {"type": "underline", "offset": 0, "length": 8}]
    assert html_text("giờ: xem thêm", nested) == "<u><code>giờ</code>: xem</u> thêm"
    # A link's address keeps an & escaped inside the attribute.
    link = [{"type": "text_link", "offset": 0, "length": 2, "url": "https://x.vn/?a=1&b=2"}]
    assert html_text("Xem", link) == '<a href="https://x.vn/?a=1&amp;b=2">Xe</a>m'


WORKER_SCRIPT_RUN = WORKER_SCRIPT.replace('mode="worker"', 'mode="single"')


def test_hocbac_run_builds_and_sends_without_importing_aiogram(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", WORKER_SCRIPT_RUN, str(tmp_path), TOKEN], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "channel ThinChannel" in done.stdout.splitlines() and "aiogram []" in done.stdout.splitlines()


async def test_set_webhook_registers_through_the_thin_client(settings: Any, fake_tg: FakeTelegram) -> None:
    from pydantic import SecretStr

    from bot.app import App
    from bot.runtime import set_webhook

    await (await App.create(settings)).close()  # a deployed database (set-webhook does not migrate)
    secret = "s" * 32
    url = await set_webhook(settings.model_copy(update={"webhook_url": "https://bot.example.vn",
                                                        "webhook_secret": SecretStr(secret)}))
    assert fake_tg.webhook is not None and fake_tg.webhook["url"] == url == "https://bot.example.vn/telegram/webhook"
    assert fake_tg.webhook.get("secret_token") == secret
    assert ("setMyCommands", "default", "") == fake_tg.command_calls[0][:3]
