"""gettext-style translation with per-feature .po catalogs read directly by Babel.

Source strings (msgids) are English. Vietnamese (the default) lives in ``bot/locales/vi/*.po``, one file per
feature so features can grow without touching each other's catalogs. English falls back to the msgid.
The active locale is a context variable: the dispatcher sets it per update, and code that renders a message
for someone else (outbox rows) wraps the rendering in ``use_locale(recipient_locale)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "vi"
SUPPORTED = ("vi", "en")

_current: ContextVar[str] = ContextVar("hocbac_locale", default=DEFAULT_LOCALE)


def conflicts(locale: str) -> list[str]:
    """msgids translated differently in two catalogs (the test suite keeps this empty)."""
    catalog(locale)
    return _CONFLICTS.get(locale, [])


_CONFLICTS: dict[str, list[str]] = {}


@cache
def catalog(locale: str) -> dict[str, str]:
    """All translations for one locale, merged from every .po file of that locale (first one wins)."""
    merged: dict[str, str] = {}
    folder = LOCALES_DIR / locale
    if not folder.is_dir():
        return merged
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for message in cat:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                if message.id in merged:
                    if merged[message.id] != message.string:
                        _CONFLICTS.setdefault(locale, []).append(f"{po.name}: {message.id!r}")
                    continue
                merged[message.id] = str(message.string)
    return merged


def gettext(msgid: str) -> str:
    return catalog(_current.get()).get(msgid, msgid)


_ = gettext


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    token = _current.set(locale if locale in SUPPORTED else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> None:
    _current.set(locale if locale in SUPPORTED else DEFAULT_LOCALE)
