"""Votes in chat on Telegram and on Zalo (the secretary on Telegram): /bieuquyet opens a question for those
checked in; each gets a ballot, taps once, may change until the close; polite refusals (not checked in, not a
member, after the close, the same choice again); the close shows counts, present/members, quorum and the
outcome, and sends it to those present. A secret ballot never shows a name, in any screen or the export."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select, update

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.models import Meeting
from bot.features.votes.models import Ballot, Vote
from bot.services.identity import invalidate
from storage.models.people import Membership, MembershipStatus
from tests.conftest import TZ
from tests.votes.helpers import schedule

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
NAMES = ["Trần Văn An", "Lê Bình", "Phạm Chi", "Đỗ Dũng"]


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


async def _meeting_with_checkins(kit, clock, present: int):  # type: ignore[no-untyped-def]
    users = [await kit.join(str(5501 + i), name) for i, name in enumerate(NAMES)]
    mid = await schedule(kit.bot, kit.branch)
    async with kit.bot.app.db.session() as s:
        code = (await s.get(Meeting, mid)).checkin_code
    clock.set(datetime(2026, 3, 2, 19, 35, tzinfo=TZ))
    for u in users[:present]:
        await u.send(f"/comat {code}")
        await u.expect("đã điểm danh")
    return users, mid


async def _open(kit, question: str, *, custom: str | None = None):  # type: ignore[no-untyped-def]
    """Open a vote through /bieuquyet; returns the review card the secretary confirmed."""
    sec = kit.branch.secretary
    await sec.send("/bieuquyet")
    await sec.expect("Biểu quyết", "buổi sinh hoạt ngày 02/03/2026")
    await sec.press("Biểu quyết mới")
    await sec.expect("Đồng chí gửi nội dung cần biểu quyết")
    await sec.send(question)
    await sec.expect("Các phương án biểu quyết?")
    if custom is None:
        await sec.press("Tán thành / Không tán thành / Không biểu quyết")
    else:
        await sec.press("Tự nhập các phương án")
        await sec.expect("mỗi phương án một dòng")
        await sec.send(custom)
    card = await sec.expect("Mở biểu quyết này?", question)
    await sec.press("Mở biểu quyết và gửi phiếu")
    return card


@BOTH
async def test_open_vote_change_refuse_close_and_result(kit, clock):
    users, mid = await _meeting_with_checkins(kit, clock, present=3)
    an, binh, chi, dung = users
    sec = kit.branch.secretary
    card = await _open(kit, "Thông qua nghị quyết tháng 3")
    assert "Phiếu sẽ gửi tới 3 đồng chí đã điểm danh có mặt (trên tổng số 5)" in card.text
    assert "Dưới hai phần ba số đảng viên có mặt" in card.text  # 3 of 5
    await sec.expect("Đã mở biểu quyết", "phiếu đã gửi tới 3 đồng chí có mặt")

    ballot = await an.expect("Biểu quyết", "Thông qua nghị quyết tháng 3", "Bỏ phiếu kín")
    assert [b.lstrip("✅ ") for b in ballot.buttons] == ["Tán thành", "Không tán thành", "Không biểu quyết"]
    await an.press("Tán thành", message=ballot)
    await an.expect("Tán thành", "có thể đổi cho tới khi bí thư kết thúc")
    # The same choice again: a polite refusal, nothing changes.
    await an.press("Tán thành", message=ballot)
    await an.expect("Đồng chí đã chọn “Tán thành” rồi")
    # A change of mind is recorded, and shown.
    await an.press("Không biểu quyết", message=ballot)
    await an.expect("Không biểu quyết", "có thể đổi cho tới khi bí thư kết thúc")
    if kit.channel == "telegram":
        shown = an.current(ballot)
        assert shown.edited and "Lựa chọn của đồng chí: Không biểu quyết" in shown.text
        assert "✅ Không biểu quyết" in shown.buttons

    b_ballot = await binh.expect("Thông qua nghị quyết tháng 3")
    await binh.press("Tán thành", message=b_ballot)
    await binh.expect("Tán thành", "có thể đổi")

    # Chi was checked in, then the secretary corrected the roll: her tap is refused politely.
    c_ballot = await chi.expect("Thông qua nghị quyết tháng 3")
    await kit.bot.app.services.get(MeetingAttendance).toggle(kit.branch.secretary_actor, mid, await _pid(kit, chi))
    await chi.press("Tán thành", message=c_ballot)
    await chi.expect("chưa điểm danh có mặt", "/comat")
    # Dung never checked in: no ballot reached him.
    assert not any("Thông qua nghị quyết" in m.text for m in dung.bot_events(dung.chat_key))

    # The live tally: counts only (a secret ballot), nothing on who has not voted.
    await sec.send("/bieuquyet")
    await sec.expect("Thông qua nghị quyết tháng 3", "đang biểu quyết")
    await sec.press("1. Thông qua nghị quyết")
    live = await sec.expect("Biểu quyết", "đang biểu quyết", "Đã biểu quyết 2, có mặt 2, tổng số đảng viên 5")
    assert "Chưa biểu quyết" not in live.text
    await sec.press("Kết thúc biểu quyết", message=live)
    await sec.expect("Kết thúc biểu quyết “Thông qua nghị quyết tháng 3”?", "Đã có 2/2")
    await sec.press("Kết thúc và công bố kết quả")
    result = await sec.expect("đã kết thúc", "Kết quả:")
    assert "• Tán thành: 1" in result.text and "• Không tán thành: 0" in result.text
    assert "• Không biểu quyết: 1" in result.text
    assert "Đã biểu quyết 2, có mặt 2, tổng số đảng viên 5" in result.text
    assert "Dưới hai phần ba số đảng viên có mặt" in result.text  # 2 of 5
    assert "không thông qua" in result.text  # 1 agree is not more than half of 5 members

    # Those present get the result; a tap after the close is refused.
    await an.expect("Kết quả biểu quyết", "Thông qua nghị quyết tháng 3", "không thông qua")
    await binh.expect("Kết quả biểu quyết")
    await binh.press("Không tán thành", message=b_ballot)
    await binh.expect("biểu quyết này đã kết thúc", "không được ghi nhận")
    async with kit.bot.app.db.session() as s:
        ballots = (await s.execute(select(Ballot.choice))).scalars().all()
        vote = (await s.execute(select(Vote))).scalar_one()
    assert sorted(ballots) == [-1, -1] and vote.counts == [1, 0, 1]  # a closed secret ballot forgets choices
    assert vote.present_count == 2 and vote.member_count == 5

    # A member who left the branch can no longer vote in it.
    await _open(kit, "Biểu quyết lần hai")
    await sec.expect("Đã mở biểu quyết")
    second = await an.expect("Biểu quyết lần hai")
    an_id = await _pid(kit, an)
    async with kit.bot.app.db.session() as s:
        await s.execute(update(Membership).where(Membership.person_id == an_id)
                        .values(status=MembershipStatus.LEFT.value))
    await invalidate(kit.bot.app.services.deps, [an_id])  # as every membership writer does
    await an.press("Tán thành", message=second)
    await an.expect("chỉ đảng viên của chi bộ mới biểu quyết")

    # Dung arrives late and checks in: the secretary sends the ballot to newcomers only.
    async with kit.bot.app.db.session() as s:
        code = (await s.get(Meeting, mid)).checkin_code
    await dung.send(f"/comat {code}")
    await dung.expect("đã điểm danh")
    await sec.send("/bieuquyet")
    await sec.expect("2. Biểu quyết lần hai")
    await sec.press("2. Biểu quyết lần hai")
    await sec.expect("Biểu quyết lần hai", "đang biểu quyết")
    await sec.press("Gửi phiếu cho đồng chí mới điểm danh")
    await sec.expect("Đã gửi phiếu tới thêm 1 đồng chí")
    late = await dung.expect("Biểu quyết lần hai")
    await dung.press("Không tán thành", message=late)
    await dung.expect("Không tán thành", "có thể đổi")
    assert sum("Biểu quyết lần hai" in m.text and bool(m.buttons) for m in binh.bot_events(binh.chat_key)) == 1


@BOTH
async def test_secret_ballot_never_shows_a_name_and_open_vote_does(kit, clock):
    users, _mid = await _meeting_with_checkins(kit, clock, present=4)
    sec = kit.branch.secretary
    start = len(sec.bot_events(sec.chat_key))
    card = await _open(kit, "Chọn nội dung chuyên đề quý II", custom="Tiết kiệm\nĐoàn kết\nTiết kiệm\n")
    assert "Dưới hai phần ba" not in card.text and "Bỏ phiếu kín" in card.text  # 4 of 5 present
    await sec.expect("Đã mở biểu quyết", "4 đồng chí")
    for u, option in zip(users, ["Tiết kiệm", "Đoàn kết", "Tiết kiệm", "Tiết kiệm"], strict=True):
        ballot = await u.expect("Chọn nội dung chuyên đề quý II")
        assert [b.lstrip("✅ ") for b in ballot.buttons] == ["Tiết kiệm", "Đoàn kết"]  # duplicates dropped
        await u.press(option, message=ballot)
        await u.expect(option, "có thể đổi")
    await sec.send("/bieuquyet")
    await sec.expect("Chọn nội dung chuyên đề quý II — đang biểu quyết: Tiết kiệm 3, Đoàn kết 1")
    await sec.press("1. Chọn nội dung")
    await sec.expect("• Tiết kiệm: 3", "• Đoàn kết: 1")
    await sec.press("Kết thúc biểu quyết")
    await sec.expect("Kết thúc biểu quyết “Chọn nội dung")
    await sec.press("Kết thúc và công bố kết quả")
    await sec.expect("Kết quả: Tiết kiệm", "quá nửa số đảng viên của chi bộ")  # 3 of 5 members
    await sec.send("/bieuquyet")
    await sec.expect("đã kết thúc")
    await sec.press("Xuất Excel")
    doc = await sec.expect("Các biểu quyết của buổi sinh hoạt")
    for u in users:
        await u.expect("Kết quả biểu quyết", "Tiết kiệm")
    # No screen the secretary saw, nor any member's message, names a voter of the secret ballot.
    seen = [e.text for e in sec.bot_events(sec.chat_key)[start:]]
    for u in users:
        seen += [e.text for e in u.bot_events(u.chat_key) if "quý II" in e.text]
    assert not [t for t in seen if any(n in t for n in NAMES)], seen
    book = openpyxl.load_workbook(io.BytesIO(_document(kit, doc)))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert book.sheetnames[0] == "Biểu quyết"
    assert "Chọn nội dung chuyên đề quý II" in cells and "Bỏ phiếu kín" in cells
    assert not [c for c in cells if any(n in c for n in NAMES)]

    # Switched to an open vote: the secretary sees names, and the export lists who chose what.
    await sec.send("/bieuquyet")
    await sec.expect("Biểu quyết", "Có mặt: 4/5")
    await sec.press("Cài đặt biểu quyết")
    await sec.expect("Bỏ phiếu kín (chỉ hiện số phiếu): có")
    await sec.press("Chuyển sang biểu quyết công khai")
    await sec.expect("Bỏ phiếu kín (chỉ hiện số phiếu): không")
    await _open(kit, "Biểu quyết công khai thử")
    await sec.expect("Đã mở biểu quyết")
    ballot = await users[0].expect("Biểu quyết công khai thử", "bí thư thấy đồng chí nào chọn gì")
    await users[0].press("Tán thành", message=ballot)
    await users[0].expect("Tán thành", "có thể đổi")
    await sec.send("/bieuquyet")
    await sec.expect("2. Biểu quyết công khai thử")
    await sec.press("2. Biểu quyết công khai")
    view = await sec.expect("Biểu quyết công khai.", "Tán thành: Trần Văn An")
    assert "Chưa biểu quyết: Lê Bình, Phạm Chi, Đỗ Dũng" in view.text


async def _pid(kit, user) -> int:  # type: ignore[no-untyped-def]
    from storage.models.people import Identity

    ext = str(getattr(user, "user_id", None) or user.id)
    async with kit.bot.app.db.session() as s:
        return (await s.execute(select(Identity.person_id).where(Identity.external_id == ext))).scalar_one()


def _document(kit, message) -> bytes:  # type: ignore[no-untyped-def]
    """The .xlsx the secretary received, from the fake Telegram server."""
    doc = message.raw.record.document
    assert doc is not None and doc.get("file_name", "").startswith("bieu-quyet-2026-03-02"), doc
    return kit.fake_tg.files[doc["file_id"]].data
