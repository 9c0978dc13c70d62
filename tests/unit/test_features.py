"""The feature list boots only when it is consistent; a broken provider is an error with its name."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.installed import FEATURES
from bot.kernel.feature import Feature, FeatureError, build_extensions, build_registry, check_menus
from bot.kernel.routing import Router
from bot.services.extensions import Audience, ExportSheet, ExtensionError, Extensions, Figures, Tick
from bot.services.menus import all_labels

REPO = Path(__file__).resolve().parents[2]


async def _noop(*_a: object) -> None:
    return None


class _Services:
    """Enough of Services for the send-gate factories (they only look a service up)."""

    def get(self, cls: type) -> object:
        return type("Stub", (), {"gate": staticmethod(_noop)})()


def _replace(name: str, **changes: object) -> list[Feature]:
    return [dataclasses.replace(f, **changes) if f.name == name else f for f in FEATURES]


def test_the_installed_features_boot() -> None:
    registry = build_registry(FEATURES)
    check_menus(registry, all_labels())
    ext = build_extensions(FEATURES, services=_Services())
    assert {"daily", "deeds_digest", "pledges_checkin", "housekeeping", "broadcast_progress"} <= set(ext.ticks)
    assert {"all", "not_pledged", "no_deed_month", "not_acknowledged_last"} <= set(ext.audiences)
    assert {"members", "pledges", "deeds", "meetings", "notices"} <= set(ext.export_sheets)
    keys = [k for fig in ext.figures for k in fig.keys]
    assert len(keys) == len(set(keys)) and {"members", "daily_read", "deeds_reported"} <= set(keys)
    assert ext.providers.next_meeting is not None and ext.providers.pledge_items is not None
    assert len(ext.erasers) >= 3


def test_two_apps_do_not_share_registries() -> None:
    one, two = build_extensions(FEATURES, services=_Services()), build_extensions(FEATURES, services=_Services())
    one.audiences.clear()
    assert two.audiences and one.ticks is not two.ticks


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"audiences": (Audience("all", lambda: "x", _noop),)}, "audience 'all' is declared by both"),
        ({"figures": (Figures("twice", ("members",), _noop),)}, "figure key 'members'"),
        ({"export_sheets": (ExportSheet("deeds", lambda: "x", _noop),)}, "export sheet 'deeds'"),
        ({"ticks": (Tick("daily", _noop),)}, "tick 'daily'"),
        ({"providers": {"next_meeting": _noop}}, "provider 'next_meeting'"),
        ({"providers": {"weather": _noop}}, "unknown provider 'weather'"),
    ],
)
def test_a_clash_stops_the_boot_naming_both(changes: dict[str, object], message: str) -> None:
    with pytest.raises(FeatureError, match=message):
        build_extensions(_replace("linking", **changes), services=_Services())


def test_a_button_prefix_or_command_clash_stops_the_boot() -> None:
    clash = Router("clash")
    clash.command("homnay")(_noop)
    with pytest.raises(ValueError, match="homnay"):
        build_registry([*FEATURES, Feature("clash", routers=(clash,))])
    with pytest.raises(FeatureError, match="feature 'daily'"):
        build_registry([*FEATURES, Feature("daily")])


def test_a_menu_label_must_lead_to_a_declared_command() -> None:
    registry = build_registry([f for f in FEATURES if f.name != "pledges"])
    with pytest.raises(FeatureError, match="/dangky"):
        check_menus(registry, all_labels())


async def test_a_broken_figures_provider_is_an_error_with_its_name() -> None:
    async def broken(*_a: object) -> dict[str, int]:
        raise RuntimeError("boom")

    async def liar(*_a: object) -> dict[str, int]:
        return {"surprise": 1}

    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(ExtensionError, match="'broken' failed"):
        await Extensions(figures=[Figures("broken", ("x",), broken)]).branch_figures(None, None, 1, start, end)
    with pytest.raises(ExtensionError, match="'liar' returned undeclared keys"):
        await Extensions(figures=[Figures("liar", ("x",), liar)]).branch_figures(None, None, 1, start, end)


def test_no_import_time_scans_or_module_registries_remain() -> None:
    offenders = []
    for path in (REPO / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "pkgutil" in text or "iter_modules" in text:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
