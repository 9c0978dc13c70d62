"""Zalo in webhook mode end to end: ZaloRuntime registers the webhook, FakeZalo POSTs updates to it, and
the member flows run as in polling mode. The web server binds port 0 first; the fake's webhook is then
pointed at the bound address (the way the kit points media links at it)."""

from __future__ import annotations

import pytest

from bot.channels.zalo.runtime import WEBHOOK_PATH, webhook_secret

ZALO = pytest.mark.parametrize("channel", ["zalo"])
SECRET = "webhook-master-secret-0123456789"


@pytest.fixture
def kit_extra():
    return {"zalo_mode": "webhook", "zalo_webhook_secret": SECRET}


@pytest.fixture
async def hooked(kit):
    runtime = kit.bot.zalo
    client = runtime.channels["main"].client
    info = await client.get_webhook_info()  # what the runtime registered at start
    assert info["url"] == f"{kit.bot.settings.public_base_url}{WEBHOOK_PATH}"
    await client.set_webhook(runtime.local_url + WEBHOOK_PATH, webhook_secret(kit.bot.settings, "main"))
    return kit


@ZALO
async def test_member_flow_through_the_webhook(hooked, fake_tg):
    kit = hooked
    fake_tg.limits.enabled = False
    an = await kit.join("5601", "Trần Văn An")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Trần Văn Ân")
    await an.expect("Trần Văn Ân")
    await an.press("Đồng ý")  # types the number
    await an.expect("Tên của đồng chí bây giờ là", "Trần Văn Ân")
    # Every update went through the webhook (none was queued for polling) and was accepted.
    assert len(kit.zalo.webhook_statuses) == len(kit.zalo.injected) == 4  # code, /doiten, name, "1"
    assert set(kit.zalo.webhook_statuses) == {200}


@ZALO
async def test_webhook_refuses_a_wrong_secret_and_drops_repeats(hooked, fake_tg):
    kit = hooked
    fake_tg.limits.enabled = False
    an = await kit.join("5602", "Trần Văn An")
    kit.zalo.webhook_secret_override = "not-the-secret-at-all"
    await an.send("/toi")
    assert kit.zalo.webhook_statuses[-1] == 403
    await an.expect_nothing(within=0.3)
    kit.zalo.webhook_secret_override = None
    kit.zalo.webhook_wrapped = False  # a bare update body is accepted too
    await an.send("/toi")
    await an.expect("👤", "Trần Văn An")
    await kit.zalo.inject_raw(kit.zalo.injected[-1])  # the same message_id again
    await an.expect_nothing(within=0.3)
