"""The Telegram HTML validator: what parses, what Telegram would reject, and the visible text."""

import pytest

from bot.devtools.emulator.html_check import check_html, parse_html, visible_text


@pytest.mark.parametrize(
    "html",
    [
        "plain text",
        "<b>bold <i>bold italic <u>all three</u></i></b>",
        "<strong>a</strong><em>b</em><ins>c</ins><s>d</s><strike>e</strike><del>f</del>",
        '<a href="https://example.org/?a=1&amp;b=2">link</a>',
        '<pre><code class="language-python">print(1 &lt; 2)</code></pre>',
        '<span class="tg-spoiler">secret</span> and <tg-spoiler>more</tg-spoiler>',
        "<blockquote expandable>long quote</blockquote><blockquote>short</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "a &gt; b &amp;&amp; c &lt; d &quot;q&quot; &#65; &#x42;",
        "1 > 0 is fine unescaped",
        "<B>upper-case tags</B>",
    ],
)
def test_valid_html_parses(html: str) -> None:
    assert check_html(html) is None


@pytest.mark.parametrize(
    ("html", "reason_part"),
    [
        ("<div>block</div>", 'Unsupported start tag "div"'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>crossed</b></i>", 'expected "</i>", found "</b>"'),
        ("stray</b>", 'Unexpected end tag "b"'),
        ("Tom &nbsp; Jerry", 'Unsupported HTML entity "&nbsp;"'),
        ("Q&A", "Character entity expected"),
        ("a < b", 'Unsupported start tag ""'),
        ("<3 you", 'Unsupported start tag ""'),
        ("<b", "Unclosed start tag"),
        ('<span class="x">no</span>', 'must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", "emoji-id"),
        ("&#0;", "Invalid character entity"),
        ("&#x110000;", "Invalid character entity"),
    ],
)
def test_broken_html_is_rejected(html: str, reason_part: str) -> None:
    reason = check_html(html)
    assert reason is not None and reason_part in reason, reason


def test_byte_offset_counts_utf8_bytes() -> None:
    # "Chào " is 6 bytes in UTF-8 (à is two), so the bad tag starts at byte 6, not character 5.
    reason = check_html("Chào <x>")
    assert reason is not None and "byte offset 6" in reason


def test_visible_text_strips_tags_and_decodes_entities() -> None:
    html = '<b>Chào</b> <a href="https://x.vn">đồng chí</a> &lt;Nam&gt; &amp; &#273;&#x1ED3;ng'
    assert visible_text(html) == "Chào đồng chí <Nam> & đồng"
    assert parse_html(html) == visible_text(html)


def test_visible_text_length_ignores_markup() -> None:
    html = "<b>" + "a" * 4096 + "</b>"
    assert len(html) > 4096 and len(visible_text(html)) == 4096
    assert len(visible_text("&amp;" * 10)) == 10


def test_visible_text_tolerates_invalid_html() -> None:
    assert visible_text("<b>unclosed &amp; x") == "unclosed & x"
