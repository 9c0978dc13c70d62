"""The shipped library: passes the check, and every quote is verbatim from the shared verified file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from bot.content.cli import check_main
from bot.content.loader import LIBRARY_DIR, load_library
from bot.content.tools import import_verified
from bot.content.tools.import_verified import HELD, LOW_CONFIRMED, shared_dir


@pytest.fixture(scope="module")
def shared_items() -> dict[str, dict]:
    base = shared_dir()
    path = base / import_verified.SHARED_FILE if base else None
    if path is None or not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("shared/content/hcm-quotes-verified.yaml is missing (CI must have shared/)")
        pytest.skip("shared/ not present (set HOCBAC_SHARED_DIR)")
    return {e["id"]: e for e in yaml.safe_load(path.read_text(encoding="utf-8"))}


def test_check_passes(capsys):
    assert check_main() == 0
    out = capsys.readouterr().out
    assert re.match(r"Thư viện nội dung hợp lệ: \d+ mục \(nguồn: ", out)


def test_count_matches_high_medium_plus_confirmed_low(shared_items):
    lib = load_library()
    wanted = {
        i for i, e in shared_items.items()
        if (e["confidence"] in ("high", "medium") or i in LOW_CONFIRMED) and i not in HELD
    }
    assert {i.id for i in lib.all()} == wanted
    assert len(lib) == len(wanted)
    for item in lib.all():
        if item.confidence == "low":
            assert item.also_seen and LOW_CONFIRMED[item.id][0] in item.also_seen


def test_every_item_is_verbatim_and_sourced(shared_items):
    for item in load_library().all():
        src = shared_items[item.id]
        assert item.source_url.startswith(("http://", "https://"))
        assert item.work or item.citation
        assert item.text == src["text"]  # verbatim, not normalised
        assert item.work == src["work"] and item.citation == src["citation"]
        assert item.date == src["date"] and item.source_url == src["source_url"]
        assert list(item.themes) == src["theme"]
        assert item.owner_org_id is None


def test_low_confidence_record_lists_every_low_item(shared_items):
    record = (LIBRARY_DIR / "LOW_CONFIDENCE.md").read_text(encoding="utf-8")
    for item_id, entry in shared_items.items():
        if entry["confidence"] == "low":
            assert f"`{item_id}`" in record


def test_import_script_reproduces_files(shared_items):
    # The committed files are exactly what the script builds from the shared YAML.
    assert import_verified.main(["--check"]) == 0


def test_check_reports_bad_library(tmp_path: Path, capsys):
    (tmp_path / "a.yaml").write_text("- id: x\n  kind: quote\n  text: abc\n  work: W\n", encoding="utf-8")
    assert check_main(tmp_path) == 1
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and "a.yaml:1" in out and "'x'" in out and "source_url" in out


def test_every_held_low_item_records_what_was_searched(shared_items):
    # A held low item must say what was looked up and found, never "not looked up".
    held_low = [i for i, e in shared_items.items() if e["confidence"] == "low" and i not in LOW_CONFIRMED]
    assert held_low
    assert [i for i in held_low if i not in import_verified.LOW_NOT_FOUND] == []
    record = (LIBRARY_DIR / "LOW_CONFIDENCE.md").read_text(encoding="utf-8")
    assert "not looked up" not in record
