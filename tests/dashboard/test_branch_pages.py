"""The dashboard's branch, member and audit pages, called as the web layer calls them: who may see what, the
figures and charts they carry, the user text escaped, every export in the audit log."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from bot.clock import to_utc
from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.daily.models import DailyRead
from bot.features.dashboard.audit_view import audit_page
from bot.features.dashboard.branch import TABLES, branch_export, branch_page
from bot.features.dashboard.member import member_page
from bot.features.deeds.models import Deed
from bot.features.dialogue.models import DialogueItem
from bot.features.meetings.models import Attendance, Meeting
from bot.features.pledges.models import Pledge
from bot.i18n import use_locale
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, PermissionDenied
from bot.services.identity import IdentityService
from storage.models.org import Branch, Organization
from storage.models.people import Membership, OrgRole
from storage.models.system import AuditLog
from tests.conftest import ADMIN_TG_ID, TZ, seed_branch

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
EVIL = "<b>x</b>"
FORMULA = "=HYPERLINK(\"http://x\",\"bấm\")"


def utc(m: int, d: int, hh: int = 19) -> datetime:
    return to_utc(datetime(2026, m, d, hh, 0), TZ)


async def person(bot, tg_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    ids = bot.app.services.get(IdentityService)
    actor = await ids.resolve(UserRef("telegram", str(tg_id), name), str(tg_id))
    return actor.person_id


async def actor(bot, pid: int) -> Actor:  # type: ignore[no-untyped-def]
    got = await bot.app.services.get(IdentityService).actor_for_person(pid)
    assert got is not None
    return got


async def seat(bot, pid: int, branch_id: int, role: str = "member", status: str = "active") -> None:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        s.add(Membership(person_id=pid, branch_id=branch_id, role=role, status=status, requested_at=utc(1, 5),
                         decided_at=utc(1, 6) if status == "active" else None))


@pytest.fixture
async def world(bot, fake_tg, clock):  # type: ignore[no-untyped-def]
    return await build_world(bot, fake_tg, clock)


async def build_world(bot, fake_tg, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    home = await seed_branch(bot, fake_tg)
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ xã Bình Minh", branch_name="Chi bộ thôn 9",
                              secretary_id=4242, secretary_name="Lê Văn Khác")
    an = await person(bot, 7001, "Trần Văn An")
    evil = await person(bot, 7002, EVIL)
    formula = await person(bot, 7003, FORMULA)
    waiting = await person(bot, 7004, "Phạm Thị Chờ")
    outsider_admin = await person(bot, 7005, "Uỷ viên đảng bộ khác")
    home_admin = await person(bot, 7006, "Uỷ viên đảng bộ nhà")
    for pid in (an, evil, formula):
        await seat(bot, pid, home.branch_id)
    await seat(bot, waiting, home.branch_id, status="pending")
    b = home.branch_id
    sec = home.secretary_actor.person_id
    async with bot.app.db.session() as s:
        s.add(OrgRole(person_id=outsider_admin, org_id=other.org_id))
        s.add(OrgRole(person_id=home_admin, org_id=home.org_id))
        # November: three deeds sent in the week of 16/11 (two accepted), one waiting since the 3rd.
        for text, status, day in (("Dọn rác đầu xóm", "accepted", 16), ("Thăm hộ nghèo", "featured", 17),
                                  ("Dạy kèm", "returned", 18), ("Sửa đường làng", "pending", 3)):
            s.add(Deed(person_id=an, branch_id=b, text=text, day=date(2026, 11, day), status=status,
                       created_at=utc(11, day)))
        s.add(Pledge(person_id=an, branch_id=b, org_id=home.org_id, year=2026, status="approved", version=1,
                     approved_version=1))
        s.add(Pledge(person_id=evil, branch_id=b, org_id=home.org_id, year=2026, status="submitted", version=1,
                     submitted_at=utc(11, 10)))
        meeting = Meeting(branch_id=b, starts_at=utc(11, 5), topic="Sinh hoạt tháng 11", created_by=sec)
        s.add(meeting)
        await s.flush()
        for pid in (an, evil, sec):
            s.add(Attendance(meeting_id=meeting.id, person_id=pid, present=True, source="code"))
        s.add(DialogueItem(org_id=home.org_id, branch_id=b, year=2026, number=7, target="branch",
                           text="Đề nghị họp sớm hơn", anonymous=True, created_at=utc(11, 12)))
        for d in (2, 3, 17):
            s.add(DailyRead(person_id=an, day=date(2026, 11, d), branch_id=b, at=utc(11, d, 7)))
    return {
        "home": home, "other": other, "an": an, "evil": evil, "formula": formula, "waiting": waiting,
        "outsider_admin": outsider_admin, "home_admin": home_admin,
    }


def values_of(body: str, chart: str) -> list[str]:
    """The numbers written on the bars of one chart (by its id)."""
    m = re.search(rf'<section class="chart" id="chart-{chart}"(.*?)</section>', body, re.S)
    assert m, f"no chart {chart}"
    return re.findall(r'class="chart-value"[^>]*>([^<]+)<', m.group(1))


async def test_secretary_sees_their_branch_members_figures_charts_and_pending(bot, world):  # type: ignore[no-untyped-def]
    await secretary_sees_their_branch(bot, world)


async def secretary_sees_their_branch(bot, world):  # type: ignore[no-untyped-def]
    deps = bot.app.services.deps
    home = world["home"]
    page = await branch_page(deps, home.secretary_actor, home.branch_id, "m")
    body = page.body
    assert "thôn 1" in page.title
    assert "Trần Văn An" in body and f'href="/dashboard/member/{world["an"]}"' in body
    # A name that is HTML is shown as text, never as markup.
    assert EVIL not in body and "&lt;b&gt;x&lt;/b&gt;" in body
    assert not re.search(r"\sstyle=", body) and "<script" not in body and "onclick" not in body
    # Deeds per week: 4 sent in November, three in the week of 16/11, none shown for the weeks to come.
    reported = values_of(body, "deeds_reported_weekly")
    assert reported == ["0", "1", "0", "3"], reported
    assert values_of(body, "deeds_accepted_weekly")[-1] == "2"
    # Attendance per meeting: 3 present of the 5 members then (the secretary and four members).
    assert values_of(body, "attendance_per_meeting") == ["75%"]
    pledges = dict(zip(re.findall(r'<tspan[^>]*>([^<]+)</tspan>',
                                  body.split('id="chart-pledges_by_state"')[1].split("</section>")[0]),
                       values_of(body, "pledges_by_state"), strict=False))
    assert pledges["Đã duyệt"] == "1" and pledges["Chờ duyệt"] == "1"
    assert sum(int(v) for v in values_of(body, "reading_weekly")) == 3
    # Work waiting: the join request, the pledge, the deed, the opinion (never who sent it).
    for text in ("Phạm Thị Chờ xin tham gia", "Sửa đường làng", "Ý kiến số 7/2026", "phiếu đăng ký năm 2026"):
        assert text in body, text
    for table in TABLES:
        assert f"/dashboard/branch/{home.branch_id}/export/{table}.xlsx?period=m" in body
    # English second: the same page for a reader who chose English.
    with use_locale("en"):
        english = (await branch_page(deps, home.secretary_actor, home.branch_id, "m")).body
    assert "At a glance" in english and "Phạm Thị Chờ asks to join" in english and "Tóm tắt" not in english


async def test_no_one_else_sees_the_branch(bot, world):  # type: ignore[no-untyped-def]
    deps = bot.app.services.deps
    home, other = world["home"], world["other"]
    member = await actor(bot, world["an"])
    outsider = await actor(bot, world["outsider_admin"])
    for who in (other.secretary_actor, member, outsider):
        with pytest.raises(PermissionDenied):
            await branch_page(deps, who, home.branch_id, "m")
        with pytest.raises(PermissionDenied):
            await branch_export(deps, who, home.branch_id, "members", "m")
    # The committee of the branch's own đảng bộ does see it, with a way back to the đảng bộ.
    committee = await actor(bot, world["home_admin"])
    page = await branch_page(deps, committee, home.branch_id, "y")
    assert "Trần Văn An" in page.body and page.crumbs and page.crumbs[0][1] == f"/dashboard/org/{home.org_id}"
    with pytest.raises(InvalidInput):
        await branch_page(deps, home.secretary_actor, home.branch_id, "week")


async def test_member_sees_only_their_own_year_file(bot, world):  # type: ignore[no-untyped-def]
    deps = bot.app.services.deps
    home, other = world["home"], world["other"]
    an = await actor(bot, world["an"])
    own = await member_page(deps, an, world["an"], None)
    assert "Trần Văn An" in own.title and "2026" in own.body
    assert "Dọn rác đầu xóm" in own.body  # a dated record behind the deeds figure
    evil_page = await member_page(deps, home.secretary_actor, world["evil"], 2026)
    # The title is plain text (the layout escapes it); the body holds the name escaped.
    assert EVIL in evil_page.title and EVIL not in evil_page.body and "&lt;b&gt;x&lt;/b&gt;" in evil_page.body
    for who, target in ((an, world["evil"]), (await actor(bot, world["evil"]), world["an"]),
                        (other.secretary_actor, world["an"]), (await actor(bot, world["outsider_admin"]), world["an"])):
        with pytest.raises(PermissionDenied):
            await member_page(deps, who, target, None)
    committee = await actor(bot, world["home_admin"])
    assert "Trần Văn An" in (await member_page(deps, committee, world["an"], 2026)).title
    with pytest.raises(InvalidInput):
        await member_page(deps, an, world["an"], 2099)


async def test_every_export_is_text_safe_and_audited_and_the_committee_reads_the_log(bot, world):  # type: ignore[no-untyped-def]
    await exports_are_audited(bot, world)


async def exports_are_audited(bot, world):  # type: ignore[no-untyped-def]
    deps = bot.app.services.deps
    home = world["home"]
    for table in TABLES:
        dl = await branch_export(deps, home.secretary_actor, home.branch_id, table, "m")
        wb = openpyxl.load_workbook(io.BytesIO(dl.data))
        assert dl.filename.endswith(".xlsx") and table in dl.filename
        if table == "members":
            cells = [c for row in wb.active.iter_rows() for c in row]
            names = {c.value: c for c in cells}
            assert EVIL in names and FORMULA in names
            assert names[FORMULA].data_type == "s"  # a name never becomes a formula
    with pytest.raises(InvalidInput):
        await branch_export(deps, home.secretary_actor, home.branch_id, "secrets", "m")
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(AuditLog).where(AuditLog.action == "dashboard.export"))).scalars().all()
    assert sorted(r.details["table"] for r in rows) == sorted(TABLES)
    assert {r.actor_person_id for r in rows} == {home.secretary_actor.person_id}
    assert all(r.branch_id == home.branch_id and r.org_id == home.org_id for r in rows)

    committee = await actor(bot, world["home_admin"])
    log = await audit_page(deps, committee, home.org_id)
    assert log.body.count("Tải một bảng từ bảng điều khiển") == len(TABLES)
    assert "Nguyễn Thị Lan" in log.body and "20/11/2026 09:00" in log.body
    assert "dashboard.export" not in log.body
    for who in (home.secretary_actor, await actor(bot, world["outsider_admin"]), await actor(bot, world["an"])):
        with pytest.raises(PermissionDenied):
            await audit_page(deps, who, home.org_id)


async def test_the_audit_log_is_the_org_s_own_and_paged(bot, world):  # type: ignore[no-untyped-def]
    deps = bot.app.services.deps
    home, other = world["home"], world["other"]
    async with bot.app.db.session() as s:
        org = await s.get(Organization, other.org_id)
        assert org is not None
        branch = (await s.execute(select(Branch).where(Branch.org_id == other.org_id))).scalars().first()
        for i in range(55):
            s.add(AuditLog(at=utc(11, 1), actor_person_id=world["an"], action="pledge.approve", org_id=home.org_id,
                           branch_id=home.branch_id, target=f"pledge:{i}"))
        s.add(AuditLog(at=utc(11, 2), actor_person_id=other.secretary_actor.person_id, action="report.export",
                       org_id=other.org_id, branch_id=branch.id if branch else None))
    committee = await actor(bot, world["home_admin"])
    first = await audit_page(deps, committee, home.org_id)
    second = await audit_page(deps, committee, home.org_id, page=2)
    assert first.body.count('<td class="when">') == 50  # a page at a time, newest first
    assert first.body.count("Duyệt một phiếu đăng ký") + second.body.count("Duyệt một phiếu đăng ký") == 55
    whens = [datetime.strptime(w, "%d/%m/%Y %H:%M")
             for w in re.findall(r'<td class="when">([^<]+)</td>', first.body + second.body)]
    assert whens == sorted(whens, reverse=True) and whens[-1] == datetime(2026, 11, 1, 19, 0)  # shown in local time
    assert "Lê Văn Khác" not in first.body + second.body  # another đảng bộ's row
    assert "?page=2" in first.body


@pytest.mark.postgres
async def test_the_same_on_postgres(tmp_path, fake_tg, clock, pg_db_url):  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        world = await build_world(harness, fake_tg, clock)
        await secretary_sees_their_branch(harness, world)
        await exports_are_audited(harness, world)
    finally:
        await harness.stop()
