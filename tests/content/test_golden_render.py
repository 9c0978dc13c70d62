"""Golden renderings of tricky shipped items, as members see them on Telegram (Reply HTML) and on Zalo.

The files in tests/content/golden/ are reviewed expectations. To regenerate after a deliberate change
of the layout: HOCBAC_WRITE_GOLDEN=1 pytest tests/content/test_golden_render.py, then read every diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.channels.zalo.render import render_reply, to_plain
from bot.content.loader import load_library
from bot.content.render import render_item, render_plain
from bot.messages import Button, Reply

GOLDEN = Path(__file__).parent / "golden"

# id -> why it is tricky
CASES: dict[str, str] = {
    "nam-bac-mot-long-thang-loi-ve-ta-1968": "verse written with ' / ', full date",
    "tho-chuc-tet-1961": "verse written with newlines, year only, Tết",
    "can-khong-phai-lam-xoi": "via (modern book), year only, no citation",
    "phu-nu-ta-con-nhieu-dip-to-nang-luc-1955": "no work (citation only), via, two lines",
    "thanh-nien-xung-phong-can-bo-kieu-mau": "date to the month, via and citation",
    "kieu-ngao-quan-cach-mang": "no date, via",
    "viec-chinh-viec-gap-lam-truoc-1947": "the longest text",
    "quan-tham-vi-dan-dai": "text starts with “",
    "lam-bang-hai-khong-phai-keo-dai-gio-lao-dong-1964": "text starts with \"",
    "hoc-nhan-dan": "our own reflection question, after the source",
    "khong-so-khuyet-diem-chi-cong-vo-tu": "text ends with a quotation mark of its own",
}


@pytest.fixture(scope="module")
def library():
    return load_library()


def _check(name: str, got: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HOCBAC_WRITE_GOLDEN") == "1":
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"missing golden file {name}"
    assert got == path.read_text(encoding="utf-8"), name


@pytest.mark.parametrize("item_id", list(CASES))
def test_golden_telegram(library, item_id):
    _check(f"{item_id}.telegram.html", render_item(library.get(item_id)) + "\n")


@pytest.mark.parametrize("item_id", list(CASES))
def test_golden_zalo(library, item_id):
    item = library.get(item_id)
    # What Zalo members get: the same Reply through the Zalo channel's renderer, with the read button.
    parts = render_reply(Reply(text=render_item(item), buttons=[[Button("Đã đọc ✓", "x")]]))
    assert len(parts) == 1  # one message (one unit of the Zalo quota)
    assert to_plain(render_item(item)) == render_plain(item)
    _check(f"{item_id}.zalo.txt", parts[0] + "\n")


def test_golden_cases_cover_every_kind_of_trouble(library):
    items = [library.get(i) for i in CASES]
    assert all(items)
    assert any(" / " in i.text for i in items) and any("\n" in i.text for i in items)
    assert any(i.via for i in items) and any(not i.work for i in items)
    assert {len(i.date or "") for i in items} == {0, 4, 7, 10}
    assert any(i.text.startswith("“") for i in items) and any(i.text.startswith('"') for i in items)
    assert max(len(i.text) for i in library.all()) == max(len(i.text) for i in items)
