"""The live numbered choices of one chat, on channels without buttons (Zalo).

Every message with choices adds a *group* (one card: "Ghi nhận / Biểu dương / Trả lại") to the chat's map
in the conversation state. A new card takes the lowest run of numbers no live card holds, so one reply of
several cards reads "1–3" for the first deed and "4–6" for the second, and an older card (a pledge notice,
yesterday's digest) stays answerable while newer ones arrive. A card whose choice answers its question
(``answer``) closes; its numbers are remembered for a while so a number typed for it again gets "already
answered" (``answered``) rather than a second press. The map is small: past
``MAX_LIVE`` entries the oldest cards close and their numbers are free again; /huy and a form's typed
question close them all. A number the bot handed out lately that no live card holds gets a polite reply
(``is_stale``) instead of being taken for a good deed.

State shape: ``state["choices"] = [{"n": 4, "g": 4, "label": "✅ Ghi nhận", "data": "dr:…"}, …]`` (``g`` is
the first number of the entry's group), ``state["choices_high"]`` the highest number handed out lately.
"""

from __future__ import annotations

from typing import Any

from bot.messages import Button
from bot.text import fold, pick_choice

MAX_LIVE = 30
_KEY = "choices"
_HIGH = "choices_high"
_ANSWERED = "choices_answered"
MAX_ANSWERED = 10


def live(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The live entries, each with its number ``n`` and group ``g`` (older states had neither)."""
    entries = state.get(_KEY) or []
    out = []
    for i, entry in enumerate(entries):
        n = int(entry.get("n", i + 1))
        out.append({"n": n, "g": int(entry.get("g", 1)), "label": entry["label"], "data": entry["data"]})
    return out


def add_group(state: dict[str, Any], buttons: list[Button]) -> int:
    """Number ``buttons`` (one message's choices) after the live ones and keep them; return the first
    number. The same choices again (a re-sent card, a retried delivery) keep the numbers they had."""
    entries = live(state)
    data = [b.data for b in buttons]
    for g in dict.fromkeys(e["g"] for e in entries):
        group = [e for e in entries if e["g"] == g]
        if [e["data"] for e in group] == data:
            return g
    while entries and len(entries) + len(buttons) > MAX_LIVE:  # close the oldest cards
        oldest = entries[0]["g"]
        entries = [e for e in entries if e["g"] != oldest]
    used = {e["n"] for e in entries}
    start = 1
    while any(start + i in used for i in range(len(buttons))):
        start += 1
    entries += [{"n": start + i, "g": start, "label": b.label, "data": b.data} for i, b in enumerate(buttons)]
    state[_KEY] = entries
    taken = set(range(start, start + len(buttons)))  # those numbers mean the new card now, not an answered one
    state[_ANSWERED] = [a for a in state.get(_ANSWERED) or [] if not taken & set(a["numbers"])]
    state[_HIGH] = max(int(state.get(_HIGH, 0)), max(e["n"] for e in entries))
    return start


def take(state: dict[str, Any], text: str | None) -> dict[str, Any] | None:
    """The live choice a typed answer stands for ("5", "5.", or a label's words); None when it names
    none. Words are matched in the newest card first, then in all live cards when only one has them."""
    entries = live(state)
    if not entries or not text:
        return None
    picked: dict[str, Any] | None = None
    wanted = _number(text)
    if wanted is not None:
        picked = next((e for e in entries if e["n"] == wanted), None)
    else:
        newest = [e for e in entries if e["g"] == entries[-1]["g"]]
        index = pick_choice(text, [e["label"] for e in newest])
        if index is not None:
            picked = newest[index]
        else:
            index = pick_choice(text, [e["label"] for e in entries])
            if index is not None and sum(fold(e["label"]) == fold(entries[index]["label"]) for e in entries) == 1:
                picked = entries[index]
    return picked


def is_stale(state: dict[str, Any], text: str | None) -> int | None:
    """The number typed, when it is one the bot handed out lately but no live card holds any more."""
    wanted = _number(text)
    if wanted is None or wanted > int(state.get(_HIGH, 0)):
        return None
    return None if any(e["n"] == wanted for e in live(state)) else wanted


def answer(state: dict[str, Any], picked: dict[str, Any]) -> None:
    """``picked`` (an entry of ``take``) answers its card: the card closes, and its numbers and labels are
    remembered as answered."""
    entries = live(state)
    card = [e for e in entries if e["g"] == picked["g"]]
    state[_KEY] = [e for e in entries if e["g"] != picked["g"]]
    numbers = {e["n"] for e in card}
    done = [a for a in state.get(_ANSWERED) or [] if not numbers & set(a["numbers"])]
    done.append({"numbers": sorted(numbers), "labels": [e["label"] for e in card], "chosen": picked["label"]})
    state[_ANSWERED] = done[-MAX_ANSWERED:]


def answered(state: dict[str, Any], text: str | None) -> dict[str, Any] | None:
    """The answered card a typed number belongs to (or, for the card answered last, one of its labels:
    "da nhan" for "Đã nhận ✓"); None when the text names none."""
    done = state.get(_ANSWERED) or []
    if not done or not text:
        return None
    wanted = _number(text)
    if wanted is not None:
        return next((a for a in reversed(done) if wanted in a["numbers"]), None)
    return done[-1] if pick_choice(text, list(done[-1]["labels"])) is not None else None


def clear(state: dict[str, Any]) -> None:
    state.pop(_KEY, None)


def _number(text: str | None) -> int | None:
    stripped = (text or "").strip().rstrip(".)").strip()
    return int(stripped) if stripped.isdigit() and len(stripped) <= 2 else None
