import re
from pathlib import Path

import pytest

from bot.channels.zalo.render import (
    choices_prompt,
    numbered_choices,
    render_reply,
    split_text,
    to_plain,
)
from bot.messages import Button, Reply, esc
from bot.text import pick_choice


def test_to_plain_strips_tags_decodes_entities_keeps_lines():
    html = "<b>Chào</b> <i>bạn</i> &amp; <u>chi bộ</u>\n<s>cũ</s> &lt;3 <code>x&gt;1</code>"
    assert to_plain(html) == "Chào bạn & chi bộ\ncũ <3 x>1"


def test_to_plain_links_and_escaped_user_text():
    assert to_plain('Xem <a href="https://dangcongsan.vn">trang Đảng</a>.') == (
        "Xem trang Đảng (https://dangcongsan.vn)."
    )
    assert to_plain('<a href="https://a.vn">https://a.vn</a>') == "https://a.vn"
    # User text went through esc(): tags typed by a person must come out literally, not stripped.
    assert to_plain(esc("<b>không đậm</b> & vui")) == "<b>không đậm</b> & vui"


def test_to_plain_blockquote_and_pre_on_their_own_lines():
    assert to_plain("Trích:<blockquote>Cần, kiệm</blockquote>Hết") == "Trích:\nCần, kiệm\nHết"


@pytest.mark.parametrize(
    ("count", "prompt"),
    [(1, "Trả lời 1."), (2, "Trả lời 1 hoặc 2."), (3, "Trả lời 1, 2 hoặc 3."),
     (7, "Trả lời một số từ 1 đến 7.")],
)
def test_choices_prompt(count, prompt):
    assert choices_prompt(count) == prompt


def test_render_two_buttons_as_numbered_list():
    reply = Reply("Bạn <b>tham gia</b>?", [[Button("Đồng ý", "y"), Button("Từ chối", "n")]])
    assert render_reply(reply) == ["Bạn tham gia?\n\n1. Đồng ý\n2. Từ chối\nTrả lời 1 hoặc 2."]


def test_render_one_and_three_buttons():
    one = render_reply(Reply("Xong", [[Button("OK", "ok")]]))
    assert one == ["Xong\n\n1. OK\nTrả lời 1."]
    three = render_reply(Reply("Chọn", [[Button("A", "a"), Button("B", "b")], [Button("C", "c")]]))
    assert three == ["Chọn\n\n1. A\n2. B\n3. C\nTrả lời 1, 2 hoặc 3."]
    assert numbered_choices(three[0]) == ["A", "B", "C"]


def test_render_url_buttons_are_lines_not_numbers():
    reply = Reply("Tài liệu", [[Button("Đọc", url="https://x.vn/a")], [Button("Đã đọc", "done")]])
    (text,) = render_reply(reply)
    assert "Đọc: https://x.vn/a" in text
    assert numbered_choices(text) == ["Đã đọc"]
    assert text.endswith("1. Đã đọc\nTrả lời 1.")


def test_render_only_url_buttons_no_prompt():
    (text,) = render_reply(Reply("Link", [[Button("Trang", url="https://x.vn")]]))
    assert text == "Link\n\nTrang: https://x.vn"
    assert "Trả lời" not in text


def test_render_empty_reply_is_nothing():
    assert render_reply(Reply()) == []


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_split_at_sentences_within_limit():
    text = " ".join(f"Câu số {i} nói về học tập và làm theo Bác." for i in range(200))
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # each cut fell after a sentence
    assert _squash(" ".join(parts)) == _squash(text)


def test_split_prefers_paragraphs():
    para = "Đoạn văn. " * 90  # ~900 chars
    text = f"{para}\n\n{para}\n\n{para}"
    parts = split_text(text, 2000)
    assert len(parts) == 2
    assert parts[0] == f"{para}\n\n{para}".strip()  # cut at the second paragraph break, not mid-way


def test_split_by_words_when_no_sentence_end():
    text = " ".join(["khôngdấuchấm"] * 400)
    parts = split_text(text, 500)
    assert all(len(p) <= 500 for p in parts)
    assert all(w == "khôngdấuchấm" for p in parts for w in p.split())  # no word was cut
    assert _squash(" ".join(parts)) == text


def test_split_breaks_only_a_giant_word():
    parts = split_text("ngắn " + "x" * 45 + " cuối", 20)
    assert all(len(p) <= 20 for p in parts)
    assert parts[0] == "ngắn"
    assert parts[-1].endswith(" cuối")
    assert "".join(parts[1:]).removesuffix(" cuối") == "x" * 45


def test_split_short_text_untouched():
    assert split_text("  Chào  ", 2000) == ["Chào"]


def test_render_long_reply_keeps_choices_in_last_message():
    body = " ".join(f"Ý {i}: thực hành tiết kiệm." for i in range(300))
    parts = render_reply(Reply(body, [[Button("Đồng ý", "y"), Button("Từ chối", "n")]]))
    assert len(parts) >= 3
    assert all(len(p) <= 2000 for p in parts)
    assert numbered_choices(parts[-1]) == ["Đồng ý", "Từ chối"]
    assert not any(numbered_choices(p) for p in parts[:-1])


CHOICES = [Button("Đồng ý ✓", "yes"), Button("Từ chối", "no"), Button("Để sau 🕒", "later")]
LABELS = [b.label for b in CHOICES]


@pytest.mark.parametrize(
    ("typed", "data"),
    [("1", "yes"), (" 2 ", "no"), ("2.", "no"), ("3)", "later"), ("dong y", "yes"), ("ĐỒNG Ý", "yes"),
     ("tu choi!", "no"), ("để sau", "later")],
)
def test_pick_choice(typed, data):
    """The core's one matcher reads back what render_reply listed."""
    index = pick_choice(typed, LABELS)
    assert index is not None and CHOICES[index].data == data


@pytest.mark.parametrize("typed", ["0", "4", "12", "dong", "có", "", "  ", "1 2"])
def test_pick_choice_none(typed):
    assert pick_choice(typed, LABELS) is None


@pytest.mark.parametrize(
    ("typed", "index"),
    [("Có", 0), ("co", 0), ("không", 1), ("Không, giữ riêng", 1), ("hoi lai", None), ("giữ riêng", None)],
)
def test_pick_choice_by_the_words_before_a_comma(typed, index):
    labels = ["Có, được chia sẻ", "Không, giữ riêng", "Hỏi lại khi được biểu dương"]
    assert pick_choice(typed, labels) == index


def test_pick_choice_head_must_be_unique():
    assert pick_choice("có", ["Có, ghi nhận", "Có, và biểu dương"]) is None
    assert pick_choice("không", ["Không", "Không, đổi giờ"]) == 0  # the exact label wins


def _catalog_strings() -> list[str]:
    from babel.messages.pofile import read_po

    out = []
    for path in sorted(Path("bot/locales/vi").glob("*.po")):
        with path.open("rb") as f:
            out += [m.string for m in read_po(f) if m.id and isinstance(m.string, str) and m.string]
    return out


def test_no_telegram_words_on_zalo():
    """Every Vietnamese string, as the Zalo channel would send it: no "bấm nút", no "menu bên dưới"."""
    strings = _catalog_strings()
    assert sum("bấm nút" in s.lower() for s in strings) >= 6  # the strings are still there for Telegram
    for text in strings:
        [said] = render_reply(Reply(text)) or [""]
        assert "bấm nút" not in said.lower() and "bấm một nút" not in said.lower(), said
        assert "menu bên dưới" not in said, said


def test_zalo_wording_says_send_the_number():
    [said] = render_reply(Reply("📷 Gửi tối đa 3 ảnh, hoặc bấm nút để tiếp tục.", [[Button("Xong", "d")]]))
    assert said.startswith("📷 Gửi tối đa 3 ảnh, hoặc gửi số để tiếp tục.") and "1. Xong" in said
