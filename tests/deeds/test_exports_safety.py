"""Every spreadsheet the bot sends is inert and clean.

- Text someone typed is written as text, never as a formula: a member named ``=HYPERLINK(...)`` stays a
  name in the secretary's Excel (formula injection).
- No export shows a path on the server (the deed pack used to link its photos as ``file:///…/media/…``).
- A control character in a deed (Word's Shift+Enter is \\x0b) never stops /bantin or /baocao, and what
  people send is stored without control characters.

The workbook check walks every sheet a feature registers (``Feature.export_sheets``), so a new sheet is
covered by the /baocao workbook; a new standalone workbook has to go through ``bot.services.sheets`` (the
guard test below names the modules that build one) and be added to ``_every_export``.
"""

from __future__ import annotations

import ast
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from sqlalchemy import select

from bot.features.broadcasts.models import Broadcast, BroadcastStatus
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.scheduling import MeetingScheduling
from bot.features.pledges.models import Pledge, PledgeItem, PledgeReview
from bot.features.votes.service import VoteService
from bot.i18n import use_locale
from bot.services.identity import IdentityService
from bot.services.media import MediaStore
from bot.services.sheets import Sheet, xlsx_bytes
from storage.models.people import Person
from tests.conftest import REPO, TZ, join_member
from tests.deeds.conftest import PHOTO, PHOTO_KEY, deeds

EVIL = [
    '=HYPERLINK("http://evil.example","Bấm vào đây")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
]
EVIL_NAME = EVIL[0]


async def _seed(bot, fake_tg, branch, clock) -> int:
    """A member named like a formula, with formula-like deeds (February and March, one with a photo), a
    pledge and a year-end self-assessment, a meeting and a notice. Returns the member's person id."""
    fake_tg.limits.enabled = False
    await join_member(bot, fake_tg, branch, 6301, EVIL_NAME)
    actor = await _actor(bot, EVIL_NAME)
    assert await bot.app.services.get(MediaStore).save(PHOTO, "image/png") == PHOTO_KEY
    reporting = bot.app.services.get(DeedReporting)
    for day in (date(2026, 2, 25), date(2026, 3, 1)):
        for i, text in enumerate(EVIL):
            await reporting.report(
                actor,
                DeedInput(day=day, text=text, category=EVIL[3], photo_keys=[PHOTO_KEY] if i == 0 else []),
            )
    now = bot.app.clock.now()
    async with bot.app.db.session() as s:
        pledge = Pledge(
            person_id=actor.person_id,
            branch_id=branch.branch_id,
            org_id=branch.org_id,
            year=2026,
            status="approved",
            version=1,
            approved_version=1,
            duty=EVIL[1],
            shortcoming=EVIL[2],
            remedy=EVIL[3],
        )
        s.add(pledge)
        await s.flush()
        s.add(PledgeItem(pledge_id=pledge.id, position=1, what=EVIL[0], criterion=EVIL[1], when_text=EVIL[2]))
        s.add(
            PledgeReview(
                pledge_id=pledge.id,
                person_id=actor.person_id,
                kind="yearend",
                text=EVIL[0],
                status="submitted",
                submitted_at=now,
            )
        )
        s.add(
            Broadcast(
                author_person_id=branch.secretary_actor.person_id,
                org_id=branch.org_id,
                branch_id=branch.branch_id,
                text=EVIL[0],
                status=BroadcastStatus.DONE.value,
                created_at=now,
                started_at=now,
            )
        )
    meeting = await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor,
        branch.branch_id,
        kind="thematic",
        starts_local=datetime(2026, 3, 2, 19, 30),
        place=EVIL[2],
        topic=EVIL[0],
    )
    clock.set(datetime(2026, 3, 2, 21, 0, tzinfo=TZ))
    await bot.app.services.get(MeetingAttendance).toggle(branch.secretary_actor, meeting.id, actor.person_id)
    # An open (named) vote at that meeting with formula-like question and options, and the member's ballot.
    votes = bot.app.services.get(VoteService)
    vote = await votes.open(branch.secretary_actor, meeting.id, EVIL[0], [EVIL[1], EVIL[2]], anonymous=False)
    await votes.cast(actor, vote.id, 1)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
    return actor.person_id


async def _actor(bot, name: str):  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        person_id = (await s.execute(select(Person.id).where(Person.display_name == name))).scalar_one()
    actor = await bot.app.services.get(IdentityService).actor_for_person(person_id)
    assert actor is not None
    return actor


async def _every_export(fake_tg, sec) -> dict[str, bytes]:
    """Ask for every workbook the bot offers, through the chat; returns them by file name."""
    await sec.send("/bantin")  # the deed pack: February (the pack covers the month before, early in a month)
    await _document(fake_tg, sec, "viec-tot-02-2026.xlsx")
    await _document(fake_tg, sec, "anh-viec-tot-02-2026.zip")  # the deeds' photos
    await sec.send("📊 Báo cáo")
    await sec.expect("Báo cáo cho khoảng thời gian nào?")
    await sec.press("Tháng này")
    report = await sec.expect("Báo cáo Chi bộ thôn 1", "tháng 3/2026")
    await sec.press("Xuất Excel", message=report)
    await sec.expect("Sổ tổng hợp của chi bộ")
    await sec.send("/dangky_tinhhinh")
    status = await sec.expect("Tình hình đăng ký làm theo năm 2026")
    await sec.press("Xuất Excel", message=status)
    await sec.expect("mỗi việc làm một dòng")
    await sec.press("Xuất tự đánh giá cuối năm", message=status)
    await sec.expect("Bản tự đánh giá cuối năm.")
    await sec.send("/hosonam")
    files = await sec.expect("Hồ sơ năm 2026 — Chi bộ thôn 1")
    await sec.press("Xuất Excel cả chi bộ", message=files)
    await sec.expect("Hồ sơ năm 2026: trang tổng hợp")
    await sec.press(EVIL_NAME, message=files)
    year_file = await sec.expect("Hồ sơ năm 2026 — ")
    await sec.press("Tải bản Excel", message=year_file)
    await sec.expect("Hồ sơ năm 2026 của đồng chí")
    await sec.send("/bieuquyet")
    votes = await sec.expect("Biểu quyết", "buổi sinh hoạt ngày 02/03/2026")
    await sec.press("Xuất Excel", message=votes)
    await sec.expect("Các biểu quyết của buổi sinh hoạt")
    await sec.send("/xeploai")  # the branch's classification summary for the đảng uỷ
    await sec.expect("Xếp loại chất lượng đảng viên năm 2026")
    await sec.press("Bảng tổng hợp")
    await sec.expect("xep-loai-dang-vien-2026.docx")
    await sec.send("/khenthuong")
    shortlist = await sec.expect("Danh sách xét khen thưởng năm 2026")
    await sec.press("Xuất Excel", message=shortlist)
    await sec.expect("Bảng tính khen thưởng.")
    return {
        m.raw.record.document["file_name"]: fake_tg.files[m.raw.record.document["file_id"]].data
        for m in sec.bot_events(sec.chat_key)
        if m.media == "document"
    }


def _media_dir(settings) -> str:  # type: ignore[no-untyped-def]
    return str(Path(settings.media_dir).resolve())


def _check_workbook(name: str, data: bytes, media_dir: str) -> dict[str, set[str]]:
    """Asserts the workbook holds no formula and no server path; returns each sheet's text values."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for part in zf.namelist():
            xml = zf.read(part).decode("utf-8", "replace")
            assert "<f>" not in xml and "<f " not in xml, f"{name}: {part} holds a formula"
            assert "file:" not in xml and media_dir not in xml, f"{name}: {part} shows a server path"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    texts: dict[str, set[str]] = {}
    for ws in wb.worksheets:
        texts[ws.title] = set()
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}/{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                assert cell.hyperlink is None, f"{name}/{ws.title}!{cell.coordinate} links {cell.hyperlink.target}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    assert media_dir not in cell.value and "file://" not in cell.value
                    texts[ws.title].add(cell.value)
    return texts


async def test_every_export_writes_text_not_formulas_and_no_server_path(bot, fake_tg, branch, clock, settings):
    await _seed(bot, fake_tg, branch, clock)
    files = await _every_export(fake_tg, branch.secretary)
    workbooks = {n: d for n, d in files.items() if n.endswith(".xlsx")}
    # the pack, /baocao, the pledges, the self-assessments, the branch's year files, one member's year file, votes,
    # /xeploai's summary, the commendations
    assert len(workbooks) == 9, sorted(files)
    media_dir = _media_dir(settings)
    found: dict[str, dict[str, set[str]]] = {}
    for name, data in workbooks.items():
        found[name] = _check_workbook(name, data, media_dir)
        everything = set().union(*found[name].values())
        assert EVIL_NAME in everything, f"{name}: the member's name is missing, the test checked nothing"
    # Every sheet a feature registers is in /baocao's workbook, and held the seeded text as text.
    [report] = [n for n in workbooks if n.startswith("baocao-")]
    with use_locale("vi"):
        registered = {key: sheet.title()[:31] for key, sheet in bot.app.services.deps.ext.export_sheets.items()}
    assert set(registered) >= {"members", "pledges", "deeds", "meetings", "notices"}
    for key, title in registered.items():
        assert title in found[report], f"sheet {key!r} ({title}) is not in the workbook"
        assert found[report][title] & set(EVIL), f"sheet {key!r}: seed formula-like text for it in _seed"
    # The pack's deeds: every formula-like text is there as typed, and the photo by its archive name.
    [pack] = [n for n in workbooks if n.startswith("viec-tot-")]
    assert set(EVIL) <= set().union(*found[pack].values())
    archive = files["anh-viec-tot-02-2026.zip"]
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = [Path(n).name for n in zf.namelist()]
    assert len(names) == 1 and names[0] in set().union(*found[pack].values())
    assert all(media_dir not in n for n in zf.namelist())


def test_only_the_sheets_helper_builds_a_workbook():
    """A new workbook must be built by bot.services.sheets (text as text, cells cleaned) and be asked for in
    ``_every_export`` above; this names the modules that build one today."""
    users: set[str] = set()
    for path in sorted((REPO / "bot").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in ("openpyxl", "xlsxwriter", "csv", "docx") for m in mods):
                    users.add(rel)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "xlsx_bytes":
                users.add(rel)
    assert users == {
        "bot/services/sheets.py",  # the helper itself
        "bot/services/documents.py",  # the one .docx writer
        "bot/features/deeds/pack.py",  # /bantin and the monthly pack
        "bot/features/dialogue/exports.py",  # the committee's opinions workbook (/hopthu)
        "bot/features/pledges/exports.py",  # the pledge and self-assessment exports
        "bot/features/reports/service.py",  # /baocao's workbook (every registered sheet)
        "bot/features/contests/service.py",  # /dshoithi: a contest's workbook
        "bot/features/yearfile/exports.py",  # /namcuatoi and /hosonam: a member's year file, the branch's
        "bot/features/votes/exports.py",  # a meeting's votes (names only for open votes)
        "bot/features/classification/exports.py",  # /xeploai's summary table for the đảng uỷ
        "bot/features/commendations/exports.py",  # /khenthuong: the branch's and the committee's workbooks
        "bot/features/supervision/exports.py",  # /giamsat: the committee's visits (tests/secretary/test_supervision.py)
        "bot/features/emulation/service.py",  # /thidua's workbook (tests/emulation: formula-like names as text)
        "bot/features/library/exports.py",  # /tailieu_thongke: library opens per branch (tests/library)
        "bot/content/cli.py",  # reads the admins' content CSV; writes no export
    }, users


def test_the_helper_cleans_control_characters_and_keeps_numbers():
    data = xlsx_bytes(
        [Sheet("a/b:c", ["Text", "Number", "Date"], [["Dòng 1\x0bDòng 2\x00\x0c!\x1f", 3, date(2026, 3, 1)]])]
    )
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[2]] == ["Dòng 1\nDòng 2\n!", 3, datetime(2026, 3, 1)]
    assert ws["B2"].data_type == "n"


async def test_control_characters_in_a_deed_are_cleaned_and_exports_still_work(bot, fake_tg, branch, an, clock):
    fake_tg.limits.enabled = False
    await an.send("/viectot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Dọn đường làng\x0bcùng thanh niên\x00 và\x07 trồng cây")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("Việc đó vào ngày nào?")
    await an.press("Hôm qua")
    await an.expect("thuộc loại nào?")
    await an.press("giữ gìn môi trường")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.press("Không có ảnh")
    await an.expect("nhóm chi bộ không?")
    await an.press("Hỏi lại khi được biểu dương")
    await an.expect("kiểm tra lại việc tốt")
    await an.press("Gửi")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.text == "Dọn đường làng\ncùng thanh niên và trồng cây"
    # A deed stored before intake cleaned texts (or written by a service) still exports.
    an_actor = await _actor(bot, "Trần Văn An")
    await bot.app.services.get(DeedReporting).report(
        an_actor, DeedInput(day=date(2026, 3, 1), text="Sửa cầu\x0btre\x0c\x1b cho xóm", category="khác")
    )
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=TZ))  # the pack now covers March
    sec = branch.secretary
    await sec.send("/bantin")
    doc = await _document(fake_tg, sec, "viec-tot-03-2026.xlsx")
    cells = {c for row in _rows(fake_tg, doc) for c in row}
    assert "Dọn đường làng\ncùng thanh niên và trồng cây" in cells and "Sửa cầu\ntre\n cho xóm" in cells
    await sec.send("📊 Báo cáo")
    await sec.expect("Báo cáo cho khoảng thời gian nào?")
    await sec.press("Tháng này")
    report = await sec.expect("Báo cáo Chi bộ thôn 1")
    await sec.press("Xuất Excel", message=report)
    doc = await sec.expect("Sổ tổng hợp của chi bộ")
    wb = openpyxl.load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    with use_locale("vi"):
        deeds_title = bot.app.services.deps.ext.export_sheets["deeds"].title()
    texts = {c for row in wb[deeds_title].iter_rows(values_only=True) for c in row}
    assert "Sửa cầu\ntre\n cho xóm" in texts and "Dọn đường làng\ncùng thanh niên và trồng cây" in texts


async def _document(fake_tg, sec, file_name: str):  # type: ignore[no-untyped-def]
    """The bot's message carrying ``file_name`` (the outbox does not promise the order of a pack's parts)."""

    def found():  # type: ignore[no-untyped-def]
        docs = [m for m in sec.bot_events(sec.chat_key) if m.media == "document"]
        return next((m for m in docs if m.raw.record.document["file_name"] == file_name), None)

    await fake_tg.wait_for(lambda: found() is not None, timeout=10)
    return found()


def _rows(fake_tg, message) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    data = fake_tg.files[message.raw.record.document["file_id"]].data
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
