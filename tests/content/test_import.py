from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.cli import import_file
from bot.content.model import ContentError

from .conftest import make_item

EXISTING = [make_item("co-san", "Cần, kiệm, liêm, chính")]

CSV_GOOD = (
    "id,kind,text,work,date,citation,source_url,themes,occasions\n"
    "moi-1,quote,\"Đoàn kết, đoàn kết, đại đoàn kết\",Bài nói,1963,,https://a.vn/1,doan-ket;dao-duc,09-02\n"
    "moi-2,quote,\"cần,  KIỆM, liem chinh\",Bài báo,,,https://a.vn/2,,\n"
    "co-san,story,Chuyện khác,Sách,,,https://a.vn/3,,\n"
)


def test_import_good_csv(tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_text(CSV_GOOD, encoding="utf-8")
    result = import_file(path, existing=EXISTING, owner_org_id=7)
    assert [i.id for i in result.items] == ["moi-1"]
    item = result.items[0]
    assert item.themes == ("doan-ket", "dao-duc") and item.occasions == ("09-02",)
    assert item.owner_org_id == 7 and item.date == "1963" and item.citation is None
    assert len(result.skipped) == 2
    assert "dòng 3" in result.skipped[0] and "'co-san'" in result.skipped[0]  # same text, diacritics aside
    assert "dòng 4" in result.skipped[1] and "id đã có" in result.skipped[1]
    assert "bỏ qua 2" in result.summary()


def test_import_good_yaml(tmp_path: Path):
    path = tmp_path / "in.yaml"
    path.write_text(
        "- id: moi\n  kind: quote\n  text: Học, học nữa\n  citation: Báo Nhân dân\n"
        "  source_url: https://a.vn/1\n  date: 1950-09-02\n  themes: [hoc-tap]\n",
        encoding="utf-8",
    )
    result = import_file(path, existing=EXISTING)
    assert [(i.id, i.date, i.owner_org_id) for i in result.items] == [("moi", "1950-09-02", None)]
    assert result.skipped == []


def test_import_defaults_to_shipped_library_for_duplicates(tmp_path: Path):
    from bot.content.loader import load_library

    shipped = load_library().all()[0]
    path = tmp_path / "in.yaml"
    path.write_text(
        f"- id: lap-lai\n  kind: quote\n  text: {shipped.text.upper()!r}\n  work: X\n"
        "  source_url: https://a.vn/1\n",
        encoding="utf-8",
    )
    result = import_file(path)
    assert result.items == [] and shipped.id in result.skipped[0]


def test_bad_csv_row_names_line_and_returns_nothing(tmp_path: Path):
    bad = CSV_GOOD.replace("https://a.vn/2", "khong-phai-url")
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError, match=r"^bad\.csv:3 \(id 'moi-2'\): source_url"):
        import_file(path, existing=EXISTING)


def test_bad_csv_unknown_column(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("id,kind,text,work,source_url,tac_gia\nx,quote,abc,W,https://a.vn/1,\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"bad\.csv:2 .*unknown field\(s\) tac_gia"):
        import_file(path, existing=EXISTING)


def test_bad_yaml_item_names_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "- id: a\n  kind: quote\n  text: A\n  work: W\n  source_url: https://a.vn/1\n"
        "- id: b\n  kind: quote\n  text: B\n  source_url: https://a.vn/2\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"^bad\.yaml:6 \(id 'b'\): neither 'work' nor 'citation'"):
        import_file(path, existing=EXISTING)


def test_broken_yaml_and_wrong_type(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"^broken\.yaml: cannot read YAML"):
        import_file(path, existing=EXISTING)
    other = tmp_path / "x.txt"
    other.write_text("hi", encoding="utf-8")
    with pytest.raises(ContentError, match="unsupported file type"):
        import_file(other, existing=EXISTING)
