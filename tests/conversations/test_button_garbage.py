"""Decoding button data is total: garbage in any field of any registered kind, pressed as a real button,
gets the one "Nút này không còn hiệu lực" answer and never an ERROR or a traceback in the log.

The kinds come from the App's registry (every feature's ``callbacks.py``), not from a list kept here, and
the garbage is made per field type, so a new kind or field is covered without touching this file.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import typing
from datetime import date
from typing import Any, Literal

from bot.kernel.callbacks import SEP, CallbackData, StaleButton, _fields, _optional
from bot.messages import MAX_CALLBACK_BYTES
from tests.conftest import join_member

STALE = "không còn hiệu lực"
APOLOGY = "sự cố"

# A 59-digit id (overflows any SQL integer), int64's bounds and past them, negatives, unicode digits.
BAD_INTS = ["abc", "9" * 59, str(2**63), str(2**63 - 1), str(2**31), "-1", "-0", "+1", "1.5", "1e3", "0x1f",
            " 1", "١٢", "１２", "²", "1_000", "nan"]
BAD_DATES = ["notadate", "1999-12-31", "2100-01-01", "2026-13-01", "2026-02-30", "0001-01-01", "9999-12-31",
             "20260302", "2026-3-2", "２０２６-03-02", "2026-03-02T00:00", "-2026-03-02"]
BAD_BOOLS = ["2", "yes", "true", "-1", "01", "١", "\ud800"]
BAD_CHOICES = ["nope", "OK", " ok", "ok ", "ö", "\u200b", "None", "💥", "\ud800"]
# A str field holds a token (a draft's nonce): a well-formed token that matches nothing is the handler's
# business; anything that is not a token is the codec's.
BAD_TOKENS = [" x", "x y", "ö", "\u200b", "💥", "x\n", "\ud800", "x" * 65, "<b>"]


def _valid(kind: Any) -> str:
    inner, _opt = _optional(kind)
    if inner is int:
        return "1"
    if inner is bool:
        return "1"
    if inner is date:
        return "2026-03-02"
    if typing.get_origin(inner) is Literal:
        return str(typing.get_args(inner)[0])
    if inner is str:
        return "a1b2c3"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return str(next(iter(inner)).value)
    return "x"


def _bad(kind: Any) -> list[str]:
    inner, optional = _optional(kind)
    values = {int: BAD_INTS, date: BAD_DATES, bool: BAD_BOOLS, str: BAD_TOKENS}.get(inner, BAD_CHOICES)
    return [*values, *([] if optional else [""])]


def field_garbage(cls: type[CallbackData]) -> list[str]:
    """Each field in turn replaced by every garbage value of its type (the others kept valid)."""
    fields = _fields(cls)
    valid = [_valid(kind) for _f, kind in fields]
    return [SEP.join([cls.prefix, *valid[:i], bad, *valid[i + 1:]])
            for i, (_f, kind) in enumerate(fields) for bad in _bad(kind)]


def shape_garbage(cls: type[CallbackData]) -> list[str]:
    """Wrong field counts, extra colons, trailing unicode and over-long data."""
    fields = _fields(cls)
    valid = [_valid(kind) for _f, kind in fields]
    p = cls.prefix
    good = SEP.join([p, *valid]) if valid else p
    out = [
        good + SEP,  # an extra empty field
        good + SEP + "1",  # an extra field
        good + SEP * 3,
        p + SEP * (len(fields) + 2),
        good + "é",
        good + " ",
        good + "\n",
        good + "\ud800",  # a lone surrogate: JSON allows it, UTF-8 does not
        good + SEP + "x" * 80,  # over 64 bytes
        good + "9" * (MAX_CALLBACK_BYTES + 1 - len(good)),  # one byte over
    ]
    if fields:
        out.append(p)  # no fields at all
        out.append(SEP.join([p, *valid[:-1]]))  # one field missing
    return out


def garbage_for(cls: type[CallbackData]) -> list[str]:
    return list(dict.fromkeys([*field_garbage(cls), *shape_garbage(cls)]))


def sample_for(cls: type[CallbackData], n: int) -> list[str]:
    """A few of ``garbage_for`` for the chat test (the codec test takes them all): rotating with the kind's
    place ``n``, so across the ~70 kinds every garbage value of every type is pressed somewhere."""
    by_field = field_garbage(cls)
    shapes = shape_garbage(cls)
    picks = [shapes[n % len(shapes)], shapes[(n + 5) % len(shapes)]]
    if by_field:
        picks += [by_field[(3 * n) % len(by_field)], by_field[(3 * n + 1) % len(by_field)]]
    return list(dict.fromkeys(picks))


def test_garbage_generator_is_refused_by_the_codec_for_every_kind():
    """The codec alone (no bot) refuses every garbage variant: decoding is total."""
    from bot.installed import FEATURES
    from bot.kernel.feature import build_registry

    registry = build_registry(FEATURES)
    kinds = [spec.kind for spec in registry.buttons.values()]
    assert len(kinds) >= 50
    accepted = []
    for cls in kinds:
        for data in garbage_for(cls):
            try:
                cls.parse(data)
            except StaleButton:
                continue
            except Exception as exc:  # anything but StaleButton is a hole in the codec
                accepted.append((data, type(exc).__name__))
                continue
            accepted.append((data, "parsed"))
    assert accepted == []


def test_valid_data_still_round_trips():
    from bot.installed import FEATURES
    from bot.kernel.feature import build_registry

    for spec in build_registry(FEATURES).buttons.values():
        cls = spec.kind
        data = SEP.join([cls.prefix, *(_valid(k) for _f, k in _fields(cls))]) if _fields(cls) else cls.prefix
        assert cls.parse(data).pack() == data


async def test_every_registered_prefix_refuses_garbage_presses(bot, fake_tg, branch, caplog):
    assert bot.app is not None
    fake_tg.limits.enabled = False  # hundreds of presses in one chat; flood limits are tested elsewhere
    kinds = [spec.kind for spec in bot.app.registry.buttons.values()]
    assert len(kinds) >= 50
    an = await join_member(bot, fake_tg, branch, 5311, "Trần Văn An")
    await an.send("/toi")
    own = await an.expect("Trần Văn An")
    before = len(fake_tg.messages_for(an.id))
    pressed: list[str] = []
    wrong: list[tuple[str, str]] = []
    with caplog.at_level(logging.INFO):
        for n, cls in enumerate(kinds):
            for data in sample_for(cls, n):
                await an.press_data(data, own)
                answer_msg = await an.expect(STALE)
                pressed.append(data)
                popup = list(fake_tg.callback_answers.values())[-1].get("text") or ""
                if popup:  # one feedback per tap: the message, not a pop-up as well
                    wrong.append((data, popup))
                if APOLOGY in answer_msg.text:
                    wrong.append((data, answer_msg.text))
    answers = fake_tg.messages_for(an.id)[before:]
    assert len(pressed) >= 3 * len(kinds)
    assert wrong == []
    # Exactly one answer per press, each the stale one (no apology slipped in between).
    assert [STALE in m.text for m in answers] == [True] * len(pressed)
    # The bot's own loggers: an earlier test's leaked aiohttp session garbage-collected here is not ours.
    errors = [r for r in caplog.records if (r.levelno >= logging.ERROR or r.exc_info)
              and r.name.startswith(("hocbac", "aiogram"))]
    assert not errors, [r.getMessage() for r in errors][:5]
    assert sum("stale button" in r.getMessage() for r in caplog.records) == len(pressed)


def test_field_introspection_matches_dataclasses():
    """The walk above reads the codec's own field table; make sure it is the dataclass's."""
    from bot.features.onboarding.callbacks import JoinDecision

    assert [f.name for f, _k in _fields(JoinDecision)] == [f.name for f in dataclasses.fields(JoinDecision)]
