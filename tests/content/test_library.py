"""The shipped library: passes the check, and every quote is byte-identical to a ship entry of v2."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from bot.content.cli import check_main
from bot.content.loader import LIBRARY_DIR, load_library
from bot.content.model import ContentError
from bot.content.tools import import_v2


@pytest.fixture(scope="module")
def shared_entries() -> list[dict]:
    path = import_v2.shared_file()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared/{import_v2.SHARED_FILE} is missing (CI must have shared/)")
        pytest.skip("shared/ not present (set HOCBAC_SHARED_DIR)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_check_passes(capsys):
    assert check_main() == 0
    out = capsys.readouterr().out
    assert re.match(r"Thư viện nội dung hợp lệ: \d+ mục \(nguồn: ", out)


def test_ships_exactly_the_ship_entries(shared_entries):
    lib = load_library()
    ship = {e["id"] for e in shared_entries if e["status"] == "ship"}
    held = {e["id"] for e in shared_entries if e["status"] == "hold"}
    shipped = {i.id for i in lib.all()}
    assert shipped == ship and len(lib) == len(ship) > 0
    assert shipped.isdisjoint(held)


def test_every_item_is_byte_identical_to_v2(shared_entries):
    by_id = {e["id"]: e for e in shared_entries}
    held_texts = {e["text"] for e in shared_entries if e["status"] == "hold"}
    for item in load_library().all():
        src = by_id[item.id]
        assert src["status"] == "ship"
        assert item.text.encode() == src["text"].encode()  # byte for byte, not normalised
        assert item.text not in held_texts or any(
            e["text"] == item.text and e["status"] == "ship" for e in shared_entries)
        assert item.work == src["work"] and item.citation == src["citation"]
        assert item.via == src.get("via") and item.source_outlet == src["source_outlet"]
        assert item.date == src["date"] and item.source_url == src["source_url"]
        assert list(item.themes) == src["theme"]
        assert list(item.occasions) == (src.get("occasions") or [])
        assert item.confidence == src["confidence"]
        assert item.note is None and item.also_seen is None  # internal fields are not shipped
        assert item.owner_org_id is None


def test_held_record_lists_every_held_entry_with_its_reason(shared_entries):
    record = (LIBRARY_DIR / import_v2.HELD_FILE).read_text(encoding="utf-8")
    for entry in shared_entries:
        if entry["status"] == "hold":
            assert f"- `{entry['id']}`: {' '.join(entry['hold_reason'].split())}" in record
        else:
            assert f"`{entry['id']}`" not in record


def test_no_dependency_on_the_old_corpus():
    root = Path(__file__).resolve().parents[2]
    old = "hcm-quotes-" + "verified"
    for path in [*(root / "bot").rglob("*.py"), *(root / "bot").rglob("*.yaml"), *(root / "docs").rglob("*.md"),
                 *(root / "tests").rglob("*.py"), root / "README.md"]:
        assert old not in path.read_text(encoding="utf-8"), path
    assert not (LIBRARY_DIR / "LOW_CONFIDENCE.md").exists()


def test_import_script_reproduces_files(shared_entries):
    # The committed files are exactly what the script builds from the shared v2 corpus.
    assert import_v2.main(["--check"]) == 0


def test_check_reports_bad_library(tmp_path: Path, capsys):
    (tmp_path / "a.yaml").write_text("- id: x\n  kind: quote\n  text: abc\n  work: W\n", encoding="utf-8")
    assert check_main(tmp_path) == 1
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and "a.yaml:1" in out and "'x'" in out and "source_url" in out


def test_empty_library_is_refused(tmp_path: Path, capsys):
    (tmp_path / "a.yaml").write_text("# nothing shippable\n", encoding="utf-8")
    with pytest.raises(ContentError, match="no shippable items"):
        load_library(tmp_path)
    assert check_main(tmp_path) == 1
    assert "no shippable items" in capsys.readouterr().out


def _corpus(tmp_path: Path, body: str) -> Path:
    shared = tmp_path / "shared"
    (shared / "content").mkdir(parents=True)
    (shared / import_v2.SHARED_FILE).write_text(body, encoding="utf-8")
    return shared


_GOOD = (
    "- id: mot\n  kind: quote\n  text: Một\n  work: W\n  date: null\n  citation: null\n  theme: [dao-duc]\n"
    "  source_url: https://qdnd.vn/1\n  source_outlet: Báo Quân đội nhân dân\n  confidence: medium\n"
    "  status: ship\n  note: ghi chú nội bộ XYZ\n"
)


@pytest.mark.parametrize(("extra", "reason"), [
    ("- id: hai\n  kind: quote\n  text: Hai\n  work: W\n  theme: [dao-duc]\n  confidence: medium\n"
     "  status: ship\n", r"v2\.yaml:13 \(id 'hai'\): missing or empty 'source_url'"),
    ("- id: hai\n  kind: quote\n  text: Hai\n  work: null\n  citation: null\n  theme: [dao-duc]\n"
     "  source_url: https://qdnd.vn/2\n  status: ship\n", r":13 \(id 'hai'\): neither 'work' nor 'citation'"),
    ("- id: hai\n  kind: quote\n  text: Hai\n  work: W\n  colour: red\n  source_url: https://qdnd.vn/2\n"
     "  status: ship\n", r":13 \(id 'hai'\): unknown field\(s\) colour"),
    ("- id: hai\n  kind: quote\n  text: " + "dài " * 600 + "\n  work: W\n  source_url: https://qdnd.vn/2\n"
     "  status: ship\n", r":13 \(id 'hai'\): rendered message is \d+ characters, over the 2000 limit"),
    ("- id: mot\n  kind: quote\n  text: Hai\n  work: W\n  source_url: https://qdnd.vn/2\n  status: ship\n",
     r":13 \(id 'mot'\): duplicate id"),
    ("- id: hai\n  kind: quote\n  text: Hai\n  work: W\n  source_url: https://qdnd.vn/2\n  status: hold\n",
     r":13 \(id 'hai'\): held without a hold_reason"),
])
def test_bad_corpus_entry_names_line_and_reason_and_writes_nothing(tmp_path, monkeypatch, capsys, extra, reason):
    monkeypatch.setenv("HOCBAC_SHARED_DIR", str(_corpus(tmp_path, _GOOD + extra)))
    lib = tmp_path / "library"
    lib.mkdir()
    (lib / "old.yaml").write_text("kept", encoding="utf-8")
    assert import_v2.main([], library_dir=lib) == 1
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and re.search(reason, out), out
    assert sorted(p.name for p in lib.iterdir()) == ["old.yaml"]
    assert (lib / "old.yaml").read_text(encoding="utf-8") == "kept"


def test_good_corpus_ships_only_ship_and_drops_note(tmp_path, monkeypatch):
    held = ("- id: hai\n  kind: quote\n  text: Hai\n  work: W\n  source_url: https://qdnd.vn/2\n  status: hold\n"
            "  hold_reason: Chưa đối chiếu\n")
    monkeypatch.setenv("HOCBAC_SHARED_DIR", str(_corpus(tmp_path, _GOOD + held)))
    lib = tmp_path / "library"
    lib.mkdir()
    assert import_v2.main([], library_dir=lib) == 0
    assert sorted(p.name for p in lib.iterdir()) == ["HELD.md", "dao-duc.yaml"]
    shipped = (lib / "dao-duc.yaml").read_text(encoding="utf-8")
    assert "id: mot" in shipped and "id: hai" not in shipped and "XYZ" not in shipped
    assert "- `hai`: Chưa đối chiếu" in (lib / "HELD.md").read_text(encoding="utf-8")
    assert [i.id for i in load_library(lib)] == ["mot"]
    assert import_v2.main(["--check"], library_dir=lib) == 0
