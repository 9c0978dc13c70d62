"""/khenthuong: the shortlist from commended deeds, nominations, pledges and the classification; proposals of an
individual and a collective to the đảng uỷ with their reason and evidence; the committee records an award,
declines one, counts per branch; the .xlsx and .docx papers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.features.commendations.models import CommendAward, CommendProposal
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.features.deeds.review import DeedReviewing
from bot.features.pledges.models import Pledge
from bot.services.identity import IdentityService
from tests.conftest import join_member
from tests.yearend_commend.conftest import committee_admin, docx_of, person_id, sheets_of


async def _seed(bot, fake_tg, branch) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Three members: An with a commended deed and an approved pledge, Bình named by an accepted nomination,
    Cúc rated "excellent" by the classification; Dũng with nothing."""
    fake_tg.limits.enabled = False
    for uid, name in ((7101, "Trần Văn An"), (7102, "Lê Văn Bình"), (7103, "Đỗ Thị Cúc"), (7104, "Vũ Văn Dũng")):
        await join_member(bot, fake_tg, branch, uid, name)
    ids = {n: await person_id(bot, n) for n in ("Trần Văn An", "Lê Văn Bình", "Đỗ Thị Cúc", "Vũ Văn Dũng")}
    services = bot.app.services
    an = await services.get(IdentityService).actor_for_person(ids["Trần Văn An"])
    deed = await services.get(DeedReporting).report(an, DeedInput(day=date(2026, 2, 20),
                                                                  text="Hiến 50 m² đất làm đường thôn"))
    await services.get(DeedReviewing).review(branch.secretary_actor, deed.id, "feature")
    plain = await services.get(DeedReporting).report(an, DeedInput(day=date(2026, 2, 21), text="Quét sân đình"))
    await services.get(DeedReviewing).review(branch.secretary_actor, plain.id, "accept")  # recorded, not commended
    async with bot.app.db.session() as s:
        s.add(Pledge(person_id=ids["Trần Văn An"], branch_id=branch.branch_id, org_id=branch.org_id, year=2026,
                     status="approved", version=1, approved_version=1))
        from bot.features.deeds.models import Nomination

        s.add(Nomination(branch_id=branch.branch_id, nominated_by=ids["Trần Văn An"], name="Lê Văn Bình",
                         what="Cứu người đuối nước ở sông Đáy", day=date(2026, 1, 15), status="accepted",
                         person_id=ids["Lê Văn Bình"]))
        # An was awarded the two years before: this year makes three running.
        for year in (2024, 2025):
            s.add(CommendAward(org_id=branch.org_id, branch_id=branch.branch_id, year=year, kind="individual",
                               person_id=ids["Trần Văn An"], name="Trần Văn An", form="giay_khen",
                               recorded_by=ids["Trần Văn An"]))

    async def classification(_s, branch_id: int, year: int) -> dict[int, str]:
        # The classification feature's provider (another branch of work): the vote's results.
        assert (branch_id, year) == (branch.branch_id, 2026)
        return {ids["Đỗ Thị Cúc"]: "excellent", ids["Trần Văn An"]: "good", ids["Vũ Văn Dũng"]: "done"}

    bot.app.services.deps.ext.providers.classification_results = classification
    return ids


async def test_shortlist_proposals_award_and_counts(bot, fake_tg, branch):
    ids = await _seed(bot, fake_tg, branch)
    committee = await committee_admin(bot, fake_tg, branch)
    sec = branch.secretary

    # A member may not propose.
    member = fake_tg.user(7104, "Vũ Văn Dũng")
    await member.send("/khenthuong")
    await member.expect("chỉ dành cho bí thư")

    await sec.send("/khenthuong")
    shortlist = await sec.expect("Danh sách xét khen thưởng năm 2026", "3/5 đảng viên")
    text = shortlist.text
    assert "Đỗ Thị Cúc: Hoàn thành xuất sắc nhiệm vụ; đăng ký làm theo: chưa có phiếu đăng ký" in text
    assert ("Trần Văn An: Hoàn thành tốt nhiệm vụ; đăng ký làm theo: đã duyệt; kiểm tra định kỳ: 0/0 lượt đã "
            "làm; 1 việc tốt được biểu dương") in text
    assert "20/02/2026: Hiến 50 m² đất làm đường thôn" in text and "Quét sân đình" not in text
    assert "Lê Văn Bình" in text and "15/01/2026: Được giới thiệu “gương người tốt”: Cứu người đuối nước" in text
    assert "Vũ Văn Dũng" not in text  # not in the pool: HTNV and no commended deed
    assert text.index("Đỗ Thị Cúc") < text.index("Trần Văn An") < text.index("Lê Văn Bình")

    # An individual, with the reason; the evidence goes with it.
    await sec.press("Đề nghị cá nhân", message=shortlist)
    ask = await sec.expect("Chi bộ đề nghị khen thưởng ai?")
    assert ask.buttons[:3] == ["⭐ Đỗ Thị Cúc", "⭐ Trần Văn An", "⭐ Lê Văn Bình"] and "Vũ Văn Dũng" in ask.buttons
    await sec.press("⭐ Trần Văn An")
    await sec.expect("Lý do đề nghị")
    await sec.send("Tiên phong hiến đất làm đường, vận động 12 hộ cùng làm")
    card = await sec.expect("kiểm tra lại đề nghị gửi đảng uỷ", "Trần Văn An", "vận động 12 hộ")
    await sec.press("Gửi đảng uỷ", message=card)
    await sec.expect("Đề nghị khen thưởng Trần Văn An đã được gửi đảng uỷ")
    await committee.expect("Đề nghị khen thưởng", "Chi bộ thôn 1", "cá nhân", "Trần Văn An", "vận động 12 hộ")
    # The same person twice is refused politely.
    await sec.press("Đề nghị cá nhân", message=shortlist)
    await sec.expect("Chi bộ đề nghị khen thưởng ai?")
    await sec.press("⭐ Trần Văn An")
    await sec.expect("Lý do đề nghị")
    await sec.send("Lần hai")
    await sec.press("Gửi đảng uỷ", message=await sec.expect("kiểm tra lại đề nghị"))
    await sec.expect("Trần Văn An đã được đề nghị khen thưởng năm 2026")

    # The branch itself, as a collective.
    await sec.press("Đề nghị tập thể", message=shortlist)
    await sec.expect("Tập thể nào?")
    await sec.press("Chi bộ thôn 1")
    await sec.expect("Lý do đề nghị")
    await sec.send("Chi bộ trong sạch, vững mạnh tiêu biểu")
    await sec.press("Gửi đảng uỷ", message=await sec.expect("kiểm tra lại đề nghị", "Chi bộ thôn 1"))
    await sec.expect("Đề nghị khen thưởng Chi bộ thôn 1 đã được gửi đảng uỷ")
    await committee.expect("Đề nghị khen thưởng", "tập thể", "Chi bộ thôn 1")

    async with bot.app.db.session() as s:
        props = {p.name: p for p in (await s.execute(select(CommendProposal))).scalars()}
    an_prop = props["Trần Văn An"]
    assert an_prop.person_id == ids["Trần Văn An"] and an_prop.status == "sent" and an_prop.kind == "individual"
    assert an_prop.evidence == [
        "Xếp loại: Hoàn thành tốt nhiệm vụ",
        "Đăng ký làm theo: đã duyệt; kiểm tra định kỳ: 0/0 lượt đã làm",
        "Biểu dương ngày 20/02/2026: Hiến 50 m² đất làm đường thôn",
    ]
    assert props["Chi bộ thôn 1"].kind == "collective" and props["Chi bộ thôn 1"].person_id is None

    # The committee's view: counts per branch and the proposals waiting, with their evidence.
    await committee.send("/khenthuong")
    await committee.expect("Khen thưởng năm 2026", "Chi bộ thôn 1: 2 đề nghị, 0 đã khen thưởng, 2 chờ xét")
    an_card = await committee.expect("Trần Văn An", "cá nhân", "Căn cứ:", "Biểu dương ngày 20/02/2026")
    branch_card = await committee.expect("Chi bộ thôn 1 (tập thể)")
    await committee.press("Ghi nhận khen thưởng", message=an_card)
    await committee.expect("Hình thức khen thưởng Trần Văn An (năm 2026)?")
    await committee.press("Giấy khen")
    confirm = await committee.expect("Ghi nhận khen thưởng?", "Trần Văn An, năm 2026: Giấy khen")
    await committee.press("Ghi nhận khen thưởng", message=confirm)
    await committee.expect("Đã ghi nhận: Trần Văn An, năm 2026, Giấy khen")
    await sec.expect("Đảng uỷ đã khen thưởng Trần Văn An (năm 2026): Giấy khen.", "3 năm liền")
    await committee.press("Không khen thưởng", message=branch_card)
    await committee.expect("Vì sao Chi bộ thôn 1 không được khen thưởng?")
    await committee.send("Chưa đủ 5 năm liền trong sạch, vững mạnh")
    await committee.expect("Chi bộ đã được báo")
    await sec.expect("Đảng uỷ không khen thưởng Chi bộ thôn 1", "Chưa đủ 5 năm liền")
    # A decided proposal cannot be decided again (a replayed button).
    await committee.press_data(an_card.button_data[0][1], an_card)
    await committee.expect("Đề nghị này đã được xét: đã khen thưởng")

    await committee.send("/khenthuong")
    counts = await committee.expect("Khen thưởng năm 2026", "Chi bộ thôn 1: 2 đề nghị, 1 đã khen thưởng, 0 chờ xét")
    await committee.press("Xuất Excel", message=counts)
    org_book = sheets_of(fake_tg, await committee.expect("Khen thưởng của các chi bộ"))
    assert next(iter(org_book)) == "Tổng hợp"
    assert org_book["Tổng hợp"][:3] == [["Chi bộ", "Đề nghị", "Đã khen thưởng", "Chờ xét"],
                                       ["Chi bộ thôn 1", 2, 1, 0], ["Tổng cộng", 2, 1, 0]]

    async with bot.app.db.session() as s:
        awards = (await s.execute(select(CommendAward).where(CommendAward.year == 2026))).scalars().all()
    assert [(a.name, a.form, a.person_id) for a in awards] == [("Trần Văn An", "giay_khen", ids["Trần Văn An"])]

    # Awards by year, with the chain.
    await sec.send("/khenthuong")
    menu = await sec.expect("Danh sách xét khen thưởng năm 2026", "Đề nghị năm 2026")
    assert "Trần Văn An (cá nhân): đã khen thưởng" in menu.text
    assert "Chi bộ thôn 1 (tập thể): không khen thưởng" in menu.text
    await sec.press("Khen thưởng các năm", message=menu)
    await sec.expect("Khen thưởng qua các năm", "2026: Trần Văn An — Giấy khen (3 năm liền)", "2024: Trần Văn An")

    # The branch's workbook: the summary first, then the shortlist, the proposals, the awards.
    await sec.press("Xuất Excel", message=menu)
    book = sheets_of(fake_tg, await sec.expect("Bảng tính khen thưởng"))
    assert list(book) == ["Tổng hợp", "Danh sách xét", "Đề nghị", "Khen thưởng"]
    summary = dict((r[0], r[1]) for r in book["Tổng hợp"][1:])
    assert summary == {"Chi bộ": "Chi bộ thôn 1", "Năm": 2026, "Đảng viên": 5, "Trong diện xét": 3,
                       "Số đề nghị đã gửi": 2, "Khen thưởng trong năm": 1}
    shortlist_rows = {r[1]: r for r in book["Danh sách xét"][1:]}
    assert shortlist_rows["Đỗ Thị Cúc"][2:6] == ["✓", "Hoàn thành xuất sắc nhiệm vụ", "chưa có phiếu đăng ký", 0]
    assert shortlist_rows["Vũ Văn Dũng"][2] is None
    proposals = {r[1]: r for r in book["Đề nghị"][1:]}
    assert proposals["Trần Văn An"][6] == "đã khen thưởng" and proposals["Chi bộ thôn 1"][7].startswith("Chưa đủ")
    assert proposals["Trần Văn An"][5].strftime("%d/%m/%Y") == "02/03/2026"
    assert [r[0] for r in book["Khen thưởng"][1:]] == [2026, 2025, 2024]
    assert book["Khen thưởng"][1][3:] == ["Giấy khen", 3]

    # The proposal list as .docx.
    await sec.press("Danh sách đề nghị (.docx)", message=menu)
    doc = docx_of(fake_tg, await sec.expect("Danh sách đề nghị khen thưởng."))
    assert "ĐẢNG BỘ XÃ AN BÌNH" in doc and "CHI BỘ THÔN 1" in doc and "ĐẢNG CỘNG SẢN VIỆT NAM" in doc
    assert "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG NĂM 2026" in doc
    assert "Chi bộ thôn 1 đề nghị Đảng uỷ Đảng bộ xã An Bình xét khen thưởng" in doc
    lines = doc.splitlines()
    assert lines.index("I. Tập thể") < lines.index("II. Cá nhân")
    assert ("1 | Trần Văn An | Tiên phong hiến đất làm đường, vận động 12 hộ cùng làm | Xếp loại: Hoàn thành tốt "
            "nhiệm vụ; Đăng ký làm theo: đã duyệt; kiểm tra định kỳ: 0/0 lượt đã làm; Biểu dương ngày 20/02/2026: "
            "Hiến 50 m² đất làm đường thôn | đã khen thưởng") in lines
    assert "T/M CHI UỶ" in doc and "awarded" not in doc and "giay_khen" not in doc


async def test_shortlist_without_classification_says_not_yet(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    await join_member(bot, fake_tg, branch, 7201, "Trần Văn An")
    results = bot.app.services.deps.ext.providers.classification_results
    async with bot.app.db.session() as s:
        assert await results(s, branch.branch_id, 2026) == {}  # the branch has not classified anyone yet
    await branch.secretary.send("/khenthuong")
    msg = await branch.secretary.expect("Danh sách xét khen thưởng năm 2026", "0/2 đảng viên", "Xếp loại: chưa có.",
                                        "Chưa có ai trong diện xét")
    await branch.secretary.press("Xuất Excel", message=msg)
    book = sheets_of(fake_tg, await branch.secretary.expect("Bảng tính khen thưởng"))
    assert {r[1]: r[3] for r in book["Danh sách xét"][1:]}["Trần Văn An"] == "chưa có"
