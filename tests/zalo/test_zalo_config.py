"""ZALO_BOTS and the other Zalo settings: parsed, validated, one clear line on mistakes."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.features.linking.service import normalize_link_code


def test_zalo_bots_parse_and_bindings():
    s = Settings(_env_file=None, zalo_bots=" main=123:abcdefgh@1,2 ; Xa2=456:zz_zz-9@3;")
    assert [(b.key, b.branch_ids) for b in s.zalo_bots] == [("main", (1, 2)), ("xa2", (3,))]
    assert s.zalo_bot_for_branch(2).key == "main" and s.zalo_bot_for_branch(9) is None
    assert "abcdefgh" not in repr(s.zalo_bots)  # the token never shows in a repr or a log


def test_a_branch_may_have_a_second_bot_and_plans_per_bot():
    s = load_settings(_env_file=None, zalo_bots="a=1:abcd@1;b=2:efgh@1,2", zalo_bot_plans="b=6000/100")
    assert s.zalo_bot_for_branch(1).key == "a"  # the first listed is the branch's main bot
    assert [b.key for b in s.zalo_bots_for_branch(1)] == ["a", "b"]
    assert s.zalo_plan("a") == (3000, 50) and s.zalo_plan("b") == (6000, 100)


def test_bad_plan_is_one_line(capsys):
    with pytest.raises(ConfigError):
        load_settings(_env_file=None, zalo_bot_plans="b=lots")
    assert "ZALO_BOT_PLANS" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "says"), [
    ("main=123:abcdefgh", "expected key="),
    ("main=tokenonly@1", "<bot_id>:<secret>"),
    ("a=1:abcd@x", "expected key="),
    ("a=1:abcd@1;a=2:efgh@2", "listed twice"),
])
def test_zalo_bots_errors_are_one_line(value, says, capsys):
    with pytest.raises(ConfigError):
        load_settings(_env_file=None, zalo_bots=value)
    err = capsys.readouterr().err.strip()
    assert err.startswith("Cấu hình sai / bad setting ZALO_BOTS:") and says in err and "\n" not in err
    assert "abcd" not in err and "efgh" not in err  # no token in the message


def test_public_url_needs_a_link_secret_and_webhook_needs_its_settings(capsys):
    with pytest.raises(ConfigError):
        load_settings(_env_file=None, public_base_url="https://hocbac.example.vn")
    assert "MEDIA_LINK_SECRET" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        load_settings(_env_file=None, zalo_bots="m=1:abcd@1", zalo_mode="webhook")
    assert "PUBLIC_BASE_URL" in capsys.readouterr().err
    ok = load_settings(_env_file=None, zalo_bots="m=1:abcd@1", zalo_mode="webhook",
                       public_base_url="https://x.vn/", media_link_secret="s" * 20,
                       zalo_webhook_secret="w" * 20)
    assert ok.public_base_url == "https://x.vn" and ok.zalo_monthly_quota == 3000


@pytest.mark.parametrize(("typed", "code"), [
    ("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456"),
    ("12345", None), ("1234567", None), ("12a456", None),
])
def test_link_code_typing(typed, code):
    assert normalize_link_code(typed) == code
