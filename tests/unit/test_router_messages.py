"""The typed-message router on its labelled list (tests/data/router_messages.yaml, issue #20): at least 95%
routed right, and no message labelled as a command is ever taken for a good deed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.installed import FEATURES
from bot.kernel.feature import build_registry
from bot.kernel.intent import read_intent
from bot.kernel.routing import Registry, Router

DATA = Path(__file__).resolve().parents[1] / "data" / "router_messages.yaml"
ROWS = yaml.safe_load(DATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(FEATURES)


def test_the_list_is_large_and_covers_every_route() -> None:
    assert len(ROWS) >= 200
    routes = {row["route"].split(":")[0] for row in ROWS}
    assert routes == {"command", "code", "courtesy", "deed", "other"}
    assert sum(row["route"].startswith("command:") for row in ROWS) >= 50


def test_labelled_commands_exist(registry: Registry) -> None:
    names = {spec.name for spec in registry.unique_commands()}
    unknown = {row["route"] for row in ROWS if row["route"].startswith("command:")} - {f"command:{n}" for n in names}
    assert not unknown


def test_at_least_95_percent_right_and_no_command_taken_for_a_deed(registry: Registry) -> None:
    wrong: list[str] = []
    commands_as_deeds: list[str] = []
    for row in ROWS:
        intent = read_intent(row["text"], registry.typed)
        if intent.label != row["route"] or ("args" in row and intent.args != str(row["args"])):
            wrong.append(f"{row['text']!r}: want {row['route']} {row.get('args', '')}, got {intent}")
        if row["route"].startswith("command:") and intent.kind == "deed":
            commands_as_deeds.append(row["text"])
    assert not commands_as_deeds
    assert 1 - len(wrong) / len(ROWS) >= 0.95, "\n".join(wrong)


def test_a_phrase_declared_by_two_commands_stops_the_boot() -> None:
    async def noop(ctx) -> None:  # type: ignore[no-untyped-def]
        return None

    a, b = Router("a"), Router("b")
    a.command("timkiem", phrases=("tim",))(noop)
    b.command("timnguoi", phrases=("tìm",))(noop)
    with pytest.raises(ValueError, match="tim"):
        Registry([a, b])
