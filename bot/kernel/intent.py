"""What a typed message means, before any feature sees it.

People write "co mat 1234", "tim kiem tiet kiem", "cam on", "3887" or "hôm nay tôi dọn đường làng". This
module reads such a message as one of:

- ``command``: a command typed without slash or diacritics, maybe with a request around it ("cho tôi xem
  việc tốt của tôi") and with its arguments ("tìm tiết kiệm"). The words come from the commands the
  features declare (name, aliases and ``phrases``), so there is one list of them, in the features.
- ``code``: a bare number (the meeting code the secretary reads out, or a link code).
- ``courtesy``: thanks, a greeting, "ok", "vâng", a thumbs-up.
- ``deed``: an account of something the person did ("đã giúp", "hôm nay tôi dọn…", "tham gia", "ủng hộ").
- ``other``: a question, a request, a plan, chit-chat: never offered as a good deed.

It is pure (no database, no I/O), so it is measured on a labelled list of real-looking messages:
``tests/data/router_messages.yaml`` and ``benchmarks/bench_router.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.text import fold

if TYPE_CHECKING:
    from bot.kernel.routing import CommandSpec

IntentKind = Literal["command", "code", "courtesy", "deed", "other"]

MAX_COMMAND_WORDS = 12  # a longer message is never read as a typed command


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    command: str = ""  # the command's name, for kind "command"
    args: str = ""  # its arguments as typed (diacritics kept); the digits for kind "code"
    tone: str = ""  # for kind "courtesy": "thanks", "greeting" or "ack" (ok, vâng, 👍)

    @property
    def label(self) -> str:
        """"command:timkiem", "code", "courtesy", "deed" or "other" (the labels of the test list)."""
        return f"command:{self.command}" if self.kind == "command" else self.kind


OTHER = Intent("other")

# --- word lists (folded: lower case, no diacritics) -------------------------------------------------------

# Words that may surround a command without changing it: "hom nay nhe", "cua toi a", "giup voi".
_OBJECTS = frozenset("chi bo dang vien".split())  # "roi chi bo", "bao cao chi bo", "thanh vien chi bo"
_FOUND = frozenset("duoc thay giup ra".split())  # after "tìm": something found or done, not a search
_FILLER = frozenset(
    "a ah ak nhe nha nhen nhá di voi giup gium toi minh em chau con bac oi bot ad admin xem dau nao gi co "
    "khong ko k hong duoc dc the thi sao nay chut cai cua va luon ngay lai ha vay day".split()
)

# A request or question in front of a command: "toi muon xem …", "cho toi …", "lam sao de …".
_PREAMBLES = tuple(
    p.split()
    for p in (
        "lam the nao de", "lam sao de", "lam sao", "the nao de", "toi muon", "em muon", "minh muon",
        "chau muon", "con muon", "bac muon", "toi can", "em can", "cho toi", "cho em", "cho minh", "cho chau",
        "cho con", "cho bac", "cho xem", "xin phep", "xin", "lam on", "vui long", "muon", "hay", "xem", "mo",
        "bot oi", "ad oi", "admin oi", "oi", "hoc bac oi", "cach", "de", "toi", "em", "minh", "chau", "con",
        "doc", "coi", "vao", "bam",
    )
)

# Thanks, greetings, agreement. A message made only of these (and names or fillers) is courtesy.
_COURTESY_HEADS = tuple(
    p.split()
    for p in (
        "cam on", "cam om", "cam ong", "camon", "cam onn", "cam o", "cảm ơn", "thank you", "thanks", "thank",
        "tks", "thx", "ty", "xin chao", "chao", "hello", "helo", "hi", "alo", "a lo", "ok", "oke", "okay",
        "okie", "oki", "okela", "vang", "vang a", "da vang", "da", "u", "uh", "um", "uhm", "duoc", "dc",
        "duoc roi", "roi", "ok roi", "xong roi", "nhan duoc roi", "da nhan", "da ro", "ro roi", "hieu roi",
        "tot qua", "hay qua", "tuyet", "tuyet voi", "chuc", "good", "yes", "chuc mung", "kinh chao",
        "chuc ngu ngon", "ngu ngon",
    )
)
_COURTESY_TAIL = frozenset(
    "a ah nhe nha nhieu lam rat nhieu bot ad admin dong chi bi thu anh chi em bac co chu ban moi nguoi ca "
    "nha chi bo buoi sang trua chieu toi ngay moi tot lanh tuan vui ve nhe nhe suc khoe ak vang da voi thay "
    "hoc bac minh con chau a roi nhan thong tin duoc roi nha hieu bao".split()
)

# What a person did. Folded, so "don" is dọn or đón: both are deeds.
_ACTIONS = tuple(
    p.split()
    for p in (
        "giup", "giup do", "don", "don dep", "don ve sinh", "ve sinh", "quet", "quet don", "trong cay", "trong rau",
        "trong hoa", "tham gia", "ung ho", "quyen gop", "dong gop", "gop", "tang", "trao", "tham", "tham hoi",
        "cham soc", "dua", "cho ba", "cho cu", "cho ong", "cho em be", "cho chau", "nhat duoc", "nhat rac", "nhat ra",
        "tra lai", "hien mau", "sua", "sua chua", "xay", "nau", "day hoc", "day chu", "day nghe", "day mien phi",
        "kem cap", "huong dan", "ho tro", "van dong", "tuyen truyen", "hoa giai", "nhac nho", "cuu", "diu", "dat",
        "dan", "cong", "tang qua", "tuoi cay", "tuoi rau", "ngan chan", "do", "nhuong", "bao ve", "tuan tra", "truc",
        "phat", "phat quang", "khoi thong", "thu gom", "to chuc", "lap", "son", "khai thong", "phu dao", "boi duong",
        "doc sach", "doc bao cho", "mua giup", "mua thuoc", "mua qua", "lam", "di", "cho", "cap cuu", "can thiep",
        "bao tin", "tim giup", "hoi tham", "ket nghia", "do dau", "nhan do dau", "ung cuu", "chong", "dap", "be tong",
        "lam duong", "gom", "xuc", "chat", "ho", "tro giup", "chia se", "may", "vot", "keo", "lau nha", "lau don",
        "rua", "phun", "dieu", "cat", "chat cay", "don tre", "trong", "danh", "tap", "huan luyen", "giao",
        "chuyen", "dong", "nop", "trong nom", "bo", "chuan bi",
    )
)
# Ambiguous single words that only count next to a past or time marker ("đã làm", "hôm nay đi").
_WEAK_ACTIONS = frozenset({("lam",), ("di",), ("ho",), ("may",), ("dan",), ("dat",), ("do",),
                           ("trong",), ("danh",), ("tap",), ("giao",), ("chuyen",), ("dong",),
                           ("nop",), ("bo",), ("cho",), ("chat",), ("keo",), ("cat",), ("tang",), ("dieu",),
                           ("chuan", "bi"), ("day",), ("chong",), ("gom",), ("cong",), ("tang",)})
_PAST = tuple(
    p.split()
    for p in (
        "da", "vua", "vua moi", "moi", "hom qua", "hom kia", "hom nay", "sang nay", "chieu nay", "toi nay",
        "trua nay", "toi qua", "dem qua", "tuan truoc", "tuan qua", "thang truoc", "chu nhat", "thu bay",
        "sang", "chieu", "toi", "em", "minh", "chau", "con", "chung toi", "chung em", "gia dinh toi",
        "xong", "roi", "duoc",
    )
)
_QUESTION_WORDS = frozenset("sao gi nao dau ai may chua khong ko k hong hok nhi ha".split())
_QUESTION_PHRASES = tuple(
    p.split()
    for p in (
        "the nao", "nhu the nao", "bao gio", "khi nao", "bao nhieu", "may gio", "co phai", "tai sao",
        "vi sao", "lam sao", "duoc khong", "dinh se", "co the", "co duoc", "la gi", "nghia la", "co ai", "ai da",
        "lam gi", "cai gi", "gi vay", "sao vay", "chua a", "the a", "duoc may", "may viec", "may lan",
        "cho chau hoi", "cho em hoi", "cho con hoi", "cho bac hoi", "cho minh hoi", "cho toi hoi",
    )
)
_REQUEST_HEADS = tuple(
    p.split()
    for p in (
        "toi muon", "em muon", "minh muon", "chau muon", "con muon", "bac muon", "muon", "cho toi", "cho em",
        "cho minh", "cho chau", "cho con", "xin", "lam on", "vui long", "hay", "giup toi", "giup em",
        "giup minh", "giup voi", "cho hoi", "cho toi hoi", "toi can", "can", "nho", "de nghi", "yeu cau",
        "bot oi", "ad oi", "admin oi", "huong dan toi", "chi toi", "bao cho toi", "gui cho toi", "xem",
        "mo", "tim", "tra cuu", "doc", "coi",
    )
)
_FUTURE = frozenset("se sap".split())
_NEGATION = frozenset("khong ko chua chang cha hong".split())
_FUTURE_PHRASES = tuple(p.split() for p in ("ngay mai", "tuan sau", "thang sau", "chuan bi", "du dinh",
                                              "sap toi", "lat nua", "chieu mai", "sang mai"))

_HOW_TO = tuple(p.split() for p in ("lam sao de", "lam the nao de", "the nao de", "cach"))

_CODE = re.compile(r"^[#:\s]*(\d[\d\s.\-]{2,14}\d)\s*[.!]?\s*$")
# "ma 3887", "ma diem danh 3887", "diem danh 3887", "code: 3887": a code with a label in front.
_CODE_LABELS = tuple(p.split() for p in ("ma diem danh la", "ma diem danh", "ma so", "ma la", "ma", "code",
                                          "diem danh", "so"))


def _starts(words: list[str], phrase: list[str], at: int = 0) -> bool:
    return words[at : at + len(phrase)] == phrase


def _contains(words: list[str], phrase: list[str]) -> int:
    """Index of the first occurrence of ``phrase`` in ``words``, or -1."""
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if words[i : i + n] == phrase:
            return i
    return -1


def _only_symbols(text: str) -> bool:
    """Emoji and punctuation only (👍, 🙏, ❤️, "!!"): there is something, but no letter or digit."""
    stripped = "".join(text.split())
    return bool(stripped) and not any(unicodedata.category(ch)[0] in "LN" for ch in stripped)


# --- the command table ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypedCommands:
    """Folded words -> command: every command's name and aliases (also typed with spaces, "co mat") and
    the ``phrases`` it declares ("tim", "viec tot cua toi")."""

    compact: Mapping[str, CommandSpec]  # "comat", "timkiem", "checkin"
    phrases: Mapping[tuple[str, ...], CommandSpec]  # ("viec", "tot", "cua", "toi")
    longest: int

    @classmethod
    def build(cls, commands: Mapping[str, CommandSpec]) -> TypedCommands:
        compact: dict[str, CommandSpec] = {}
        phrases: dict[tuple[str, ...], CommandSpec] = {}
        for word, spec in commands.items():
            compact[fold(word).replace(" ", "")] = spec
            for phrase in spec.phrases:
                key = tuple(fold(phrase).split())
                if key in phrases and phrases[key].name != spec.name:
                    raise ValueError(f"typed phrase {phrase!r} declared by /{phrases[key].name} and /{spec.name}")
                phrases[key] = spec
        longest = max([len(k) for k in phrases] + [4])
        return cls(compact, phrases, longest)

    def match(self, words: list[str]) -> tuple[CommandSpec, int] | None:
        """The command the first words name, longest first: (spec, number of words used)."""
        for n in range(min(len(words), self.longest), 0, -1):
            head = words[:n]
            spec = self.phrases.get(tuple(head)) or self.compact.get("".join(head))
            if spec is not None:
                return spec, n
        return None


def _rest_of(text: str, used: int) -> str:
    """The typed text after its first ``used`` words (as fold counts them), diacritics kept."""
    count = 0
    i = 0
    # Walk the original text word by word, the way fold splits it (letters and digits make words).
    in_word = False
    while i < len(text):
        ch = text[i]
        cat = unicodedata.category(ch)
        is_word = cat[0] in "LNM" and ch not in "\u200d"
        if is_word and not in_word:
            if count == used:
                return text[i:].strip(" :,-–.!?")
            count += 1
        in_word = is_word
        i += 1
    return ""


def _code_arg(rest_words: list[str]) -> bool:
    joined = "".join(rest_words)
    return 4 <= len(joined) <= 12 and joined.isalnum() and any(ch.isdigit() for ch in joined)


def _read_command(text: str, words: list[str], table: TypedCommands) -> Intent | None:
    if len(words) > MAX_COMMAND_WORDS:
        return None
    start = 0
    # Strip request words in front ("toi muon xem", "cho toi", "lam sao de") while a command may follow.
    for _round in range(4):
        hit = table.match(words[start:])
        if hit is not None:
            found = _accept(text, words, start, hit, how_to=any(_starts(words, p) for p in _HOW_TO))
            if found is not None:
                return found
        pre = next((p for p in _PREAMBLES if _starts(words, p, start) and len(words) > start + len(p)), None)
        if pre is None:
            return None
        start += len(pre)
    return None


def _accept(text: str, words: list[str], start: int, hit: tuple[CommandSpec, int], how_to: bool) -> Intent | None:
    spec, n = hit
    rest = words[start + n :]
    if spec.takes == "text":
        if rest[:1] and rest[0] in _FOUND:
            return None  # "tìm được ví rơi, trả lại…", "tìm giúp…": an account, not a search
        return Intent("command", spec.name, _rest_of(text, start + n))
    if spec.takes == "code":
        code = [w for w in rest if w not in _FILLER]  # "co mat a 4521"
        if not code:
            return Intent("command", spec.name)
        if _code_arg(code):
            return Intent("command", spec.name, "".join(code))
        # "lam sao de lien ket Zalo voi Telegram": the command itself explains how (and asks for the code)
        return Intent("command", spec.name) if how_to else None
    if all(w in _FILLER or w in _OBJECTS for w in rest):
        return Intent("command", spec.name)
    return None


# --- the reading ------------------------------------------------------------------------------------------


def _courtesy(words: list[str]) -> bool:
    if words[:1] == ["roi"] and any(w not in _FILLER for w in words[1:]):
        return False  # "rồi" is agreement, but "roi chi bo" is "rời chi bộ" (/roi, which asks first)
    if words[:1] == ["chuc"] and len(words) <= 12:  # "Chúc các đồng chí buổi tối vui vẻ", "chúc mừng…"
        return True
    # Courtesy words mixed in any order: "vâng cảm ơn", "dạ em cảm ơn", "xin chào các đồng chí".
    if len(words) <= 8 and any(w in _COURTESY_CORE for w in words) and all(w in _COURTESY_WORDS for w in words):
        return True
    for head in sorted(_COURTESY_HEADS, key=len, reverse=True):
        if _starts(words, head):
            rest = words[len(head) :]
            if len(rest) <= 6 and all(w in _COURTESY_TAIL or w in _FILLER for w in rest):
                return True
    return False


_COURTESY_CORE = frozenset("cam camon thank thanks tks thx chao hello hi alo ok oke okay okie oki vang".split())
_COURTESY_WORDS = frozenset(w for head in _COURTESY_HEADS for w in head) | _COURTESY_TAIL | _FILLER | {"cac"}
_THANKS = frozenset("cam camon thank thanks tks thx ty".split())
_GREETINGS = frozenset("chao hello helo hi alo chuc kinh".split())


def _tone(words: list[str]) -> str:
    if any(w in _THANKS for w in words[:2]):
        return "thanks"
    if any(w in _GREETINGS for w in words[:2]) or words[:2] == ["a", "lo"]:
        return "greeting"
    return "ack"


def _is_question(text: str, words: list[str]) -> bool:
    if "?" in text:
        return True
    if words and words[-1] in _QUESTION_WORDS:
        return True
    if any(_contains(words, p) >= 0 for p in _QUESTION_PHRASES):
        return True
    at = _contains(words, ["o", "dau"])  # "họp ở đâu ạ"; "ở đầu làng" is a place
    if at >= 0 and all(w in _FILLER for w in words[at + 2 :]):
        return True
    return any(w in ("gi", "sao") for w in words) and len(words) <= 8


def _is_request(words: list[str]) -> bool:
    if words[:1] == ["tim"] and words[1:2] and words[1] in _FOUND:
        return False  # "tìm được…", "tìm giúp…" tell what was done
    return any(_starts(words, p) for p in _REQUEST_HEADS)


def _is_plan(words: list[str]) -> bool:
    if words[:1] == ["mai"]:  # "mai tôi đi…" (tomorrow); elsewhere "mai" is as often "mái" (a roof)
        return True
    return any(w in _FUTURE for w in words) or any(_contains(words, p) >= 0 for p in _FUTURE_PHRASES)


def _action_at(words: list[str]) -> int:
    """Index of the first strong action word, or -1."""
    best = -1
    for phrase in _ACTIONS:
        if tuple(phrase) in _WEAK_ACTIONS:
            continue
        i = _contains(words, phrase)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


def _weak_action_after_past(words: list[str]) -> bool:
    for i in range(len(words)):
        if any(_starts(words, p, i) for p in _PAST):
            if any(_starts(words, list(w), i + 1) or _starts(words, list(w), i + 2) for w in _WEAK_ACTIONS):
                return True
    return False


def _reads_as_deed(words: list[str]) -> bool:
    if len(words) < 2:
        return False
    action = _action_at(words)
    negated = next((i for i, w in enumerate(words) if w in _NEGATION), -1)
    if negated >= 0 and (action < 0 or negated < action):
        return False  # "tôi không nhận được bài" is a complaint; "nhắc các cháu không đốt pháo" a deed
    if action >= 0:
        return True
    starts_with_verb = any(_starts(words, list(w)) for w in _WEAK_ACTIONS)
    if len(words) >= 4 and starts_with_verb and words[:2] not in (["dong", "chi"], ["day", "la"]):
        return True  # a message that starts with its verb: "Cõng bà cụ qua…", "Trồng 10 cây…"
    return _weak_action_after_past(words) and len(words) >= 3


def read_intent(text: str | None, table: TypedCommands) -> Intent:
    """What ``text`` (a private message without slash) asks for; see the module's docstring."""
    raw = (text or "").strip()
    if not raw:
        return OTHER
    if _only_symbols(raw):
        return Intent("courtesy", tone="ack")
    m = _CODE.match(raw)
    if m:
        return Intent("code", args="".join(ch for ch in m.group(1) if ch.isdigit()))
    words = fold(raw).split()
    for label in _CODE_LABELS:
        if _starts(words, label) and _code_arg(words[len(label) :]) and "".join(words[len(label) :]).isdigit():
            return Intent("code", args="".join(words[len(label) :]))
    if _courtesy(words):  # before commands: "rồi" is agreement, not /roi
        return Intent("courtesy", tone=_tone(words))
    command = _read_command(raw, words, table)
    if command is not None:
        return command
    if _is_question(raw, words) or _is_request(words) or _is_plan(words):
        return OTHER
    if _reads_as_deed(words):
        return Intent("deed")
    return OTHER
