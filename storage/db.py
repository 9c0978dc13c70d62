"""Async engine and sessions. SQLite (WAL) is the embedded default; PostgreSQL is the scale choice.

SQLite has one writer at a time. Python's sqlite3 driver starts a transaction only before the first
INSERT/UPDATE/DELETE, so a unit of work's reads ran outside it: two concurrent read-modify-writes both
read the old value and one increment was lost. Here every SQLite unit of work is one ``BEGIN IMMEDIATE``
transaction (it takes the write lock at the start, waiting under busy_timeout, so it never has to upgrade a
read snapshot, which SQLite refuses at once with "database is locked"). Inside one process the units of
work queue on an asyncio lock first, first come first served, instead of polling SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


BUSY_TIMEOUT_S = 10.0

class NestedSessionError(RuntimeError):
    """A task opened a SQLite session inside its own open session: that would deadlock."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Driver autocommit: the driver emits no BEGIN of its own; _sqlite_begin below emits ours.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets the sender and the handlers write while readers read; busy_timeout rides out short locks.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    # Deleted or overwritten rows are zeroed on disk, so erased personal text does not linger in free space.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _vacuum(sync_conn) -> None:  # type: ignore[no-untyped-def]
    # The raw driver connection: VACUUM and a checkpoint cannot run inside the BEGIN the pool would emit.
    cur = sync_conn.connection.dbapi_connection.cursor()
    try:
        cur.execute("VACUUM")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cur.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _prepare_sqlite_path(url)
            # hide_parameters: a failed statement's error (logged with its traceback) never carries the
            # values, which may be a member's name or message.
            self.engine: AsyncEngine = create_async_engine(url, echo=echo, hide_parameters=True)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            self.engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                                              pool_pre_ping=True, hide_parameters=True)
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._writer = asyncio.Lock() if self.is_sqlite else None
        self._owner: asyncio.Task | None = None  # the task holding the SQLite unit of work

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on error. On SQLite, one at a time."""
        if self._writer is None:
            async with self._unit() as session:
                yield session
            return
        me = asyncio.current_task()
        if me is not None and self._owner is me:
            raise NestedSessionError("a SQLite session was opened inside another one in the same task; "
                                     "pass the open session down instead")
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                await self._writer.acquire()
        except TimeoutError:
            raise TimeoutError(f"SQLite writer lock not free after {BUSY_TIMEOUT_S:.0f} s") from None
        self._owner = me
        try:
            async with self._unit() as session:
                yield session
        finally:
            self._owner = None
            self._writer.release()

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def compact(self) -> None:
        """SQLite, after an erasure: rebuild the file (VACUUM) and empty the WAL, so no copy of an erased
        page survives in free pages or old WAL frames. Takes the writer lock like a unit of work. PostgreSQL
        needs nothing here: its autovacuum reclaims dead rows."""
        if self._writer is None:
            return
        me = asyncio.current_task()
        if me is not None and self._owner is me:
            raise NestedSessionError("compact() runs after the unit of work, not inside it")
        async with self._writer:
            self._owner = me
            try:
                async with self.engine.connect() as conn:
                    await conn.run_sync(_vacuum)
            finally:
                self._owner = None

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
