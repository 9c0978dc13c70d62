"""One register and one term per concept in every Vietnamese string (issue #20).

Every msgstr of every .po file under bot/locales/ is read, so strings and catalogs added later are checked
without touching this test. The rules live in bot/locales/glossary.yaml: the person is "đồng chí", the bot
never says "Mình … bạn", each concept has one term, and a msgstr keeps the {placeholders} of its msgid.
Vietnamese literals in the code and the demo page are checked against the register too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = yaml.safe_load((LOCALES_DIR / "glossary.yaml").read_text(encoding="utf-8"))
# Command names (/camket, /dangky) are not words of the sentence.
_COMMAND = re.compile(r"/[a-z_]+")
# Hồ Chí Minh's words and the members' own reflection questions are quoted, not spoken by the bot.
_QUOTED = ("content",)


def _entries() -> list[tuple[str, str, str]]:
    """(file, msgid, msgstr) for every translated entry of every catalog."""
    out: list[tuple[str, str, str]] = []
    for po in sorted(LOCALES_DIR.glob("*/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string:
                out.append((f"{po.parent.name}/{po.name}", message.id, str(message.string)))
    return out


ENTRIES = _entries()
VI = [e for e in ENTRIES if e[0].startswith("vi/")]


def _rules(section: str) -> list[tuple[str, re.Pattern[str]]]:
    rules: list[tuple[str, re.Pattern[str]]] = []
    for entry in GLOSSARY[section]:
        name = entry.get("name") or entry["concept"]
        patterns = entry["forbidden"] if isinstance(entry["forbidden"], list) else [entry["forbidden"]]
        rules += [(f"{name} (use: {entry['use']})", re.compile(p, re.IGNORECASE)) for p in patterns]
    return rules


REGISTER = _rules("register")
TERMS = _rules("terms")


def breaches(text: str, rules: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    plain = _COMMAND.sub(" ", text)
    return [f"{name}: {m.group(0)!r}" for name, rule in rules for m in [rule.search(plain)] if m]


def test_the_catalogs_are_read():
    assert len(VI) > 500, "the .po files were not found or not parsed"


@pytest.mark.parametrize(("text", "bad"), [
    ("Mình chưa hiểu ý bạn.", True),
    ("Bạn chưa tham gia chi bộ nào.", True),
    ("Vui lòng nhắn riêng cho mình.", True),
    ("Gương việc tốt của chi bộ mình", True),
    ("Phiếu đã sẵn sàng để bạn sửa.", True),
    ("Đồng chí chưa tham gia chi bộ nào.", False),
    ("Đồng chí không thể tự duyệt việc tốt của mình.", False),
    ("Chia sẻ với bạn bè và bạn đọc.", False),
    ("Gửi /help để xem hướng dẫn.", False),
])
def test_the_register_rule_is_precise(text: str, bad: bool):
    assert bool(breaches(text, REGISTER)) is bad


@pytest.mark.parametrize(("text", "bad"), [
    ("• Đã đăng ký cam kết: {pct}", True),
    ("phiếu cam kết của tôi", True),
    ("{accepted} được công nhận", True),
    ("Nhóm này đã được liên kết với chi bộ {branch}.", True),
    ("Thông báo #{id} đã gửi xong.", True),
    ("Việc tốt đã được lưu (số {id}).", True),
    ("Lời cam kết của đồng chí:", False),
    ("✏️ Sửa lời cam kết", False),
    ("Gửi /camket để xem phiếu.", False),
    ("Nhóm này đã được liên kết với {branch}.", False),
    ("Không có số {n} trong danh sách.", False),
])
def test_the_glossary_rules_are_precise(text: str, bad: bool):
    assert bool(breaches(text, TERMS)) is bad


def test_no_vietnamese_string_says_minh_or_ban():
    found = [f"{f}: {msgid!r} -> {why}" for f, msgid, msgstr in VI for why in breaches(msgstr, REGISTER)]
    assert found == [], "\n".join(found)


def test_the_glossary_holds_in_every_vietnamese_string():
    found = [f"{f}: {msgid!r} -> {why}" for f, msgid, msgstr in VI for why in breaches(msgstr, TERMS)]
    assert found == [], "\n".join(found)


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def test_every_translation_keeps_the_placeholders_of_its_msgid():
    found = [f"{f}: {msgid!r}: {sorted(_placeholders(msgid))} != {sorted(_placeholders(msgstr))}"
             for f, msgid, msgstr in ENTRIES if _placeholders(msgid) != _placeholders(msgstr)]
    assert found == [], "\n".join(found)


def _code_literals() -> list[tuple[str, str]]:
    """Vietnamese string literals in the code (outside the quoted content) and the demo page's text."""
    out: list[tuple[str, str]] = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if any(part in _QUOTED for part in path.relative_to(ROOT / "bot").parts[:1]):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[ạ-ỹđĐ]", node.value):
                out.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    for path in sorted((ROOT / "bot" / "devtools" / "demo" / "static").glob("*.*")):
        if path.suffix in {".html", ".js"}:
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                out.append((f"{path.relative_to(ROOT)}:{lineno}", line))
    return out


def test_vietnamese_literals_in_the_code_keep_the_register():
    found = [f"{where}: {why}" for where, text in _code_literals() for why in breaches(text, REGISTER)]
    assert found == [], "\n".join(found)
