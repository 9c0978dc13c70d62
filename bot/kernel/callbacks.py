"""Typed button data: one frozen dataclass per button kind, packed into at most 64 bytes.

A kind is declared once, in its feature's ``callbacks.py``::

    @dataclass(frozen=True, slots=True)
    class ApprovePledge(CallbackData, prefix="pl.ok"):
        pledge_id: int
        version: int

``ApprovePledge(3, 2).pack()`` gives ``"pl.ok:3:2"``; ``ApprovePledge.parse(data)`` gives the value back or
raises :class:`StaleButton`. Button data comes from the user and is never trusted, so parsing is strict:
wrong prefix, wrong field count, a non-number, an 19-digit number, a bad date or an unknown choice are all
"stale". Supported field types: ``int`` (0..18 digits), ``str`` (non-empty), ``bool``, ``date``, a
``Literal`` of strings, a ``StrEnum``, and any of these ``| None`` (packed as an empty field).
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
_INT = re.compile(r"\d{1,18}")  # ids fit in a BIGINT; anything longer is garbage
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PREFIX = re.compile(r"[a-z][a-z0-9.]{0,15}")
C = TypeVar("C", bound="CallbackData")


class StaleButton(Exception):
    """Button data that does not (or no longer) match any button kind. Answered with one polite reply."""


class CallbackData:
    """Base of every button kind; subclasses are frozen dataclasses declared with ``prefix=``."""

    prefix: ClassVar[str] = ""
    __slots__ = ()

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
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
        if not _INT.fullmatch(text):
            raise ValueError(f"{where}: {value!r} is not a packable int")
        return text
    if inner is date:
        return value.isoformat()
    text = str(value.value if isinstance(value, enum.Enum) else value)
    if not text or SEP in text:
        raise ValueError(f"{where}: {value!r} is empty or contains {SEP!r}")
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
        if not _INT.fullmatch(text):
            raise StaleButton(f"bad int {text[:20]!r}")
        return int(text)
    if inner is date:
        if not _DATE.fullmatch(text):
            raise StaleButton(f"bad date {text!r}")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise StaleButton(f"bad date {text!r}") from None
    if inner is str:
        return text
    if typing.get_origin(inner) is Literal:
        if text not in typing.get_args(inner):
            raise StaleButton(f"unknown choice {text!r}")
        return text
    try:
        return inner(text)  # a StrEnum
    except ValueError:
        raise StaleButton(f"unknown choice {text!r}") from None
