"""Several Telegram bots in `hocbac web` (one webhook path per bot, `set-webhook` for all) and at start-up (a
rejected token of one bot stops start-up with one line naming its key)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.compose import build
from bot.config import StartupError, load_settings, parse_telegram_bots
from bot.runtime import set_webhook
from storage.models.people import Identity
from tests.scale.conftest import SECRET, start_node

TOKEN_B = "700002:TEST-token-of-huyen-b"


async def test_each_bot_has_its_webhook_path_and_replies_through_itself(settings, fake_tg):
    fake_b = await fake_tg.add_bot(TOKEN_B, "hocbac_huyen_b_bot")
    multi = settings.model_copy(update={"webhook_secret": SecretStr(SECRET), "tick_seconds": 3600,
                                        "telegram_bots": parse_telegram_bots(f"huyen_b={TOKEN_B}@2")})
    node = await start_node(multi)
    try:
        urls = await set_webhook(multi.model_copy(update={"webhook_url": node.base}))
        assert urls == f"{node.hook_url}, {node.hook_url}/huyen_b"
        assert fake_tg.webhook["url"] == node.hook_url and fake_b.webhook["url"] == f"{node.hook_url}/huyen_b"
        an = fake_b.user(7101, "Trần Văn An")
        await an.send("/start")
        await an.expect("Chào mừng")
        assert fake_tg.messages_for(7101) == []  # the default bot never saw this chat
        binh = fake_tg.user(7102, "Lê Văn Bình")
        await binh.send("/start")
        await binh.expect("Chào mừng")
        assert fake_b.messages_for(7102) == []
        async with node.app.db.session() as s:
            bots = dict((await s.execute(select(Identity.external_id, Identity.bot))).all())
        assert bots == {"7101": "huyen_b", "7102": ""}
    finally:
        await node.stop()


async def test_a_rejected_token_of_one_bot_stops_start_up_naming_its_key(settings, fake_tg):
    fake_b = await fake_tg.add_bot(TOKEN_B, "hocbac_huyen_b_bot")
    fake_b.fail_next("getMe", 401, "Unauthorized")
    multi = settings.model_copy(update={"telegram_bots": parse_telegram_bots(f"huyen_b={TOKEN_B}@2")})
    with pytest.raises(StartupError) as err:
        await build(multi, mode="single")
    assert "TELEGRAM_BOTS (huyen_b)" in err.value.line and "401" in err.value.line
    assert TOKEN_B not in err.value.line


@pytest.mark.parametrize(("value", "says"), [
    ("huyen_b=700002:abc", "expected key="),
    ("huyen_b=notatoken@2", "should look like"),
    ("a=700001:abcd@1; b=700002:abcd@1", "bound to both"),
    ("a=700001:abcd@1; a=700002:abcd@2", "listed twice"),
])
def test_bad_telegram_bots_is_one_line(value, says, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOTS", value)
    with pytest.raises(SystemExit):
        load_settings(_env_file=None)
    err = capsys.readouterr().err
    assert "TELEGRAM_BOTS" in err and says in err and ":abcd" not in err  # never the token


def test_telegram_bots_parse_and_bind():
    bots = parse_telegram_bots("huyen_a=700001:AAE-a@1 ; huyen_b=700002:AAE-b@2,3;")
    assert [(b.key, b.org_ids) for b in bots] == [("huyen_a", (1,)), ("huyen_b", (2, 3))]
    assert "AAE" not in repr(bots)
    settings = load_settings(_env_file=None, telegram_bots=bots)
    assert settings.telegram_bot_key(3) == "huyen_b" and settings.telegram_bot_key(9) == ""
    assert settings.telegram_bot_for_org(None) is None


async def test_the_fake_serves_each_bot_apart(fake_tg):
    """FakeTelegram.add_bot: getMe, updates and sent messages per bot (the token's bot id)."""
    from bot.channels.telegram.channel import TelegramChannel, make_bot

    fake_b = await fake_tg.add_bot(TOKEN_B, "hocbac_huyen_b_bot")
    default = TelegramChannel(make_bot("123456:TEST-token-for-the-fake-server", fake_tg.base_url))
    other = TelegramChannel(make_bot(TOKEN_B, fake_tg.base_url), bot_key="huyen_b")
    try:
        await default.start()
        await other.start()
        assert (default.username, other.username) == ("hocbac_test_bot", "hocbac_huyen_b_bot")
        fake_tg.add_chat(7201)
        fake_b.add_chat(7201)
        await other.bot.send_message(7201, "qua bot B")
        assert [m.text for m in fake_b.messages_for(7201)] == ["qua bot B"]
        assert fake_tg.messages_for(7201) == []
        await fake_b.user(7202, "An").send("/start")
        assert await other.bot.get_updates(timeout=0) and not await default.bot.get_updates(timeout=0)
    finally:
        await default.bot.session.close()
        await other.bot.session.close()


async def test_telegram_bots_alone_without_bot_token(settings, clock, fake_tg):
    from bot.devtools.harness import BotHarness

    fake_b = await fake_tg.add_bot(TOKEN_B, "hocbac_huyen_b_bot")
    only = settings.model_copy(update={"bot_token": None,
                                       "telegram_bots": parse_telegram_bots(f"huyen_b={TOKEN_B}@1")})
    async with BotHarness(only, clock) as harness:
        assert set(harness.telegrams) == {"huyen_b"} and harness.channel is None
        an = fake_b.user(7301, "Trần Văn An")
        await an.send("/start")
        await an.expect("Chào mừng")
    assert fake_tg.stats["getUpdates"] == 0  # no default bot was polled
