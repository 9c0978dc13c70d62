"""Properties of the renderer over the whole corpus and random combinations of its fields.

Whatever the item: inside the quotation marks is exactly ``text`` (verse separators as line breaks), no
doubled opening mark, nothing of ``note``, no "Sđd", and no English words outside the source address.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.zalo.render import to_plain
from bot.content.loader import load_library
from bot.content.model import ContentItem
from bot.content.render import (
    ALT_CLOSE,
    ALT_OPEN,
    CLOSE,
    MAX_RENDERED_CHARS,
    OPEN,
    render_item,
    render_plain,
    render_snippet,
    utf16_len,
    verse_lines,
)
from bot.content.tools import import_v2

# Words of internal notes and English editors' remarks that must never reach members.
ENGLISH_MARKERS = ("footnote", "page", "pages", "source", "text", "not visible", "see", "note", "verbatim",
                   "typo", "edition", "unknown", "quote", "vol", "ibid", "todo", "verify", "checked")
_MARKER = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH_MARKERS) + r")\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+?(?=\)?(\s|$))")
LIBRARY = load_library().all()


def _corpus_notes() -> list[str]:
    path = import_v2.shared_file()
    if path is None:
        return ["v1 note: Footnote 26 on the source page (text not visible). Sđd, t.5, tr.261"]
    return [e["note"] for e in yaml.safe_load(path.read_text(encoding="utf-8")) if e.get("note")]


NOTES = _corpus_notes()


def _without_urls(text: str) -> str:
    return _URL.sub("", text)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))


def _quoted(plain: str, item: ContentItem) -> str:
    """What the message prints between the marks around the quote."""
    body = plain.split("\n\n", 2)[1]
    for opening, closing in ((OPEN, CLOSE), (ALT_OPEN, ALT_CLOSE)):
        if body.startswith(opening) and body.endswith(closing):
            if body[len(opening):-len(closing)] == verse_lines(item.text):
                return body[len(opening):-len(closing)]
    return body  # the text carries its own marks


def check(item: ContentItem, header: str | None = None) -> None:
    html_text = render_item(item, header)
    plain = render_plain(item, header)
    assert to_plain(html_text) == plain  # both channels say the same words
    # Inside the marks: exactly the text, verse separators as line breaks.
    assert _quoted(plain, item) == verse_lines(item.text)
    quote = plain.split("\n\n", 2)[1]
    if item.text.startswith(("“", '"')):  # his own mark first: never ours “ before it
        assert quote.startswith((ALT_OPEN, item.text[0])) and not quote.startswith(("““", '“"'))
    else:
        assert quote.startswith(OPEN)
    # Internal fields never shown; nothing depends on them.
    bare = ContentItem(**{**{f: getattr(item, f) for f in item.__dataclass_fields__}, "note": None,
                          "also_seen": None})
    assert render_item(bare, header) == html_text
    for secret in (item.note, item.also_seen):
        if secret:
            assert secret.strip() not in plain
    shown = _without_urls(plain)
    assert "Sđd" not in shown
    # Only our markup: b, i and the one source link, whose address is the item's, escaped.
    parser = _Tags()
    parser.feed(html_text)
    assert {t for t, _ in parser.tags} <= {"b", "i", "a"}
    links = [a for t, a in parser.tags if t == "a"]
    assert all(a.get("href") == item.source_url for a in links) and len(links) <= 1
    # Zalo: one message; the address is there whenever it fits.
    assert utf16_len(plain) <= MAX_RENDERED_CHARS or item.source_url not in plain


@pytest.mark.parametrize("item", LIBRARY, ids=lambda i: i.id)
def test_every_shipped_item(item):
    check(item)
    check(item, header="Chuyên đề năm 2026: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh")
    # No English marker word in what members read of a shipped item (the address aside).
    words = [m.group(0) for m in _MARKER.finditer(_without_urls(render_plain(item)))]
    assert words == [], (item.id, words)
    snippet = to_plain(render_snippet(item, 120))
    assert "Sđd" not in snippet and (item.note is None or item.note not in snippet)


def _pick(field: str) -> st.SearchStrategy:
    return st.sampled_from([getattr(i, field) for i in LIBRARY])


_items = st.builds(
    ContentItem,
    id=st.just("x"),
    kind=st.just("quote"),
    text=_pick("text") | st.sampled_from(['“Cả câu trong ngoặc”', '"Mở" rồi đóng', "Thơ / thơ / thơ"]),
    source_url=_pick("source_url") | st.just('https://a.vn/x?a=1&b="2"<3>'),
    work=_pick("work"),
    date=_pick("date"),
    citation=_pick("citation"),
    via=_pick("via"),
    source_outlet=_pick("source_outlet") | st.just("Báo <b>A</b> & B"),
    reflection=st.none() | st.just("Hôm nay tôi làm gì?"),
    note=st.sampled_from(NOTES) | st.just("INTERNAL Footnote 26 on the source page (text not visible), Sđd"),
    also_seen=st.none() | st.just("https://x.vn (see page 3)"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=_items, header=st.none() | st.just("Chuyên đề <năm> & 2026"))
def test_random_combinations(item, header):
    check(item, header)
    plain = render_plain(item, header)
    assert "INTERNAL" not in plain and "not visible" not in plain and "(see page 3)" not in plain


def test_long_text_on_zalo_drops_only_the_address():
    item = ContentItem(id="x", kind="quote", text="chữ " * 480, source_url="https://qdnd.vn/" + "a" * 80,
                       work="W", source_outlet="Báo Quân đội nhân dân")
    plain = render_plain(item)
    assert item.source_url not in plain and "Nguồn: Báo Quân đội nhân dân" in plain
    assert to_plain(render_item(item)) == plain
    short = render_plain(ContentItem(id="y", kind="quote", text="Ngắn", source_url=item.source_url, work="W"))
    assert item.source_url in short and "Nguồn: qdnd.vn (" in short  # no outlet: the site's host


def test_html_is_escaped_everywhere():
    item = ContentItem(id="x", kind="quote", text="a < b & c", source_url='https://a.vn/?q="x"&y=<1>',
                       work="<W>", citation="<C>", via="<V>", source_outlet="<O>", reflection="<R>")
    out = render_item(item, header="<H>")
    for raw in ("<W>", "<C>", "<V>", "<O>", "<R>", "<H>", "a < b"):
        assert raw not in out
    assert 'href="https://a.vn/?q=&quot;x&quot;&amp;y=&lt;1&gt;"' in out
    assert "— Hồ Chí Minh, &lt;W&gt;" in out and "Trích theo: &lt;V&gt;" in out


def test_marks_never_doubled():
    def item(text: str) -> ContentItem:
        return ContentItem(id="x", kind="quote", text=text, source_url="https://a.vn/1", work="W")

    assert "\n\n“Cả câu”\n\n" in render_plain(item("“Cả câu”"))  # already quoted: its own marks only
    assert "\n\n«“Quan” tham»\n\n" in render_plain(item("“Quan” tham"))
    assert "\n\n«\"Làm\" thêm»\n\n" in render_plain(item('"Làm" thêm'))
    assert "\n\n“Dòng một\nDòng hai”\n\n" in render_plain(item("Dòng một / Dòng hai"))
    # Starts and ends with marks but is not one quotation: still wrapped, in « ».
    assert "\n\n«“Hai” lần “ba”»\n\n" in render_plain(item("“Hai” lần “ba”"))


def test_snippet_cuts_outside_the_marks():
    item = ContentItem(id="x", kind="quote", text="một hai ba bốn năm sáu bảy", source_url="https://a.vn/1",
                       work="W", date="1950")
    assert render_snippet(item, 12) == "“một hai ba” …\n<i>— Hồ Chí Minh, W, 1950</i>"
    assert render_snippet(item, 100).startswith("“một hai ba bốn năm sáu bảy”\n")
