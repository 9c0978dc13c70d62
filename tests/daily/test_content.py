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
  source_url: https://example.org/thu-nghiem-1
  themes: [hoc-tap]
- id: thu-nghiem-hai
  kind: quote
  text: Mục thử nghiệm thứ hai về tinh thần tự học
  citation: Tài liệu thử nghiệm, tr.2
  source_url: https://example.org/thu-nghiem-2
"""

BAD_YAML = """\
- id: thu-nghiem-ba
  kind: quote
  text: Mục thử nghiệm thứ ba
  work: Tài liệu thử nghiệm
  source_url: https://example.org/thu-nghiem-3
- id: thu-nghiem-bon
  kind: quote
  text: Mục thử nghiệm thứ tư, thiếu nguồn
  work: Tài liệu thử nghiệm
"""


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
    await an.expect("Vui lòng gõ từ khóa")
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
    assert "hong.yaml:6" in refusal.text and "source_url" in refusal.text
    assert await _count(bot) == 0


async def test_member_upload_is_refused(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5304, "Trần Văn An")
    await _upload(fake_tg, an, GOOD_YAML.encode(), "rieng.yaml")
    await an.expect("Chỉ quản trị viên của cấp ủy mới nhập được")
    assert await _count(bot) == 0


def _cli(args: list[str], db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "BOT_TOKEN": "", "ADMIN_IDS": ""}
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
    assert broken.returncode == 1 and "bad.yaml:6" in broken.stdout and "source_url" in broken.stdout
    ok = _cli(["content", "import", str(good), "--org", "1"], db_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Nhập 2 mục" in ok.stdout
    # Only the good file's rows exist: the broken one wrote nothing.
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        ids = sorted(r[0] for r in conn.execute("select item_id from content_item"))
    assert ids == ["thu-nghiem-hai", "thu-nghiem-mot"]
