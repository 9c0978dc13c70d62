from datetime import UTC, datetime

import pytest

from bot.channels.zalo.adapter import zalo_update_to_inbound
from bot.messages import ChatRef, UserRef


def _msg(**fields):
    base = {
        "from": {"id": "u1", "display_name": "Chị Lan", "is_bot": False},
        "chat": {"id": "c1", "chat_type": "PRIVATE"},
        "message_id": "m1",
        "date": 1766619597466,
    }
    base.update(fields)
    return base


def _update(event, **fields):
    return {"event_name": event, "message": _msg(**fields)}


@pytest.mark.parametrize("wrapped", [False, True])
def test_text(wrapped):
    update = _update("message.text.received", text="Xin chào")
    if wrapped:
        update = {"ok": True, "result": update}
    inbound = zalo_update_to_inbound(update, "main")
    assert inbound.chat == ChatRef(channel="zalo", chat_id="c1", bot="main")
    assert inbound.user == UserRef(channel="zalo", user_id="u1", display_name="Chị Lan")
    assert inbound.text == "Xin chào" and inbound.command is None and inbound.kind == "message"
    assert inbound.chat_type == "private" and inbound.message_id == "m1"
    assert inbound.timestamp == datetime(2025, 12, 24, 23, 39, 57, 466000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [("/HomNay", "homnay", ""), ("/diem  tuần này ", "diem", "tuần này"), ("/start@bot x", "start", "x"),
     ("/", None, ""), ("không phải /lệnh", None, "")],
)
def test_commands(text, command, args):
    inbound = zalo_update_to_inbound(_update("message.text.received", text=text), "main")
    assert (inbound.command, inbound.args) == (command, args)
    assert inbound.text == text


@pytest.mark.parametrize("field", ["photo_url", "photo"])
def test_image(field):
    inbound = zalo_update_to_inbound(
        _update("message.image.received", **{field: "https://f.zalo/x.jpg", "caption": "Ảnh sinh hoạt"}), "b"
    )
    assert inbound.kind == "message" and inbound.text == "Ảnh sinh hoạt"
    assert [(m.kind, m.url) for m in inbound.media] == [("photo", "https://f.zalo/x.jpg")]


def test_sticker_and_unsupported_and_group():
    sticker = zalo_update_to_inbound(_update("message.sticker.received", sticker="abc123"), "b")
    assert [(m.kind, m.file_id) for m in sticker.media] == [("sticker", "abc123")]
    odd = zalo_update_to_inbound(
        _update("message.unsupported.received", chat={"id": 77, "chat_type": "GROUP"}), "b"
    )
    assert odd.kind == "unsupported" and odd.chat_type == "group" and odd.chat.chat_id == "77"


def test_documented_sample_without_event_name_and_first_name():
    # The getUpdates sample in the Zalo docs has no event_name and names the sender "first_name".
    update = {"ok": True, "result": {"message": {
        "chat": {"id": "e4ea", "chat_type": "PRIVATE"}, "text": "Xin chào", "message_id": "16f6",
        "date": 1766619597466, "from": {"id": "e4ea", "first_name": "Nguyen Van A"}}}}
    inbound = zalo_update_to_inbound(update, "b")
    assert inbound.text == "Xin chào" and inbound.user.display_name == "Nguyen Van A"
    assert inbound.extras["event_name"] == "message.text.received"


@pytest.mark.parametrize(
    "junk",
    [None, [], "x", {}, {"ok": True, "result": None}, {"ok": True, "result": []},
     {"event_name": "message.text.received"}, {"message": "nope"},
     {"message": {"text": "no chat"}}, {"message": {"chat": {"id": None}, "text": "x"}},
     {"message": {"chat": "c1", "text": "x"}},
     {"event_name": "message.text.received", "message": {"chat": {"id": "c"}, "text": 5}}],
)
def test_junk_is_none(junk):
    assert zalo_update_to_inbound(junk, "b") is None


def test_missing_sender_and_bad_date_do_not_raise():
    inbound = zalo_update_to_inbound(
        {"event_name": "message.text.received",
         "message": {"chat": {"id": "c"}, "text": "hi", "date": "soon"}},
        "b",
    )
    assert inbound.user is None and inbound.timestamp is None and inbound.text == "hi"


def test_group_mention_is_stripped_before_the_command():
    from bot.channels.zalo.adapter import strip_mention

    assert strip_mention("@Bot Học Bác /lienketnhom 06:30") == "/lienketnhom 06:30"
    assert strip_mention("@bot học bác hom nay", ("Bot Học Bác",)) == "hom nay"
    assert strip_mention("@An ơi chiều nay họp") == "@An ơi chiều nay họp"  # no command, unknown name: kept
    update = {"event_name": "message.text.received", "message": {
        "from": {"id": "u1"}, "chat": {"id": "g1", "chat_type": "GROUP"}, "message_id": "m1",
        "text": "@Bot Học Bác /lienketnhom"}}
    inbound = zalo_update_to_inbound(update, "main")
    assert inbound is not None and inbound.command == "lienketnhom" and inbound.chat_type == "group"
