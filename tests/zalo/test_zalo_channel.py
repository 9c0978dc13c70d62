import asyncio
import contextlib

import pytest

from bot.channels.zalo.channel import PHOTO_ONLY_IN_APP, DuplicateFilter, ZaloChannel
from bot.delivery import PermanentError, RetryableError
from bot.messages import Button, ChatRef, MediaRef, Reply
from bot.text import pick_choice


def chat(user_id="u1"):
    return ChatRef(channel="zalo", chat_id=user_id, bot="main")


@contextlib.asynccontextmanager
async def polling(channel, handler, **kw):
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll_forever(handler, stop, poll_timeout=1, **kw))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 3)


async def test_deliver_long_text_as_several_messages(fake, channel):
    fake.user("u1", "Lan")
    body = " ".join(f"Điều {i}: cần, kiệm, liêm, chính, chí công vô tư." for i in range(150))
    sent = await channel.deliver(chat(), Reply(body, [[Button("Đã đọc", "read")]]))
    msgs = fake.messages_for("u1")
    assert len(msgs) >= 3 and len(sent.message_ids) == len(msgs)
    assert sent.message_ids == [m.message_id for m in msgs]
    assert all(len(m.text) <= 2000 for m in msgs)
    assert msgs[-1].buttons == ["Đã đọc"]


async def test_deliver_edit_is_a_new_message(fake, channel):
    fake.user("u1", "Lan")
    first = await channel.deliver(chat(), Reply("Bản 1"))
    second = await channel.deliver(chat(), Reply("Bản 2", edit_of=first.message_ids[0]))
    assert [m.text for m in fake.messages_for("u1")] == ["Bản 1", "Bản 2"]
    assert second.message_ids != first.message_ids


async def test_deliver_photo_by_url_with_caption(fake, channel):
    fake.user("u1", "Lan")
    reply = Reply("<b>Ảnh</b> buổi sinh hoạt", media=MediaRef(kind="photo", url="https://cdn.x/a.jpg"))
    sent = await channel.deliver(chat(), reply)
    (msg,) = fake.messages_for("u1")
    assert msg.photo and msg.photo_url == "https://cdn.x/a.jpg" and msg.text == "Ảnh buổi sinh hoạt"
    assert sent.message_ids == [msg.message_id]


async def test_deliver_media_key_uses_public_url_or_note(fake, client):
    fake.user("u1", "Lan")
    reply = Reply("Xem ảnh", media=MediaRef(kind="photo", media_key="k1"))
    without = ZaloChannel("main", client)
    await without.deliver(chat(), reply)
    with_url = ZaloChannel("main", client, public_url=lambda key: f"https://media.x/{key}.jpg")
    await with_url.deliver(chat(), reply)
    first, second = fake.messages_for("u1")
    assert not first.photo and first.text == f"{PHOTO_ONLY_IN_APP}\nXem ảnh"
    assert second.photo and second.photo_url == "https://media.x/k1.jpg"


async def test_deliver_errors_are_classified(fake, channel):
    with pytest.raises(PermanentError) as info:
        await channel.deliver(chat("ghost"), Reply("hi"))
    assert info.value.unreachable
    fake.user("u1", "Lan")
    fake.fail_next("sendMessage", status=503)
    with pytest.raises(RetryableError):
        await channel.deliver(chat(), Reply("hi"))


async def test_fetch_media_downloads_url(fake, channel):
    url = fake.host_file(b"jpeg-bytes")
    assert await channel.fetch_media(MediaRef(kind="photo", url=url)) == b"jpeg-bytes"


def test_duplicate_filter_per_bot_and_bounded():
    f = DuplicateFilter(maxlen=2)
    assert not f.is_duplicate("a", "1")
    assert f.is_duplicate("a", "1")
    assert not f.is_duplicate("b", "1")  # another bot's message with the same id
    assert not f.is_duplicate("a", "2")
    assert not f.is_duplicate("a", "1")  # forgotten: only the last 2 are kept
    assert not f.is_duplicate("a", "") and not f.is_duplicate("a", "")
    assert len(f) == 2


async def test_poller_feeds_handler_in_order_and_drops_duplicates(fake, channel):
    got = []
    done = asyncio.Event()

    async def handler(inbound, ch):
        got.append((inbound.text, inbound.kind, ch is channel))
        if len(got) == 3:
            done.set()

    user = fake.user("u1", "Lan")
    first = await fake.inject_text(user, "một")
    await fake.inject_raw(first)  # same message_id again
    await fake.inject_unsupported(user)
    async with polling(channel, handler):
        await fake.inject_text(user, "ba")  # arrives while the poll is waiting
        await asyncio.wait_for(done.wait(), 3)
    assert got == [("một", "message", True), ("", "unsupported", True), ("ba", "message", True)]


async def test_poller_survives_errors_and_handler_bugs(fake, channel):
    got = []

    async def handler(inbound, ch):
        got.append(inbound.text)
        if inbound.text == "lỗi":
            raise RuntimeError("bug")

    user = fake.user("u1", "Lan")
    fake.fail_next("getUpdates", status=500, times=2)
    await fake.inject_text(user, "lỗi")
    await fake.inject_text(user, "sau lỗi")
    async with polling(channel, handler, backoff_base=0.01, backoff_max=0.05):
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.02)
    assert got == ["lỗi", "sau lỗi"]
    assert fake.stats["failed"] == 2


async def test_one_poller_per_channel(fake, channel):
    async def handler(inbound, ch):
        pass

    async with polling(channel, handler):
        await asyncio.sleep(0.05)
        with pytest.raises(RuntimeError):
            await channel.poll_forever(handler, asyncio.Event())


async def test_scripted_user_press_round_trip(fake, channel):
    """A tiny bot: /hop asks a question with two choices; the answer is matched back."""
    question = Reply("Bạn dự sinh hoạt chi bộ chứ?", [[Button("Có mặt ✓", "yes"), Button("Vắng", "no")]])

    async def bot(inbound, ch):
        if inbound.command == "hop":
            await ch.deliver(inbound.chat, question)
        else:
            index = pick_choice(inbound.text, [b.label for b in question.choices()])
            picked = question.choices()[index].data if index is not None else "không rõ"
            await ch.deliver(inbound.chat, Reply(f"Đã ghi: {picked}"))

    lan = fake.user("u1", "Lan")
    async with polling(channel, bot):
        await lan.send("/hop")
        asked = await lan.expect("sinh hoạt chi bộ")
        assert asked.buttons == ["Có mặt ✓", "Vắng"] and not asked.photo
        await lan.press("Vắng")
        assert (await lan.expect("Đã ghi")).text == "Đã ghi: no"
        await lan.press("co mat")  # loose label, still answers the latest list
        await lan.expect("Đã ghi: yes")
        await lan.send("dong y")
        await lan.expect("Đã ghi: không rõ")
        await lan.expect_nothing(within=0.1)
    assert fake.messages_for("u1")[-1] is lan.last.raw
    assert "Lan: [chọn] 2. Vắng" in lan.transcript()  # a readable transcript, as on Telegram
    first_lines = [m.text.split("\n")[0] for m in lan.messages()]
    assert first_lines[:2] == ["Bạn dự sinh hoạt chi bộ chứ?", "Đã ghi: no"]
    # press() answered with plain numbers, as a Zalo user types them.
    assert [u["message"]["text"] for u in fake.injected] == ["/hop", "2", "1", "dong y"]


async def test_scripted_user_expect_fifo_and_failures(fake, channel):
    lan = fake.user("u1", "Lan")
    for text in ["A một", "B hai", "A ba"]:
        await channel.deliver(chat(), Reply(text))
    assert (await lan.expect("A")).text == "A một"
    assert (await lan.expect("A")).text == "A ba"  # "B hai" is skipped and marked read
    with pytest.raises(AssertionError, match="no bot message"):
        await lan.expect("B", timeout=0.1)  # already read
    with pytest.raises(AssertionError, match="numbered choice"):
        await lan.press("Có")
    await channel.deliver(chat(), Reply("Chọn", [[Button("X", "x")]]))
    with pytest.raises(AssertionError, match=r"options are \['X'\]"):
        await lan.press("Y")
    late = asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(
        channel.deliver(chat(), Reply("Muộn"))))
    with pytest.raises(AssertionError, match="expected silence"):
        await lan.expect_nothing(within=0.5)  # a message arriving during the wait breaks the silence
    late.cancel()


async def test_scripted_user_photo_and_sticker(fake, channel):
    got = []

    async def handler(inbound, ch):
        got.append(inbound)

    lan = fake.user("u1", "Lan")
    url = await lan.send_photo(b"raw-photo", caption="Biên bản")
    await lan.send_sticker()
    async with polling(channel, handler):
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.02)
    photo, sticker = got
    assert photo.text == "Biên bản" and photo.media[0].url == url
    assert await channel.fetch_media(photo.media[0]) == b"raw-photo"
    assert sticker.media[0].kind == "sticker"
