"""Every button kind refuses garbage the same way: "Nút này không còn hiệu lực", and no error in the log."""

from __future__ import annotations

import dataclasses
import logging

from bot.features.onboarding.callbacks import JoinDecision
from bot.kernel.callbacks import CallbackData, StaleButton
from bot.messages import MAX_CALLBACK_BYTES
from tests.conftest import join_member

STALE = "không còn hiệu lực"


def garbage_for(kind: type[CallbackData]) -> list[str]:
    """Malformed data for one kind: missing, non-numeric, bad date, a 59-digit id, extra and empty fields."""
    p = kind.prefix
    n = len(dataclasses.fields(kind))  # type: ignore[arg-type]
    long_id = "9" * 59
    candidates = [
        p,
        f"{p}:abc",
        f"{p}:1:notadate",
        f"{p}:{long_id}"[:MAX_CALLBACK_BYTES],  # within Telegram's 64 bytes, still over 18 digits
        p + ":1" * (n + 1),  # one field too many
        p + ":" * n if n else f"{p}:",  # every field empty
    ]
    garbage = []
    for data in dict.fromkeys(candidates):
        try:
            kind.parse(data)
        except StaleButton:
            garbage.append(data)
    return garbage


async def test_every_button_kind_refuses_garbage_politely(bot, fake_tg, branch, caplog):
    assert bot.app is not None
    fake_tg.limits.enabled = False  # hundreds of presses in one chat; flood limits are tested elsewhere
    kinds = [spec.kind for spec in bot.app.registry.buttons.values()]
    assert len(kinds) >= 50  # every feature's buttons are registered by kind
    an = await join_member(bot, fake_tg, branch, 5301, "Trần Văn An")
    await an.send("/toi")
    own = await an.expect("Trần Văn An")
    pressed = 0
    with caplog.at_level(logging.INFO):
        for kind in kinds:
            payloads = garbage_for(kind)
            assert len(payloads) >= 3, (kind, payloads)
            for data in [*payloads, "nosuchkind:1", "::::"]:
                await an.press_data(data, own)
                await an.expect(STALE)
                answer = list(fake_tg.callback_answers.values())[-1]
                assert answer["text"] == "", (data, answer)  # one feedback per tap: no pop-up as well
                pressed += 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]
    assert sum("stale button" in r.getMessage() for r in caplog.records) == pressed


async def test_join_request_buttons_built_by_the_org_service_parse(bot, fake_tg, branch):
    other = fake_tg.user(5302, "Lê Thị Bình")
    await other.send(f"/start {await branch.join_code(bot)}")
    await other.expect("đã được gửi tới bí thư")
    request = await branch.secretary.expect("xin tham gia")
    decisions = [JoinDecision.parse(data) for _label, data in request.button_data]
    assert [d.verdict for d in decisions] == ["ok", "no"]
    assert decisions[0].membership_id == decisions[1].membership_id > 0
