"""Dates and times as people type them: the one parser for every date or time a person writes.

Relative words are read against a ``today`` the caller passes (``ctx.today``: the branch's local date), so
the parser never reads a clock. Understood (with or without diacritics, any case):

- days: "hôm nay", "hôm qua", "hôm kia", "mai", "ngày mai", "ngày kia", "ngày mốt", "3 ngày trước";
  "thứ hai" … "thứ bảy", "thứ 2" … "thứ 7", "t2", "chủ nhật", "cn", alone or with "tuần trước",
  "tuần này", "tuần sau" / "tuần tới"; "28/11", "28-11", "28.11", "28/11/2026", "28.11.26", "2026-11-28",
  "ngày 28 tháng 11 (năm 2026)"; an optional leading "ngày" / "vào".
- times: "19h", "19h30", "19g30", "19:30", "19.30", "19 giờ", "19 giờ 30", "7 giờ tối", "7h sáng",
  "8 giờ rưỡi", "2 giờ chiều".
- both: "19h 28/11", "28/11 19:30", "7 giờ tối thứ 6 tuần này", "19h ngày mai".

Errors are :class:`WhenError` (an ``InvalidInput``) whose message says what was wrong and gives an example
computed from today that the question would accept ("Tháng 11 chỉ có 30 ngày. Ví dụ: 30/11/2026").
A pledge's free-text timetable ("tháng 12/2026", "quý I/2027", "hằng tháng") is checked by
:func:`check_timetable`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TypeVar

from bot.i18n import _
from bot.services.errors import InvalidInput

T = TypeVar("T")


class WhenError(InvalidInput):
    """A date or time that was typed but cannot be used; the message says why, with an example."""


def _plain(text: str | None) -> str:
    """Lower case, no diacritics (đ -> d), spaces collapsed; punctuation is kept (":" "/" "." "-")."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text).casefold()
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(kept.split())


def show(day: date) -> str:
    """28/11/2026: the one way a date is shown back to people."""
    return day.strftime("%d/%m/%Y")


def show_short(day: date) -> str:
    return day.strftime("%d/%m")


def show_time(at: time | None) -> str:
    """19:30: the one way a time of day is shown back."""
    return at.strftime("%H:%M") if at is not None else ""


def weekday_name(day: date) -> str:
    names = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
    return names[day.weekday()]


def show_with_weekday(day: date) -> str:
    """"Thứ bảy, 28/11/2026": so a person sees which day "thứ 7 tuần sau" was taken for."""
    return _("{weekday}, {date}").format(weekday=weekday_name(day), date=show(day))


# --- days ------------------------------------------------------------------------------------------

_RELATIVE = {
    "hom nay": 0, "nay": 0, "bua nay": 0, "today": 0,
    "hom qua": -1, "qua": -1, "bua qua": -1, "yesterday": -1,
    "hom kia": -2, "bua kia": -2,
    "mai": 1, "ngay mai": 1, "tomorrow": 1,
    "ngay kia": 2, "mot": 2, "ngay mot": 2,
}
_DAYS_AGO = re.compile(r"^(\d{1,3}) ngay (truoc|nua|toi|sau)$")
_WEEKDAY_WORDS = {"hai": 0, "ba": 1, "tu": 2, "bon": 2, "nam": 3, "sau": 4, "bay": 5}
_WEEKDAY = re.compile(
    r"^(?:thu\s*(?P<word>hai|ba|tu|bon|nam|sau|bay)|thu\s*(?P<num>[2-7])|t(?P<short>[2-7])|(?P<sun>chu nhat|cn))"
    r"(?:\s+(?:cua\s+)?tuan\s+(?P<week>truoc|qua|nay|sau|toi|ke))?$"
)
_WEEK_OFFSET = {"truoc": -1, "qua": -1, "nay": 0, "sau": 1, "toi": 1, "ke": 1}
_NUMERIC = re.compile(r"^(\d{1,2})\s*([/.\-])\s*(\d{1,2})(?:\s*\2\s*(\d{4}|\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?$")
_LEAD = re.compile(r"^(?:vao\s+)?(?:(?:ngay|hom)\s+(?=\d))?")


@dataclass(frozen=True)
class _Window:
    today: date
    earliest: date | None
    latest: date | None
    example: date

    @property
    def prefer(self) -> str:
        if self.latest is not None and self.latest <= self.today:
            return "past"
        if self.earliest is not None and self.earliest >= self.today:
            return "future"
        return "year"

    def fits(self, day: date) -> bool:
        return (self.earliest is None or day >= self.earliest) and (self.latest is None or day <= self.latest)

    def sample(self) -> str:
        return show(self.example)


_HALF_YEAR = 183


def _year_for(day: int, month: int, w: _Window) -> int:
    """The year of a typed day and month: the nearest one the question looks for."""
    year = w.today.year
    last = calendar.monthrange(year, month)[1]
    candidate = date(year, month, min(day, last))
    # Only across new year: "28/12" typed in January is last December's, but "05/03" typed on 02/03 for a
    # deed is a mistake to point out, not a day of last year.
    if w.prefer == "past" and (candidate - w.today).days > _HALF_YEAR:
        return year - 1
    if w.prefer == "future" and (w.today - candidate).days > _HALF_YEAR:
        return year + 1
    return year


def _calendar_day(day: int, month: int, year: int | None, w: _Window) -> date:
    if not 1 <= month <= 12:
        raise WhenError(_("The month must be from 1 to 12. E.g. {example}.").format(example=w.sample()))
    if not 1 <= day <= 31:
        raise WhenError(_("The day must be from 1 to 31. E.g. {example}.").format(example=w.sample()))
    if year is None:
        year = _year_for(day, month, w)
    elif year < 100:
        year += 2000
    last = calendar.monthrange(year, month)[1]
    if day > last:
        end = date(year, month, last)
        example = show(end) if w.fits(end) else w.sample()
        if month == 2:
            raise WhenError(_("February {year} has only {n} days. E.g. {example}.").format(
                year=year, n=last, example=example))
        raise WhenError(_("Month {month} has only {n} days. E.g. {example}.").format(
            month=month, n=last, example=example))
    return date(year, month, day)


def _weekday(m: re.Match[str], w: _Window) -> date:
    if m.group("sun"):
        wd = 6
    elif m.group("word"):
        wd = _WEEKDAY_WORDS[m.group("word")]
    else:
        wd = int(m.group("num") or m.group("short")) - 2
    monday = w.today - timedelta(days=w.today.weekday())  # a Vietnamese week runs thứ hai .. chủ nhật
    week = m.group("week")
    if week:
        return monday + timedelta(days=7 * _WEEK_OFFSET[week] + wd)
    day = monday + timedelta(days=wd)
    if w.prefer == "past" and day > w.today:
        day -= timedelta(days=7)
    elif w.prefer == "future" and day < w.today:
        day += timedelta(days=7)
    return day


def _parse_day(text: str, w: _Window) -> date | None:
    """The day written in ``text``; None when it is not written like a day at all."""
    plain = _plain(text).strip(" ,.!?")
    if not plain:
        return None
    if plain in _RELATIVE:
        return w.today + timedelta(days=_RELATIVE[plain])
    m = _DAYS_AGO.match(plain)
    if m:
        n = int(m.group(1))
        return w.today - timedelta(days=n) if m.group(2) == "truoc" else w.today + timedelta(days=n)
    m = _WEEKDAY.match(re.sub(r"^(?:vao\s+)?(?:ngay\s+|hom\s+)?", "", plain))
    if m:
        return _weekday(m, w)
    body = _LEAD.sub("", plain)
    m = _ISO.match(body)
    if m:
        return _calendar_day(int(m.group(3)), int(m.group(2)), int(m.group(1)), w)
    m = _NUMERIC.match(body)
    if m:
        return _calendar_day(int(m.group(1)), int(m.group(3)), int(m.group(4)) if m.group(4) else None, w)
    m = _WORDS.match(body)
    if m:
        return _calendar_day(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None, w)
    return None


def _window(today: date, earliest: date | None, latest: date | None, example: date | None) -> _Window:
    if example is None:
        example = today
        if earliest is not None and example < earliest:
            example = earliest
        if latest is not None and example > latest:
            example = latest
    return _Window(today, earliest, latest, example)


def _word_for(w: _Window) -> str:
    return {"past": _("yesterday"), "future": _("tomorrow")}.get(w.prefer, _("today"))


def _check_window(day: date, w: _Window) -> date:
    if w.earliest is not None and day < w.earliest:
        if w.earliest == w.today:
            raise WhenError(_("{day} has already passed. Please choose a day from today on, e.g. {example}.").format(
                day=show(day), example=w.sample()))
        if w.earliest < w.today:
            raise WhenError(_("{day} is more than {n} days ago. Please choose a day from {first} on, "
                              "e.g. {example}.").format(day=show(day), n=(w.today - w.earliest).days,
                                                        first=show(w.earliest), example=w.sample()))
        raise WhenError(_("{day} is too early. Please choose a day from {first} on, e.g. {example}.").format(
            day=show(day), first=show(w.earliest), example=w.sample()))
    if w.latest is not None and day > w.latest:
        if w.latest == w.today:
            raise WhenError(_("{day} has not come yet. Please choose a day up to today, e.g. {example}.").format(
                day=show(day), example=w.sample()))
        raise WhenError(_("{day} is too far ahead. Please choose a day up to {last}, e.g. {example}.").format(
            day=show(day), last=show(w.latest), example=w.sample()))
    return day


def _checked_day(text: str, w: _Window) -> date | None:
    day = _parse_day(text, w)
    return None if day is None else _check_window(day, w)


def _unreadable_day(w: _Window) -> WhenError:
    return WhenError(
        _("I could not read that as a date. Please type the day and month, e.g. {example}, or a word "
          "such as “{word}”.").format(example=w.sample(), word=_word_for(w)))


def read_day(text: str | None, today: date, *, earliest: date | None = None, latest: date | None = None,
             example: date | None = None) -> date:
    """The day a person typed, within ``earliest`` .. ``latest`` (either may be None: no bound).

    A day typed without a year is the nearest one the question looks for: in the past when nothing after
    today is allowed (a deed), ahead when nothing before today is (a meeting), else this year. ``example``
    (by default today, moved into the window) is shown in the errors. Raises :class:`WhenError`.
    """
    w = _window(today, earliest, latest, example)
    day = _checked_day(text or "", w)
    if day is None:
        raise _unreadable_day(w)
    return day


def parse_day(text: str | None, today: date) -> date | None:
    """A typed day (this year when no year is given), or None when it is not a valid one."""
    try:
        return _parse_day(text or "", _window(today, None, None, None))
    except WhenError:
        return None


# --- times of day ----------------------------------------------------------------------------------

_TIME = re.compile(
    r"^(?P<h>\d{1,2})\s*"
    r"(?:(?::|\.)\s*(?P<m1>\d{2})"
    r"|(?:h|g|gio)(?:\s*(?:(?P<m2>\d{2})\s*(?:p|phut)?|(?P<half>ruoi)))?"
    r"|(?=\s*(?:sang|trua|chieu|toi|dem)))"
    r"\s*(?P<part>sang|trua|chieu|toi|dem)?$"
)
TIME_EXAMPLE = "19:30"


def _time_match(text: str | None) -> re.Match[str] | None:
    return _TIME.match(_plain(text).strip(" ,.!?"))


def _time_of(m: re.Match[str], example: str = TIME_EXAMPLE) -> time:
    hour = int(m.group("h"))
    minute = 30 if m.group("half") else int(m.group("m1") or m.group("m2") or 0)
    part = m.group("part")
    if hour > 23:
        raise WhenError(_("The hour must be from 0 to 23. E.g. {example}.").format(example=example))
    if minute > 59:
        raise WhenError(_("The minutes must be from 0 to 59. E.g. {example}.").format(example=example))
    if part == "sang" and hour > 12:
        raise WhenError(_("{hour} o'clock is not in the morning. E.g. 7 giờ sáng or 19:00.").format(hour=hour))
    if part in ("chieu", "toi") and hour < 12:
        hour += 12
    elif part == "trua" and hour < 6:
        hour += 12
    elif part == "dem" and 6 <= hour < 12:
        hour += 12
    elif part == "dem" and hour == 12:
        hour = 0
    return time(hour, minute)


def read_time(text: str | None, example: str = TIME_EXAMPLE) -> time:
    """The time of day a person typed. Raises :class:`WhenError` with what was wrong and ``example``."""
    m = _time_match(text)
    if m is None:
        raise WhenError(_("I could not read that as a time. Please type it like {example} or 19h.").format(
            example=example))
    return _time_of(m, example)


def parse_time(text: str | None) -> time | None:
    """A typed time of day, or None when it is not one (e.g. "25:99", "sáng mai")."""
    try:
        return read_time(text)
    except WhenError:
        return None


# --- a day and a time together ---------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    day: date | None
    at: time | None


def read_moment(text: str | None, today: date, *, earliest: date | None = None, latest: date | None = None,
                example: date | None = None) -> Moment:
    """A day, a time, or both in either order ("19h 28/11", "28/11 lúc 19:30", "7 giờ tối thứ 6").

    "28.11" is a day, "19.30" a time. Raises :class:`WhenError` when nothing can be read, or with what is
    wrong in the part that looks like a date or a time ("19h 31/11": November has 30 days).
    """
    w = _window(today, earliest, latest, example)
    words = [word for word in (text or "").replace(",", " ").split() if _plain(word) not in ("luc", "vao")]
    whole = " ".join(words)
    errors: list[WhenError] = []

    def attempt(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except WhenError as exc:
            errors.append(exc)
            return None

    day = attempt(lambda: _checked_day(whole, w))
    if day is not None:
        return Moment(day, None)
    m = _time_match(whole)
    if m is not None:
        at = attempt(lambda: _time_of(m))
        if at is not None:
            return Moment(None, at)
    n = len(words)
    # The longest time first: "7 giờ tối thứ 6" is 19:00 on Friday, not 7:00 on "tối thứ 6".
    splits = [(words[:k], words[k:]) for k in range(n - 1, 0, -1)] + [(words[k:], words[:k]) for k in range(1, n)]
    for time_words, day_words in splits:
        tm = _time_match(" ".join(time_words))
        if tm is None:
            continue
        at = attempt(lambda tm=tm: _time_of(tm))  # type: ignore[misc]
        if at is None:
            continue
        day = attempt(lambda d=day_words: _checked_day(" ".join(d), w))  # type: ignore[misc]
        if day is not None:
            return Moment(day, at)
    if errors:
        raise errors[0]
    raise _unreadable_day(w)


# --- a pledge's timetable --------------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_T_FULL = re.compile(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?![\d/.\-])")
_T_MONTH = re.compile(r"\b(?:thang|t)\s*(\d{1,2})(?:\s*(?:/|-|\.|nam)\s*(\d{4}))?(?![\d/])")
_T_MONTH_NUM = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*/\s*(\d{4})(?![\d/])")
_T_QUARTER = re.compile(r"\bquy\s*(iv|iii|ii|i|\d)\b(?:\s*(?:/|-|nam)\s*(\d{4}))?")
_T_DAY_MONTH = re.compile(r"(?<![\d/.\-])(\d{1,2})/(\d{1,2})(?![\d/])")
_T_YEAR = re.compile(r"\bnam\s*(\d{4})\b")


def _timetable_example(today: date) -> str:
    return _("month 12/{year}; quarter IV/{year}; monthly").format(year=today.year) if today.month < 12 else \
        _("month 12/{year}; quarter IV/{year}; monthly").format(year=today.year + 1)


def check_timetable(text: str, today: date) -> str:
    """A pledge deed's "when": months 1-12, quarters I-IV, and nothing that ended before ``today``.

    Free phrases ("hằng tháng", "cả năm", "thường xuyên") pass as they are. Returns the text unchanged.
    """
    plain = _plain(text)
    example = _timetable_example(today)
    this_month = (today.year, today.month)

    def passed(label: str) -> WhenError:
        return WhenError(_("{period} has already passed. E.g. {example}.").format(period=label, example=example))

    for m in _T_FULL.finditer(plain):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day = _calendar_day(d, mo, y, _window(today, today, None, None))
        if day < today:
            raise passed(_("Day {day}").format(day=show(day)))
        plain = plain.replace(m.group(0), " ")
    for m in _T_QUARTER.finditer(plain):
        raw = m.group(1)
        quarter = _ROMAN.get(raw) or (int(raw) if raw.isdigit() else 0)
        if not 1 <= quarter <= 4:
            raise WhenError(_("A quarter is I, II, III or IV. E.g. {example}.").format(example=example))
        if m.group(2) and (int(m.group(2)), quarter * 3) < this_month:
            raise passed(_("Quarter {quarter}/{year}").format(quarter=raw.upper(), year=m.group(2)))
    plain = _T_QUARTER.sub(" ", plain)
    for m in _T_DAY_MONTH.finditer(plain):
        _calendar_day(int(m.group(1)), int(m.group(2)), None, _window(today, today, None, None))
    months = [(int(m.group(1)), m.group(2)) for m in _T_MONTH.finditer(plain)]
    months += [(int(m.group(1)), m.group(2)) for m in _T_MONTH_NUM.finditer(plain)]
    for month, year in months:
        if not 1 <= month <= 12:
            raise WhenError(_("The month must be from 1 to 12. E.g. {example}.").format(example=example))
        if year and (int(year), month) < this_month:
            raise passed(_("Month {month}/{year}").format(month=month, year=year))
    for m in _T_YEAR.finditer(plain):
        if int(m.group(1)) < today.year:
            raise passed(_("Year {year}").format(year=m.group(1)))
    return text
