from __future__ import annotations

from typing import Any

import pytest

from bot.content.model import ContentItem


def make_item(item_id: str = "q1", text: str = "Cần, kiệm, liêm, chính", **kw: Any) -> ContentItem:
    base: dict[str, Any] = {"kind": "quote", "source_url": "https://qpvn.vn/x.html", "work": "Bài báo"}
    base.update(kw)
    return ContentItem(id=item_id, text=text, **base)


def raw_item(**kw: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "mot",
        "kind": "quote",
        "text": "Đoàn kết, đoàn kết, đại đoàn kết",
        "work": "Bài nói",
        "date": "1963-12-10",
        "citation": None,
        "source_url": "https://qpvn.vn/a.html",
        "themes": ["doan-ket"],
    }
    item.update(kw)
    return item


@pytest.fixture
def item_factory():
    return make_item
