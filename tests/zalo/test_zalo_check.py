"""`hocbac zalo check` against the fake Zalo server: getMe, the webhook against ZALO_MODE, testWebhook when
offered, and the budget lines (the plan, and this month's forecast from the database)."""

from __future__ import annotations

from bot.cli import main
from bot.commands.zalo import check_bots
from bot.config import Settings


def _settings(fake, tmp_path, bots: str, **extra) -> Settings:
    return Settings(_env_file=None, zalo_bots=bots, zalo_api_url=fake.base_url, media_dir=str(tmp_path),
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'hocbac.sqlite3'}", **extra)


async def test_check_reports_each_bot(fake, tmp_path):
    settings = _settings(fake, tmp_path, f"main={fake.token}@1;old=999:wrong-token-123456@2")
    lines, ok = await check_bots(settings)
    text = "\n".join(lines)
    assert not ok
    assert "[main]" in text and "✓ getMe: id 1234567890, name 'Bot Học Bác', plan BASIC" in text
    assert "webhook: none (polling)" in text and "ZALO_MODE=webhook" in text
    assert "[old]" in text and "✗ getMe" in text and "Zalo rejected the token of bot 'old'" in text
    assert "wrong-token" not in text
    assert "budget: plan 3000 messages a month, 50 members per bot" in text
    assert "? forecast: the database could not be read" in text and "hocbac migrate" in text  # never migrated


async def test_check_sees_a_webhook_that_polling_would_remove(fake, client, tmp_path):
    await client.set_webhook("https://bot.example.vn/zalo/webhook", "s" * 16)
    lines, ok = await check_bots(_settings(fake, tmp_path, f"main={fake.token}@1"))
    text = "\n".join(lines)
    assert ok and "https://bot.example.vn/zalo/webhook is set; polling removes it" in text
    assert "testWebhook: not offered by this API" in text


def test_cli_without_zalo_bots_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZALO_BOTS", raising=False)
    assert main(["zalo", "check"]) == 2
    assert capsys.readouterr().out.strip() == "ZALO_BOTS is empty: no Zalo bot to check (see docs/zalo.md)."
