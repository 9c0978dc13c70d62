from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_library, validate_items
from bot.content.model import ContentError

from .conftest import raw_item


def reject(items: list[dict], match: str) -> str:
    with pytest.raises(ContentError, match=match) as err:
        validate_items(items, "bad.yaml")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("bad.yaml")
    return msg


def test_good_item_passes():
    (item,) = validate_items([raw_item(occasions=["09-02", "tet"])], "good.yaml")
    assert item.themes == ("doan-ket",) and item.occasions == ("09-02", "tet")


@pytest.mark.parametrize("url", [None, "", "ftp://x.vn/a", "qpvn.vn/a", "http:// x"])
def test_missing_or_bad_source_url(url):
    assert "'mot'" in reject([raw_item(source_url=url)], "source_url")


def test_neither_work_nor_citation():
    reject([raw_item(work=None, citation="")], "neither 'work' nor 'citation'")


def test_duplicate_id():
    reject([raw_item(), raw_item(text="Khác hẳn")], "duplicate id")


def test_duplicate_text_ignores_case_spacing_and_diacritics():
    twin = raw_item(id="hai", text="  doan KET,  đoàn kết, dai doan ket ")
    msg = reject([raw_item(), twin], "duplicate text")
    assert "'hai'" in msg and "'mot'" in msg


def test_empty_text():
    reject([raw_item(text="   ")], "empty text")


def test_rendered_length_limit():
    validate_items([raw_item(text="a" * 1800)], "ok.yaml")
    msg = reject([raw_item(text="a" * 1990)], "over the 2000 limit")
    assert "'mot'" in msg


def test_unknown_kind():
    reject([raw_item(kind="poem")], "unknown kind 'poem'")


@pytest.mark.parametrize("occ", ["5-19", "13-01", "02-30", "Tết", "0519"])
def test_bad_occasion(occ):
    reject([raw_item(occasions=[occ])], "bad occasion")


def test_unknown_field_with_hint():
    reject([raw_item(theme=["x"])], r"unknown field\(s\) theme \(did you mean 'themes'\?\)")


def test_first_error_names_index_when_no_line():
    msg = reject([raw_item(), raw_item(id="hai", text="x", kind="?")], "unknown kind")
    assert "item #2" in msg and "'hai'" in msg


def test_load_library_names_file_and_line(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        "- id: mot\n  kind: quote\n  text: Một\n  work: W\n  source_url: https://a.vn/1\n"
        "- id: hai\n  kind: quote\n  text: Hai\n  work: W\n  source_url: https://a.vn/2\n"
        "  occasions: [19-05]\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"^a\.yaml:6 \(id 'hai'\): bad occasion '19-05'"):
        load_library(tmp_path)


def test_duplicates_across_files(tmp_path: Path):
    body = "- id: mot\n  kind: quote\n  text: Một\n  work: W\n  source_url: https://a.vn/1\n"
    (tmp_path / "a.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(body.replace("id: mot", "id: hai"), encoding="utf-8")
    with pytest.raises(ContentError, match=r"b\.yaml:1 \(id 'hai'\): duplicate text"):
        load_library(tmp_path)


def test_for_org_never_shows_other_orgs(item_factory):
    from bot.content.loader import Library

    lib = Library.of([
        item_factory("shipped", "A"),
        item_factory("org1", "B", owner_org_id=1),
        item_factory("org2", "C", owner_org_id=2),
    ])
    assert {i.id for i in lib.for_org(1)} == {"shipped", "org1"}
    assert {i.id for i in lib.for_org(2)} == {"shipped", "org2"}
    assert lib.get("org2").owner_org_id == 2 and lib.get("nope") is None
    with pytest.raises(ContentError):
        lib.with_items([item_factory("org1", "D")])
