"""The button codec: typed data packs into at most 64 bytes and parses back; garbage is one StaleButton."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

import pytest

from bot.kernel.callbacks import CallbackData, StaleButton
from bot.kernel.routing import Registry, Router


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Sample(CallbackData, prefix="t.sample"):
    item_id: int
    verdict: Literal["ok", "no"]
    day: date | None
    loud: bool
    colour: Colour
    note: str


@dataclass(frozen=True)
class Bare(CallbackData, prefix="t.bare"):
    pass


def test_round_trip() -> None:
    value = Sample(12, "ok", date(2026, 3, 2), True, Colour.BLUE, "x1")
    data = value.pack()
    assert data == "t.sample:12:ok:2026-03-02:1:blue:x1"
    assert Sample.parse(data) == value
    empty_day = Sample(1, "no", None, False, Colour.RED, "n")
    assert Sample.parse(empty_day.pack()) == empty_day
    assert Bare().pack() == "t.bare"
    assert Bare.parse("t.bare") == Bare()


@pytest.mark.parametrize("data", [
    "t.sample", "t.sample:", "t.sample:abc:ok:2026-03-02:1:red:x", "t.sample:1:maybe:2026-03-02:1:red:x",
    "t.sample:1:ok:notadate:1:red:x", "t.sample:1:ok:2026-02-30:1:red:x", "t.sample:1:ok:2026-03-02:2:red:x",
    "t.sample:1:ok:2026-03-02:1:green:x", "t.sample:1:ok:2026-03-02:1:red:", "t.sample:1:ok::1:red:x:extra",
    "t.sample:" + "9" * 59 + ":ok::1:red:x", "t.sample:-1:ok::1:red:x", "t.sample:1 :ok::1:red:x",
    "t.other:1:ok::1:red:x", "t.bare:1", "",
])
def test_garbage_is_stale(data: str) -> None:
    with pytest.raises(StaleButton):
        (Bare if data.startswith("t.bare") else Sample).parse(data)


def test_pack_refuses_what_could_not_parse_back() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Sample(1, "ok", None, True, Colour.RED, "x" * 60).pack()
    with pytest.raises(ValueError, match="contains"):
        Sample(1, "ok", None, True, Colour.RED, "a:b").pack()
    with pytest.raises(ValueError):
        Sample(-5, "ok", None, True, Colour.RED, "a").pack()
    with pytest.raises(ValueError):
        Sample(1, "maybe", None, True, Colour.RED, "a").pack()  # type: ignore[arg-type]


def test_prefix_clash_stops_the_boot() -> None:
    @dataclass(frozen=True)
    class Twin(CallbackData, prefix="t.bare"):
        pass

    one, two = Router("one"), Router("two")

    async def handler(ctx: object, data: object) -> None: ...

    one.button(Bare)(handler)
    two.button(Twin)(handler)
    with pytest.raises(ValueError, match="registered twice"):
        Registry([one, two])
    with pytest.raises(ValueError, match="bad button prefix"):
        class Colon(CallbackData, prefix="a:b"):
            pass
