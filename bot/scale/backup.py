"""SQLite online backup and restore (PostgreSQL: pg_dump, see docs/scale.md).

The sqlite3 backup API copies a consistent snapshot page by page while the bot keeps running (WAL
readers and writers are not blocked for long). Restore copies a backup back the same way, after
checking it is a hocbac database that passes SQLite's integrity check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine.url import make_url


class BackupError(RuntimeError):
    pass


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        raise BackupError("hocbac backup works on SQLite files; for PostgreSQL use pg_dump (docs/scale.md)")
    return Path(url.database).expanduser()


def _copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst, timeout=30)
    try:
        with target:
            source.backup(target, pages=1024)
    finally:
        target.close()
        source.close()


def check(path: Path) -> int:
    """Integrity check; returns the number of people (so a restore can be sanity-checked)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: not an SQLite database ({exc})") from None
        if ok != "ok":
            raise BackupError(f"{path}: integrity check failed: {ok}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "person" not in tables or "alembic_version" not in tables:
            raise BackupError(f"{path}: not a hocbac database")
        return int(conn.execute("SELECT count(*) FROM person").fetchone()[0])
    finally:
        conn.close()


def backup(database_url: str, dest: Path) -> int:
    src = sqlite_path(database_url)
    if not src.is_file():
        raise BackupError(f"{src}: no database file")
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    _copy(src, tmp)
    people = check(tmp)
    tmp.rename(dest)
    return people


def restore(database_url: str, source: Path) -> int:
    """Restore ``source`` over the configured database. Stop the bot first."""
    people = check(Path(source))
    dst = sqlite_path(database_url)
    dst.parent.mkdir(parents=True, exist_ok=True)
    _copy(Path(source), dst)
    return people
