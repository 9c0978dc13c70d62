"""Typed button data: one frozen dataclass per button kind, packed into at most 64 bytes.

A kind is declared once, in its feature's ``callbacks.py``::

    @dataclass(frozen=True, slots=True)
    class ApprovePledge(CallbackData, prefix="pl.ok"):
        pledge_id: int
        version: int

``ApprovePledge(3, 2).pack()`` gives ``"pl.ok:3:2"``; ``ApprovePledge.parse(data)`` gives the value back or
raises :class:`StaleButton`. Button data comes from the user and is never trusted, so parsing is strict:
wrong prefix, wrong field count, a non-number, an id past MAX_INT, a bad date or an unknown choice are all
"stale". Supported field types: ``int`` (0..MAX_INT, plain ASCII digits), ``str`` (1..64 of
``[A-Za-z0-9_.-]``), ``bool``, ``date`` (years 2000..2099), a ``Literal`` of strings, a ``StrEnum``, and any of
these ``| None`` (packed as an empty field).

Decoding is total: whatever the data, ``parse`` returns a value or raises StaleButton, never another error,
and a value it returns is one the handlers and the database can take (no id past the columns' range, no
date that overflows a timedelta).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from datetime import date
from typing import Any, ClassVar, Literal, TypeVar, Union

from bot.messages import MAX_CALLBACK_BYTES

SEP = ":"
# Ids are INTEGER columns (int32 on PostgreSQL, where a larger bound parameter is a DataError, not "no
# row"), so a button int stops there: well inside int64, and a 59-digit id is stale, never a traceback.
MAX_INT = 2**31 - 1
_INT = re.compile(r"0|[1-9][0-9]{0,9}")  # ASCII only: \d would take "١٢" or "１２"
_DATE = re.compile(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}")  # years 2000..2099: no date arithmetic overflows
_STR = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # tokens such as a draft's nonce; no spaces, no unicode
_PREFIX = re.compile(r"[a-z][a-z0-9.]{0,15}")
C = TypeVar("C", bound="CallbackData")


class StaleButton(Exception):
    """Button data that does not (or no longer) match any button kind. Answered with one polite reply."""


class CallbackData:
    """Base of every button kind; subclasses are frozen dataclasses declared with ``prefix=``."""

    prefix: ClassVar[str] = ""
    # True for a kind that answers the question its message asked (a verdict, yes/no, a level): once the
    # press is handled, the kernel edits that message to show the choice and removes its buttons.
    answers: ClassVar[bool] = False
    __slots__ = ()

    def __init_subclass__(cls, prefix: str = "", answers: bool | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if answers is not None:
            cls.answers = answers
        if not prefix:
            return  # a slotted dataclass is rebuilt as a subclass; it inherits the prefix
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"bad button prefix {prefix!r} for {cls.__name__}")
        cls.prefix = prefix

    # --- packing ---

    def pack(self) -> str:
        parts = [self.prefix]
        for f, kind in _fields(type(self)):
            parts.append(_pack_value(getattr(self, f.name), kind, f"{type(self).__name__}.{f.name}"))
        data = SEP.join(parts) if len(parts) > 1 else self.prefix
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"button data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls: type[C], data: str) -> C:
        try:
            return cls._parse(data)
        except StaleButton:
            raise
        except Exception as exc:  # total: whatever else goes wrong decoding user data, it is stale data
            raise StaleButton(f"undecodable ({type(exc).__name__})") from None

    @classmethod
    def _parse(cls: type[C], data: str) -> C:
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise StaleButton("too long")
        head, _sep, rest = data.partition(SEP)
        if head != cls.prefix:
            raise StaleButton(f"prefix {head!r} is not {cls.prefix!r}")
        fields = _fields(cls)
        raw = rest.split(SEP) if _sep else []
        if len(raw) != len(fields):
            raise StaleButton(f"{cls.__name__} takes {len(fields)} fields, got {len(raw)}")
        values = {f.name: _parse_value(text, kind) for (f, kind), text in zip(fields, raw, strict=True)}
        return cls(**values)


def prefix_of(data: str) -> str:
    """The button kind's prefix of some raw data (what the registry looks up)."""
    return data.partition(SEP)[0]


# --- field codecs ---------------------------------------------------------------------------------


def _fields(cls: type[CallbackData]) -> list[tuple[dataclasses.Field[Any], Any]]:
    cached = cls.__dict__.get("_codec_fields")
    if cached is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        hints = typing.get_type_hints(cls)
        cached = [(f, hints[f.name]) for f in dataclasses.fields(cls)]
        for f, kind in cached:
            _check_kind(kind, f"{cls.__name__}.{f.name}")
        type.__setattr__(cls, "_codec_fields", cached)  # computed once per class, on first use
    return cached


def _optional(kind: Any) -> tuple[Any, bool]:
    if typing.get_origin(kind) in (Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(kind)) == 2:
            return args[0], True
    return kind, False


def _check_kind(kind: Any, where: str) -> None:
    inner, _opt = _optional(kind)
    if inner in (int, str, bool, date):
        return
    if isinstance(inner, type) and issubclass(inner, enum.StrEnum):
        return
    if typing.get_origin(inner) is Literal and all(isinstance(a, str) for a in typing.get_args(inner)):
        return
    raise TypeError(f"{where}: unsupported button field type {kind!r}")


def _pack_value(value: Any, kind: Any, where: str) -> str:
    inner, optional = _optional(kind)
    if value is None:
        if not optional:
            raise ValueError(f"{where} is None")
        return ""
    if inner is bool:
        return "1" if value else "0"
    if inner is int:
        text = str(int(value))
        if not _INT.fullmatch(text) or int(text) > MAX_INT:
            raise ValueError(f"{where}: {value!r} is not a packable int")
        return text
    if inner is date:
        text = value.isoformat()
        if not _DATE.fullmatch(text):
            raise ValueError(f"{where}: {value!r} is outside the years 2000..2099")
        return text
    text = str(value.value if isinstance(value, enum.Enum) else value)
    if not text or SEP in text:
        raise ValueError(f"{where}: {value!r} is empty or contains {SEP!r}")
    if inner is str and not _STR.fullmatch(text):
        raise ValueError(f"{where}: {value!r} is not a button token ([A-Za-z0-9_.-])")
    if typing.get_origin(inner) is Literal and text not in typing.get_args(inner):
        raise ValueError(f"{where}: {value!r} is not one of {typing.get_args(inner)}")
    return text


def _parse_value(text: str, kind: Any) -> Any:
    inner, optional = _optional(kind)
    if text == "":
        if optional:
            return None
        raise StaleButton("empty field")
    if inner is bool:
        if text not in ("0", "1"):
            raise StaleButton(f"bad bool {text!r}")
        return text == "1"
    if inner is int:
        if not _INT.fullmatch(text) or int(text) > MAX_INT:
            raise StaleButton(f"bad int {text[:20]!r}")
        return int(text)
    if inner is date:
        if not _DATE.fullmatch(text):
            raise StaleButton(f"bad date {text[:20]!r}")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise StaleButton(f"bad date {text[:20]!r}") from None
    if inner is str:
        if not _STR.fullmatch(text):
            raise StaleButton(f"bad token {text[:20]!r}")
        return text
    if typing.get_origin(inner) is Literal:
        if text not in typing.get_args(inner):
            raise StaleButton(f"unknown choice {text[:20]!r}")
        return text
    try:
        return inner(text)  # a StrEnum
    except ValueError:
        raise StaleButton(f"unknown choice {text[:20]!r}") from None
