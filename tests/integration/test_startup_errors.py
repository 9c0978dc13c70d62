"""A setting that parses but does not work stops `hocbac run|web|worker|admin` with one line, no trace.

README: "A wrong setting stops start-up with one line naming the key". Before, PostgreSQL down, a missing
database, an unreachable Bot API or a rejected token printed 40-190 lines of traceback.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from bot.devtools.emulator import FakeTelegram

REPO = Path(__file__).resolve().parents[2]
SECRET = "startup-secret_0123456789abcdefABCDEF"
COMMANDS = {"run": ["run"], "web": ["web", "--port", "0"], "worker": ["worker"], "admin": ["admin", "list"]}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "DATABASE_", "REDIS_", "ADMIN_", "TELEGRAM_", "WEBHOOK_", "ZALO_"))}
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONPATH": str(REPO),
                "BOT_TOKEN": "4242:made-up-token", "WEBHOOK_SECRET": SECRET, "MEDIA_DIR": str(tmp_path / "media")})
    env.update(extra)
    return env


async def _hocbac(tmp_path: Path, command: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *COMMANDS[command], cwd=tmp_path,
                                                env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"hocbac {command} kept running instead of stopping on the bad setting")
    return proc.returncode or 0, err.decode()


def _assert_one_line(code: int, stderr: str, key: str, hint: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert key in lines[0] and hint in lines[0], lines[0]


@pytest.fixture
async def telegram_url():
    """A working (fake) Bot API, so the database and Redis checks are the ones that speak."""
    async with FakeTelegram() as fake:
        yield fake.base_url


@pytest.mark.parametrize("command", ["run", "web", "worker", "admin"])
async def test_postgres_down_is_one_line(tmp_path, telegram_url, command):
    env = _env(tmp_path, DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/postgres",
               TELEGRAM_API_URL=telegram_url)
    code, err = await _hocbac(tmp_path, command, env)
    _assert_one_line(code, err, "DATABASE_URL", "Start PostgreSQL")


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["run", "web", "worker", "admin"])
async def test_missing_database_is_one_line(tmp_path, telegram_url, pg_url, command):
    missing = pg_url.rsplit("/", 1)[0] + "/does_not_exist_hocbac"  # the server runs; this database does not
    env = _env(tmp_path, DATABASE_URL=missing, TELEGRAM_API_URL=telegram_url)
    code, err = await _hocbac(tmp_path, command, env)
    _assert_one_line(code, err, "DATABASE_URL", "createdb")
    assert "does_not_exist_hocbac" in err


@pytest.mark.parametrize("command", ["run", "web", "worker", "admin"])
async def test_redis_down_is_one_line(tmp_path, telegram_url, command):
    env = _env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", TELEGRAM_API_URL=telegram_url)
    code, err = await _hocbac(tmp_path, command, env)
    _assert_one_line(code, err, "REDIS_URL", "Start Redis")


@pytest.mark.parametrize("command", ["run", "web", "worker"])
async def test_telegram_unreachable_is_one_line(tmp_path, command):
    code, err = await _hocbac(tmp_path, command, _env(tmp_path, TELEGRAM_API_URL=f"http://127.0.0.1:{closed_port()}"))
    _assert_one_line(code, err, "TELEGRAM_API_URL", "api.telegram.org")


@pytest.mark.parametrize("command", ["run", "web", "worker"])
async def test_rejected_token_is_one_line(tmp_path, command):
    async with FakeTelegram() as fake:
        fake.fail_next("getMe", 401, "Unauthorized")
        code, err = await _hocbac(tmp_path, command, _env(tmp_path, TELEGRAM_API_URL=fake.base_url))
    _assert_one_line(code, err, "BOT_TOKEN", "@BotFather")
    assert "made-up-token" not in err  # the token itself is never printed
