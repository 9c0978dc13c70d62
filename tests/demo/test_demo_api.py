"""`hocbac demo` without a browser: the seeded story and every JSON API route, on port 0."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.devtools.demo.seed_features import MEETING_PLACE, THEME_TITLE
from bot.devtools.demo.server import DemoServer
from bot.devtools.emulator.telegram_state import tiny_png


async def _chat(http: aiohttp.ClientSession, srv: DemoServer, persona: str, after: int = 0,
                wait: float = 0) -> dict[str, Any]:
    async with http.get(f"{srv.url}/api/chat/{persona}", params={"after": after, "wait": wait}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


def _latest_state(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """key -> the item's newest version (an edit arrives as the same key again)."""
    state: dict[str, dict[str, Any]] = {}
    for item in items:
        state[item["key"]] = item
    return state


async def _wait_for(http: aiohttp.ClientSession, srv: DemoServer, persona: str, after: int,
                    *fragments: str) -> dict[str, Any]:
    """Long-poll until a bot item containing every fragment shows in that chat."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    seen: list[str] = []
    while loop.time() < deadline:
        data = await _chat(http, srv, persona, after, wait=1)
        for item in data["items"]:
            seen.append(item["text"])
            if item["from"] == "bot" and all(f in item["text"] for f in fragments):
                return item
        after = data["seq"]
    raise AssertionError(f"no bot item with {fragments} in {persona}'s chat; saw {seen}")


@pytest.fixture
async def demo(tmp_path):
    async with DemoServer(port=0, db_path=tmp_path / "demo.sqlite3") as srv:
        yield srv


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_seeded_people_and_join_flow(demo: DemoServer, http: aiohttp.ClientSession):
    async with http.get(f"{demo.url}/api/personas") as resp:
        data = await resp.json()
    names = [p["name"] for p in data["personas"]]
    assert names == ["Nguyễn Thị Lan", "Trần Văn An", "Lê Thị Bình", "Phạm Minh Cường", "Hoàng Văn Minh",
                     "Nhóm Chi bộ thôn 1"]
    assert data["personas"][-1]["group"] is True
    assert data["clock"]["time"] == "08:00"

    secretary = await _chat(http, demo, "lan")
    assert "👥 Đảng viên" in [label for row in secretary["menu"] or [] for label in row]
    items = secretary["items"]
    requests = [i for i in items if "xin tham gia" in i["text"]]
    assert len(requests) == 3 and all(r["buttons"] for r in requests)
    # Each request was approved with its button: the same message, edited in place, buttons gone.
    final = _latest_state(items)
    for request in requests:
        now = final[request["key"]]
        assert now["edited"] and "Đã duyệt" in now["text"] and now["buttons"] == []

    member = await _chat(http, demo, "an")
    welcome = next(i for i in member["items"] if "đã được duyệt" in i["text"])
    assert welcome["from"] == "bot"
    assert ["📖 Học Bác hôm nay", "✍️ Báo việc tốt"] in member["menu"]


async def test_send_press_photo_and_clock(demo: DemoServer, http: aiohttp.ClientSession):
    start = await _chat(http, demo, "an")
    async with http.post(f"{demo.url}/api/send", json={"persona": "an", "text": "/toi"}) as resp:
        assert resp.status == 200
    profile = await _wait_for(http, demo, "an", start["seq"], "Trần Văn An", "Chi bộ thôn 1")
    assert {"t": "Trần Văn An", "s": ["b"]} in profile["runs"]  # <b> became a style flag, not markup

    # What a person types is shown as typed, never parsed.
    async with http.post(f"{demo.url}/api/send", json={"persona": "an", "text": "<b>đậm</b> & <i>"}) as resp:
        assert resp.status == 200
    mine = [i for i in (await _chat(http, demo, "an", profile["seq"]))["items"] if i["from"] == "user"]
    assert mine[-1]["runs"] == [{"t": "<b>đậm</b> & <i>"}]

    # A button that is not on the message is refused, as Telegram would.
    lan = await _chat(http, demo, "lan")
    request = next(i for i in lan["items"] if i["buttons"])
    async with http.post(f"{demo.url}/api/press", json={"persona": "lan", "message_id": request["message_id"],
                                                        "data": "join:ok:9999"}) as resp:
        assert resp.status == 400
    # Pressing the stale "Duyệt" of an already-edited request is refused too: the button is gone.
    async with http.post(f"{demo.url}/api/press", json={"persona": "lan", "message_id": request["message_id"],
                                                        "data": request["buttons"][0][0]["data"]}) as resp:
        assert resp.status == 400

    photo = tiny_png(6, 4)
    form = aiohttp.FormData()
    form.add_field("persona", "binh")
    form.add_field("caption", "Ảnh dọn vệ sinh đường làng")
    form.add_field("file", photo, filename="anh.png", content_type="image/png")
    before = await _chat(http, demo, "binh")
    async with http.post(f"{demo.url}/api/photo", data=form) as resp:
        assert resp.status == 200, await resp.text()
    sent = [i for i in (await _chat(http, demo, "binh", before["seq"]))["items"] if i["from"] == "user"]
    assert sent[-1]["text"] == "Ảnh dọn vệ sinh đường làng" and sent[-1]["photo"]
    async with http.get(demo.url + sent[-1]["photo"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        assert await resp.read() == photo

    # In the group chat the secretary writes; the bot stays quiet there but the message shows.
    async with http.post(f"{demo.url}/api/send", json={"persona": "group", "text": "Chào cả chi bộ"}) as resp:
        assert resp.status == 200
    group = (await _chat(http, demo, "group"))["items"]
    mine = [(i["author"], i["text"]) for i in group if i["from"] == "user"]
    assert mine == [("Nguyễn Thị Lan", "/lienketnhom"), ("Nguyễn Thị Lan", "Chào cả chi bộ")]
    assert group[-1]["text"] == "Chào cả chi bộ"  # the bot said nothing to it

    # Another web page cannot post here.
    async with http.post(f"{demo.url}/api/send", json={"persona": "an", "text": "x"},
                         headers={"Origin": "http://evil.example"}) as resp:
        assert resp.status == 403

    day0 = datetime.fromisoformat((await _chat(http, demo, "an"))["clock"]["iso"])
    async with http.post(f"{demo.url}/api/clock/next-morning") as resp:
        moved = await resp.json()
    morning = datetime.fromisoformat(moved["clock"]["iso"])
    assert morning.date() == day0.date() + timedelta(days=1) and morning.strftime("%H:%M") == "06:30"
    assert moved["ticks"] and all(v == "ok" for v in moved["ticks"].values())
    async with http.post(f"{demo.url}/api/clock/meeting") as resp:
        meeting = await resp.json()
    # The seeded meeting: 19:30, two days after the first demo day.
    assert meeting["source"] == "meeting"
    assert datetime.fromisoformat(meeting["clock"]["iso"]) == (day0 + timedelta(days=2)).replace(hour=19, minute=30)


async def test_kept_database_is_reused(tmp_path):
    db = tmp_path / "kept.sqlite3"
    async with DemoServer(port=0, db_path=db) as first:
        assert first.clock is not None
        first.clock.advance(timedelta(days=2))
        assert first.harness is not None
        await first.harness.tick()
        later = first.clock.now()
    async with DemoServer(port=0, db_path=db) as again:
        assert again.report.reused
        assert again.clock is not None and again.clock.now() >= later  # time never runs backwards
        async with aiohttp.ClientSession() as http:
            await _wait_for(http, again, "an", 0, "Chào mừng", "Trần Văn An")


def _texts(items: list[dict[str, Any]]) -> list[str]:
    return [i["text"] for i in _latest_state(items).values() if i["from"] == "bot"]


async def test_seeded_features(demo: DemoServer, http: aiohttp.ClientSession):
    """Theme, group link, meeting, pledges and deeds, each as its chats show it after seeding."""
    async with http.get(f"{demo.url}/api/personas") as resp:
        data = await resp.json()
    assert data["seeded"] == ["daily", "meetings", "library", "pledges", "deeds", "dialogue", "emulation", "contests",
                              "supervision"]
    assert data["skipped"] == []

    lan = _texts((await _chat(http, demo, "lan"))["items"])
    # An's request was approved with its button (edited in place); Bình's waits; Cường has none.
    waiting = [t for t in lan if "Phiếu đăng ký mới cần duyệt" in t]
    assert len(waiting) == 1 and "Lê Thị Bình" in waiting[0]
    assert "Chuyên đề năm: " + THEME_TITLE in waiting[0]
    assert any("Đã duyệt phiếu của Trần Văn An" in t for t in lan)
    assert any("Giấy mời sinh hoạt" in t and MEETING_PLACE in t for t in lan)
    assert not any("Việc tốt chờ duyệt" in t for t in lan)  # the digest waits for 19:00

    an = _texts((await _chat(http, demo, "an"))["items"])
    assert any("Phiếu đăng ký năm" in t and "đã được bí thư duyệt" in t for t in an)
    assert any("đã được chi bộ ghi nhận" in t and "📷 1 ảnh" in t for t in an)
    cuong = _texts((await _chat(http, demo, "cuong"))["items"])
    assert any("đã được chi bộ biểu dương" in t for t in cuong)
    group = _texts((await _chat(http, demo, "group"))["items"])
    assert any("đã được liên kết với Chi bộ thôn 1" in t for t in group)
    assert any("Gương việc tốt" in t and "Phạm Minh Cường" in t for t in group)

    # The digest button: 19:00 the same day, one summary; its button opens Bình's pending deed with its
    # photo and the review buttons.
    start = await _chat(http, demo, "lan")
    async with http.post(f"{demo.url}/api/clock/digest") as resp:
        moved = await resp.json()
    assert moved["clock"]["time"] == "19:00"
    summary = await _wait_for(http, demo, "lan", start["seq"], "việc tốt chờ duyệt", "Lê Thị Bình")
    assert not summary["photo"]
    async with http.post(f"{demo.url}/api/press", json={"persona": "lan", "message_id": summary["message_id"],
                                                        "data": summary["buttons"][0][0]["data"]}) as resp:
        assert resp.status == 200
    card = await _wait_for(http, demo, "lan", start["seq"], "Lê Thị Bình", "Kèm hai cháu")
    assert card["photo"] and [b["label"] for b in card["buttons"][0]] == ["✅ Ghi nhận", "🌟 Biểu dương",
                                                                          "↩️ Trả lại"]
    async with http.get(demo.url + card["photo"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"

    # The next morning: everyone gets the day's item, with the year theme and the item's source line.
    an_seq = (await _chat(http, demo, "an"))["seq"]
    async with http.post(f"{demo.url}/api/clock/next-morning") as resp:
        assert (await resp.json())["clock"]["time"] == "06:30"
    item = await _wait_for(http, demo, "an", an_seq, "Học Bác mỗi ngày")
    assert "Chuyên đề năm" in item["text"] and "— Hồ Chí Minh" in item["text"]
    # An has "Nhận kèm ảnh chữ lớn" on: the item comes with its large-print card (as the photo of the item's
    # message, or just before it when the text is too long for a caption).
    cards = [i for i in (await _chat(http, demo, "an", an_seq))["items"] if i["from"] == "bot" and i["photo"]]
    assert cards, "no large-print card in An's chat"
    async with http.get(demo.url + cards[0]["photo"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        png = await resp.read()
    assert int.from_bytes(png[16:20], "big") == 1080  # the PNG's width
    assert item["at"] == "06:30" and item["buttons"][0][0]["label"] == "Đã đọc ✓"
    assert demo.harness is not None and demo.harness.app is not None and demo.clock is not None
    from bot.features.daily.delivery import DailyDelivery

    today = await demo.harness.app.services.get(DailyDelivery).today_for_branch(demo.report.branch_ids[0])
    assert today.item.text in item["text"]  # the branch's item of the day, not any item
    await _wait_for(http, demo, "group", 0, "Học Bác mỗi ngày", today.item.text)


async def test_seeded_contest(demo: DemoServer):
    """The demo's contest: two entries of the home branch, one scored and ranked first."""
    from bot.devtools.demo.cast import ADMIN_ID
    from bot.features.contests.service import Contests
    from bot.messages import UserRef
    from bot.services.identity import IdentityService

    assert demo.harness is not None and demo.harness.app is not None
    services = demo.harness.app.services
    contests = services.get(Contests)
    admin = await services.get(IdentityService).resolve(UserRef("telegram", str(ADMIN_ID), "Quản trị hệ thống"),
                                                        str(ADMIN_ID))
    [contest] = await contests.of_committee(admin)
    _contest, counts = await contests.branch_counts(admin, contest.id)
    assert sum(c.entries for c in counts) == 2 and sum(1 for c in counts if c.entries) == 1
    standing = await contests.results(admin, contest.id)
    assert [r.author for r in standing.ranking] == ["Phạm Minh Cường"] and standing.unscored == 1


async def test_the_committee_persona_sees_its_practices(demo: DemoServer, http: aiohttp.ClientSession):
    """The đảng uỷ's admin (Hoàng Văn Minh) opens the committee's practices, each with the seeded data."""
    for command, fragments in (("/giamsat", ("Chi bộ thôn 1",)), ("/thidua", ("Chi bộ thôn 1",)),
                               ("/dshoithi", ("Các hội thi của đảng bộ",)), ("/hopthu", ("Chi bộ thôn 1",))):
        start = await _chat(http, demo, "minh")
        async with http.post(f"{demo.url}/api/send", json={"persona": "minh", "text": command}) as resp:
            assert resp.status == 200
        await _wait_for(http, demo, "minh", start["seq"], *fragments)
