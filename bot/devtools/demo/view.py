"""What the demo page shows of a chat: bot messages (HTML made into styled text runs), user messages.

The page never parses HTML: the bot's Telegram-HTML is split here into runs of plain text with style
flags, and the browser puts each run in a span with ``textContent``. So no text written by a person or
the bot can become markup in the page.
"""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from bot.devtools.emulator.telegram_state import OutEvent

# Telegram tag -> the one style flag the page knows for it.
_STYLE = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s", "strike": "s",
          "del": "s", "code": "code", "pre": "pre", "blockquote": "quote", "tg-spoiler": "spoiler"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class _Runs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None]] = []  # (tag, href)
        self.runs: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        self.open.append((tag, href))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        if not data:
            return
        styles = sorted({_STYLE[t] for t, _h in self.open if t in _STYLE})
        run: dict[str, Any] = {"t": data}
        if styles:
            run["s"] = styles
        href = next((h for t, h in reversed(self.open) if t == "a" and h), None)
        if href and href.startswith(("http://", "https://")):
            run["href"] = href
        self.runs.append(run)


def text_runs(text: str, parse_mode: str | None) -> list[dict[str, Any]]:
    """``[{"t": text, "s": ["b", ...], "href": url}]`` for a message text as sent."""
    if (parse_mode or "").lower() != "html":
        return [{"t": text}] if text else []
    parser = _Runs()
    parser.feed(text)
    parser.close()
    return parser.runs


def bot_item(event: OutEvent, at: str) -> dict[str, Any]:
    """One bot message (its state after this event) as the page renders it."""
    rec = event.record
    rows = (event.reply_markup or {}).get("inline_keyboard") or []
    buttons = [[_button(b) for b in row] for row in rows]
    photo = rec.photo[-1]["file_id"] if rec.photo else None
    document = (rec.document or {}).get("file_name") if rec.document else None
    return {
        "key": f"b:{rec.message_id}",
        "from": "bot",
        "message_id": rec.message_id,
        "runs": text_runs(event.html, event.parse_mode),
        "text": event.text,
        "buttons": buttons,
        "photo": f"/media/{photo}" if photo else None,
        "document": document,
        "edited": event.kind == "edit",
        "deleted": event.kind == "delete",
        "at": at,
    }


def _button(b: dict[str, Any]) -> dict[str, Any]:
    if "callback_data" in b:
        return {"label": b.get("text", ""), "data": b["callback_data"]}
    url = b.get("url", "")
    return {"label": b.get("text", ""), "url": url if url.startswith(("http://", "https://")) else None}


def user_item(n: int, author: str, text: str, at: str, photo_file_id: str | None = None) -> dict[str, Any]:
    return {"key": f"u:{n}", "from": "user", "author": author, "runs": [{"t": text}] if text else [],
            "text": text, "buttons": [], "photo": f"/media/{photo_file_id}" if photo_file_id else None,
            "document": None, "edited": False, "deleted": False, "at": at}


def notice_item(n: int, text: str, at: str) -> dict[str, Any]:
    """A small toast line, e.g. the bot's answer to a button press."""
    return {"key": f"n:{n}", "from": "notice", "runs": [{"t": text}], "text": text, "buttons": [],
            "photo": None, "document": None, "edited": False, "deleted": False, "at": at}


def menu_of(reply_markup: dict[str, Any] | None) -> list[list[str]] | None:
    """The persistent keyboard a message sets: rows of labels, [] when removed, None if untouched."""
    if not reply_markup:
        return None
    if reply_markup.get("remove_keyboard"):
        return []
    rows = reply_markup.get("keyboard")
    if rows is None:
        return None
    return [[b.get("text", "") if isinstance(b, dict) else str(b) for b in row] for row in rows]


def clock_json(local: datetime) -> dict[str, str]:
    return {"iso": local.isoformat(), "time": local.strftime("%H:%M"),
            "label": f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y} · {local:%H:%M}"}
