"""What a dashboard page function returns. The web layer (bot.features.dashboard.web) wraps a Page in the
layout (header, navigation, period selector, CSP-safe assets) and sends a Download as a file."""

from __future__ import annotations

from dataclasses import dataclass, field

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIODS = ("m", "q", "y")


@dataclass(slots=True)
class Page:
    """One page. ``title`` is plain text (the layout escapes it); ``body`` is HTML in which every piece of
    user text has already gone through ``bot.messages.esc`` (or ``html.escape``)."""

    title: str
    body: str
    period: str | None = None  # "m" | "q" | "y" when the page has a month / quarter / year selector
    crumbs: list[tuple[str, str]] = field(default_factory=list)  # (label, path) links above the title


@dataclass(slots=True)
class Download:
    """A file the page offers (an .xlsx export); the export function has written its audit record."""

    data: bytes
    filename: str
    mime: str = XLSX_MIME
