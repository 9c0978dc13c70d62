"""Search without diacritics, import (chat upload and CLI; good file, broken file writes nothing), and
`hocbac content check` on the shipped library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.features.daily.models import ContentItemRow
from tests.conftest import REPO, join_member, seed_branch
from tests.daily.conftest import committee_admin

# Test data only: placeholder items, never shipped (the library holds verified quotes only).
GOOD_YAML = """\
- id: thu-nghiem-mot
  kind: quote
  text: Mục thử nghiệm thứ nhất về đức tính khiêmnhuongthunghiem
  work: Tài liệu thử nghiệm của đảng bộ
  date: '1950'
  source_url: https://hochiminh.nhandan.vn/thu-nghiem-1
  confidence: high
  themes: [hoc-tap]
- id: thu-nghiem-hai
  kind: quote
  text: Mục thử nghiệm thứ hai về tinh thần tự học
  citation: Tài liệu thử nghiệm, tr.2
  source_url: https://thainguyen.dcs.vn/thu-nghiem-2
  confidence: medium
"""

BAD_YAML = """\
- id: thu-nghiem-ba
  kind: quote
  text: Mục thử nghiệm thứ ba
  work: Tài liệu thử nghiệm
  source_url: https://bqllang.gov.vn/thu-nghiem-3
  confidence: high
- id: thu-nghiem-bon
  kind: quote
  text: Mục thử nghiệm thứ tư, thiếu nguồn
  work: Tài liệu thử nghiệm
  confidence: high
"""

# The first entry is fine, the second cites a document-sharing site: the whole file is refused.
SHARED_DOC_YAML = GOOD_YAML.replace("https://thainguyen.dcs.vn/thu-nghiem-2", "https://tailieu.vn/doc/thu-nghiem-2")


async def _count(bot) -> int:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        return (await s.execute(select(func.count()).select_from(ContentItemRow))).scalar_one()


async def _upload(fake_tg, user, data: bytes, name: str) -> None:  # type: ignore[no-untyped-def]
    stored = fake_tg.store_file(data, "document", "application/x-yaml", file_name=name)
    document = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_name": name,
                "mime_type": "application/x-yaml", "file_size": len(data)}
    await fake_tg.inject_content(user.user, user.chat_key, document=document)


async def test_search_ignores_diacritics_and_unknown_term_gets_random(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5301, "Trần Văn An")
    await an.send("/timkiem can kiem liem chinh")
    found = await an.expect("Kết quả cho “can kiem liem chinh”")
    assert "1. “" in found.text and "— Hồ Chí Minh" in found.text
    assert "cần" in found.text.lower() and "kiệm" in found.text.lower()
    assert found.text.count("\n\n") <= 5  # at most the best 5
    await an.send("tim kiem")  # typed without slash and diacritics, no keyword: a friendly hint
    await an.expect("Vui lòng gõ từ khoá")
    await an.send("/timkiem xyzzyqwerty")
    await an.expect("Không tìm thấy", "xyzzyqwerty")
    await an.expect("Học Bác mỗi ngày", "— Hồ Chí Minh")


async def test_import_by_upload_belongs_to_the_dang_bo_only(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    await _upload(fake_tg, admin_user, GOOD_YAML.encode(), "rieng.yaml")
    await admin_user.expect("Nhập 2 mục")
    assert await _count(bot) == 2
    # The same file again: everything skipped with the reason, nothing added.
    await _upload(fake_tg, admin_user, GOOD_YAML.encode(), "rieng.yaml")
    await admin_user.expect("Nhập 0 mục, bỏ qua 2", "id đã có")
    assert await _count(bot) == 2
    an = await join_member(bot, fake_tg, branch, 5302, "Trần Văn An")
    await an.send("/timkiem khiemnhuongthunghiem")
    await an.expect("Kết quả cho", "Mục thử nghiệm thứ nhất", "Tài liệu thử nghiệm của đảng bộ")
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9203, secretary_name="Vũ Minh")
    stranger = await join_member(bot, fake_tg, other, 5303, "Ngô Khách")
    await stranger.send("/timkiem khiemnhuongthunghiem")
    await stranger.expect("Không tìm thấy")


async def test_broken_upload_is_refused_with_line_and_nothing_written(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    await _upload(fake_tg, admin_user, BAD_YAML.encode(), "hong.yaml")
    refusal = await admin_user.expect("Tệp chưa được nhập")
    assert "hong.yaml, dòng 7 (id 'thu-nghiem-bon'): thiếu nguồn (source_url)" in refusal.text
    assert await _count(bot) == 0


async def test_member_upload_is_refused(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5304, "Trần Văn An")
    await _upload(fake_tg, an, GOOD_YAML.encode(), "rieng.yaml")
    await an.expect("Chỉ quản trị viên đảng bộ mới nhập được")
    assert await _count(bot) == 0


def _cli(args: list[str], db_url: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "BOT_TOKEN": "", "ADMIN_IDS": "", **extra_env}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


def test_content_check_on_shipped_library():
    done = _cli(["content", "check"], "sqlite+aiosqlite:///unused.sqlite3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Thư viện nội dung hợp lệ" in done.stdout
    assert "first repeat after " in done.stdout and " days" in done.stdout  # simulated, see choose.py


def test_cli_import_good_and_broken_file(tmp_path: Path):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    assert _cli(["admin", "create-org", "Đảng bộ thử"], db_url).returncode == 0
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD_YAML, encoding="utf-8")
    bad.write_text(BAD_YAML, encoding="utf-8")
    broken = _cli(["content", "import", str(bad), "--org", "1"], db_url)
    assert broken.returncode == 1 and "bad.yaml, dòng 7 (id 'thu-nghiem-bon'): thiếu nguồn" in broken.stdout
    ok = _cli(["content", "import", str(good), "--org", "1"], db_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Nhập 2 mục" in ok.stdout
    # Only the good file's rows exist: the broken one wrote nothing.
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        ids = sorted(r[0] for r in conn.execute("select item_id from content_item"))
    assert ids == ["thu-nghiem-hai", "thu-nghiem-mot"]


# --- #13 part 4: committee imports you can trust -------------------------------------------------------


async def test_upload_from_a_document_sharing_site_is_refused_in_vietnamese(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    await _upload(fake_tg, admin_user, SHARED_DOC_YAML.encode(), "tai-lieu.yaml")
    refusal = await admin_user.expect("Tệp chưa được nhập")
    assert "tai-lieu.yaml, dòng 9 (id 'thu-nghiem-hai'): nguồn tailieu.vn là trang chia sẻ tài liệu" in refusal.text
    assert await _count(bot) == 0  # the good first entry was not written either


async def test_upload_csv_with_an_unknown_site_names_the_csv_line(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    rows = ("id,kind,text,work,source_url,confidence\n"
            "csv-mot,quote,Mục CSV thứ nhất,Tài liệu,https://nhandan.vn/1,high\n"
            "csv-hai,quote,Mục CSV thứ hai,Tài liệu,https://blog-ca-nhan.example/2,high\n")
    await _upload(fake_tg, admin_user, rows.encode(), "bang.csv")
    refusal = await admin_user.expect("Tệp chưa được nhập")
    assert "bang.csv, dòng 3 (id 'csv-hai'): nguồn blog-ca-nhan.example không nằm trong danh sách" in refusal.text
    assert await _count(bot) == 0


def test_cli_refuses_an_unofficial_source_and_follows_the_setting(tmp_path: Path):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    assert _cli(["admin", "create-org", "Đảng bộ thử"], db_url).returncode == 0
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_YAML.replace("https://hochiminh.nhandan.vn/", "https://www.baomoi.com/"), encoding="utf-8")
    refused = _cli(["content", "import", str(good), "--org", "1"], db_url)
    assert refused.returncode == 1
    assert "good.yaml, dòng 1 (id 'thu-nghiem-mot'): nguồn www.baomoi.com là trang tổng hợp tin" in refused.stdout
    # A deployment that lists only nhandan.vn refuses the dcs.vn entry the default list would take.
    good.write_text(GOOD_YAML, encoding="utf-8")
    narrow = _cli(["content", "import", str(good), "--org", "1"], db_url,
                  CONTENT_OFFICIAL_DOMAINS="nhandan.vn")
    assert narrow.returncode == 1 and "nguồn thainguyen.dcs.vn không nằm trong danh sách" in narrow.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        assert conn.execute("select count(*) from content_item").fetchone()[0] == 0
    assert _cli(["content", "import", str(good), "--org", "1"], db_url).returncode == 0


async def test_imported_item_reaches_its_dang_bo_for_a_year_and_never_another(bot, fake_tg, branch, clock):
    """Org A imports two items: over a simulated year A's branch gets both (with "Do … bổ sung"), while
    org B's branch never gets either, and B's members see neither in the daily message nor in search."""
    from datetime import date, datetime, timedelta

    from bot.features.daily.delivery import DailyDelivery
    from tests.daily.conftest import tick_at

    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    await _upload(fake_tg, admin_user, GOOD_YAML.encode(), "rieng.yaml")
    await admin_user.expect("Nhập 2 mục")
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9203, secretary_name="Vũ Minh")
    imported = {"thu-nghiem-mot", "thu-nghiem-hai"}
    svc = bot.app.services.get(DailyDelivery)
    start = date(2026, 1, 5)
    seen_a: dict[str, date] = {}
    for n in range(365):
        day = start + timedelta(days=n)
        a = await svc.today_for_branch(branch.branch_id, day)
        b = await svc.today_for_branch(other.branch_id, day)
        assert b.item.id not in imported and b.item.owner_org_id is None and b.added_by is None, day
        if a.item.id in imported:
            seen_a.setdefault(a.item.id, day)
            assert a.added_by == "Đảng bộ xã An Bình"
    assert set(seen_a) == imported
    # On the day A's branch reads an imported item, its member gets it with the đảng bộ's line; B's does not.
    day = seen_a["thu-nghiem-mot"]
    an = await join_member(bot, fake_tg, branch, 5311, "Trần Văn An")
    khach = await join_member(bot, fake_tg, other, 5312, "Ngô Khách")
    await tick_at(bot, clock, datetime.combine(day, datetime.min.time()).replace(hour=6, minute=30))
    got = await an.expect("Học Bác mỗi ngày", "Mục thử nghiệm thứ nhất")
    lines = got.text.splitlines()
    assert "Do Đảng bộ xã An Bình bổ sung" in lines
    assert lines.index("Do Đảng bộ xã An Bình bổ sung") > next(i for i, t in enumerate(lines) if "— Hồ Chí Minh" in t)
    theirs = await khach.expect("Học Bác mỗi ngày")
    assert "Mục thử nghiệm" not in theirs.text and "bổ sung" not in theirs.text
    await khach.send("/timkiem thu nghiem")
    found = await khach.expect("Hồ Chí Minh")
    assert "Mục thử nghiệm" not in found.text


OUTLET_YAML = """\
- id: thu-nghiem-nguon
  kind: quote
  text: Mục thử nghiệm có nơi trích và tên báo
  work: Tài liệu thử nghiệm của đảng bộ
  via: sách “Tài liệu thử nghiệm”, Nxb Thử Nghiệm
  source_url: https://hochiminh.nhandan.vn/thu-nghiem-nguon
  source_outlet: Báo Thử Nghiệm
  confidence: high
"""


async def test_imported_item_keeps_its_via_and_source_outlet(bot, fake_tg, branch, clock):
    """An imported item's "Trích theo" and outlet name are stored and shown, not the site's host."""
    from datetime import date, datetime, timedelta

    from bot.features.daily.delivery import DailyDelivery
    from tests.daily.conftest import tick_at

    fake_tg.limits.enabled = False
    admin_user, _admin = await committee_admin(bot, fake_tg, branch)
    await _upload(fake_tg, admin_user, OUTLET_YAML.encode(), "nguon.yaml")
    await admin_user.expect("Nhập 1 mục")
    svc = bot.app.services.get(DailyDelivery)
    start = date(2026, 1, 5)
    days = [start + timedelta(days=n) for n in range(366)]
    day = None
    for d in days:  # the first day the branch reads the imported item
        if (await svc.today_for_branch(branch.branch_id, d)).item.id == "thu-nghiem-nguon":
            day = d
            break
    assert day is not None
    an = await join_member(bot, fake_tg, branch, 5313, "Trần Văn An")
    await tick_at(bot, clock, datetime.combine(day, datetime.min.time()).replace(hour=6, minute=30))
    got = await an.expect("Học Bác mỗi ngày", "Mục thử nghiệm có nơi trích")
    lines = got.text.splitlines()
    assert "Trích theo: sách “Tài liệu thử nghiệm”, Nxb Thử Nghiệm" in lines
    assert "Nguồn: Báo Thử Nghiệm" in lines
    assert "hochiminh.nhandan.vn" not in got.text
