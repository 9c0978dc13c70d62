"""`hocbac backup` / `restore`: a consistent online SQLite copy, restored and checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.messages import UserRef
from bot.scale.backup import BackupError, backup, restore
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID

REPO = Path(__file__).resolve().parents[2]


async def _orgs(app: App) -> list[str]:
    return [o.name for o in await app.services.get(OrgService).list_orgs()]


async def test_backup_while_running_then_restore(settings, clock, tmp_path):
    app = await App.create(settings, clock=clock)
    try:
        admin = await app.services.get(IdentityService).resolve(
            UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
        org = app.services.get(OrgService)
        await org.create_org(admin, "Đảng bộ trước sao lưu")
        # The bot keeps its connections open (and WAL pages unmerged) while the copy is made.
        people = backup(settings.database_url, tmp_path / "b" / "hocbac-backup.sqlite3")
        assert people == 1
        with pytest.raises(BackupError):
            backup(settings.database_url, tmp_path / "b" / "hocbac-backup.sqlite3")  # never overwrites
        await org.create_org(admin, "Đảng bộ sau sao lưu")
        assert await _orgs(app) == ["Đảng bộ trước sao lưu", "Đảng bộ sau sao lưu"]
    finally:
        await app.close()
    restore(settings.database_url, tmp_path / "b" / "hocbac-backup.sqlite3")
    app = await App.create(settings, clock=clock)
    try:
        assert await _orgs(app) == ["Đảng bộ trước sao lưu"]
    finally:
        await app.close()


def test_restore_refuses_a_file_that_is_not_a_hocbac_database(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", junk)
    with pytest.raises(BackupError):
        backup("postgresql+asyncpg://u@h/db", tmp_path / "y")


def test_backup_command_line(tmp_path):
    db = tmp_path / "live.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "BOT_TOKEN": "", "REDIS_URL": ""}
    run = lambda *args: subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    assert run("migrate").returncode == 0
    out = run("backup", str(tmp_path / "copy.sqlite3"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "copy.sqlite3").is_file()
    assert run("restore", str(tmp_path / "copy.sqlite3")).returncode == 2  # needs --yes
    out = run("restore", str(tmp_path / "copy.sqlite3"), "--yes")
    assert out.returncode == 0, out.stderr
