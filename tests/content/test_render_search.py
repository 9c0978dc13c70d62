from __future__ import annotations

from bot.content.loader import load_library
from bot.content.render import REFLECTION_LABEL, render_item
from bot.content.search import normalize, search

from .conftest import make_item


def test_render_escapes_and_has_footer():
    item = make_item(
        text="Học <i>mãi</i> & tiến bộ",
        work="Thư <b>gửi</b> các cháu",
        date="1945-09-02",
        citation="Báo Cứu quốc, số 1",
        reflection="Hôm nay tôi học gì?",
    )
    out = render_item(item, header="Chuyên đề <2021>")
    assert out.startswith("🌅 <b>Học Bác mỗi ngày</b>\n<i>Chuyên đề &lt;2021&gt;</i>")
    assert "“Học &lt;i&gt;mãi&lt;/i&gt; &amp; tiến bộ”" in out
    assert "— Hồ Chí Minh, Thư &lt;b&gt;gửi&lt;/b&gt; các cháu, 02/09/1945" in out
    assert "<b>gửi</b>" not in out
    assert "\n<i>Báo Cứu quốc, số 1</i>" in out
    assert f"{REFLECTION_LABEL}:</b> Hôm nay tôi học gì?" in out
    # Our reflection comes after the source, outside the quotation marks.
    assert out.index("”") < out.index("— Hồ Chí Minh") < out.index(REFLECTION_LABEL)


def test_render_partial_dates_and_no_work():
    assert "— Hồ Chí Minh, Bài, 06/1949" in render_item(make_item(work="Bài", date="1949-06"))
    out = render_item(make_item(work=None, date="1950", citation="Toàn tập, t.6"))
    assert "— Hồ Chí Minh, 1950\n<i>Toàn tập, t.6</i>" in out
    assert REFLECTION_LABEL not in out


def test_render_lead_is_outside_quotes():
    out = render_item(make_item(text="là sợi dây", lead="Chi bộ"))
    assert "Chi bộ “là sợi dây”" in out


def test_shipped_items_render_under_limit():
    assert max(len(render_item(i, "Chuyên đề năm")) for i in load_library().all()) < 2000


def test_normalize():
    assert normalize("  Cần,  KIỆM; liêm—chính! Đảng ") == "can kiem liem chinh dang"


def test_search_can_kiem_finds_can_kiem():
    items = [
        make_item("a", "Cán bộ phải gương mẫu", themes=("dao-duc",)),
        make_item("b", "Người có bốn đức: Cần, Kiệm, Liêm, Chính"),
        make_item("c", "Kiểm tra cấp dưới"),
    ]
    found = search(items, "can kiem")
    assert found[0].id == "b"
    assert "Cần, Kiệm" in found[0].text
    assert {i.id for i in found} == {"a", "b", "c"}  # 'can'/'kiem' alone still match, ranked lower


def test_search_all_tokens_beat_some_and_phrase_bonus():
    items = [
        make_item("some", "đoàn kết là sức mạnh"),
        make_item("all", "kết nghĩa đại gia đình, đoàn viên"),
        make_item("phrase", "đại đoàn kết toàn dân"),
    ]
    assert [i.id for i in search(items, "dai doan ket")] == ["phrase", "all", "some"]


def test_search_work_and_theme():
    items = [
        make_item("w", "abc", work="Sửa đổi lối làm việc"),
        make_item("t", "xyz", themes=("thanh-nien",)),
    ]
    assert [i.id for i in search(items, "sua doi loi lam viec")] == ["w"]
    assert [i.id for i in search(items, "thanh niên")] == ["t"]


def test_search_unknown_and_limit():
    lib = load_library().all()
    assert search(lib, "xyzzyqq") == []
    assert search(lib, "  ,, ") == []
    found = search(lib, "nhân dân")
    assert len(found) == 5
    assert len(search(lib, "nhân dân", limit=2)) == 2
    assert any("cần, kiệm" in i.text.lower() for i in search(lib, "can kiem"))
