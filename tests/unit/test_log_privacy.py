"""What reaches the logs: a failed SQL statement's error never carries its values (a name, a message)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database


async def test_sql_error_hides_parameters(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (name TEXT NOT NULL UNIQUE)"))
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "Nguyễn Văn Bí Mật"})
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "Nguyễn Văn Bí Mật"})
        assert "UNIQUE" in str(failed.value)
        assert "Bí Mật" not in str(failed.value)  # logged with log.exception: no personal text
    finally:
        await db.engine.dispose()
