"""A library with nothing to send stops start-up with one clear line (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.features.daily import catalog
from bot.features.daily.feature import FEATURE
from bot.kernel.feature import Feature, build_extensions


def _one_line(exc: pytest.ExceptionInfo[SystemExit]) -> str:
    msg = str(exc.value.code)
    assert "\n" not in msg and msg.startswith("hocbac: cannot start, content library: ")
    return msg


def test_empty_library_stops_start_up(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("[]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        catalog.check_library(tmp_path)
    assert "no shippable items" in _one_line(exc)


def test_only_held_items_stop_start_up(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        "- id: mot\n  kind: quote\n  text: Một\n  work: W\n  source_url: https://qdnd.vn/1\n"
        "  status: hold\n  hold_reason: Chưa đối chiếu\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        catalog.check_library(tmp_path)
    assert "a.yaml:1 (id 'mot'): status 'hold' is not shippable (Chưa đối chiếu)" in _one_line(exc)


def test_app_build_runs_the_daily_check(monkeypatch):
    # build_extensions is what App.create calls: the daily feature's check runs there.
    assert catalog.check_library in FEATURE.startup_checks
    monkeypatch.setattr(catalog, "shipped_items", lambda: ())
    with pytest.raises(SystemExit) as exc:
        build_extensions([FEATURE], services=None)
    assert "no shippable items" in _one_line(exc)
    monkeypatch.undo()
    assert catalog.check_library() > 300
    build_extensions([FEATURE, Feature(name="other")], services=None)
