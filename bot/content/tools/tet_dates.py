"""Compute mùng 1 Tết (Vietnamese lunar new year) to check the table in bot/content/choose.py.

Run: python -m bot.content.tools.tet_dates 2024 2035   (needs the optional ``ephem`` package:
pip install 'hocbac[tools]'). The bot itself only uses the checked table, never this script.

Algorithm (the rule of the Chinese/Vietnamese lunisolar calendar, Vietnamese time zone UTC+7):
- a lunar month runs from the local day of one new moon to the day before the next one;
- month 11 is the month containing the winter solstice (sun's apparent longitude 270°);
- normally tháng Giêng (month 1) is two months after month 11, so mùng 1 Tết is the day of the second
  new moon after month 11 starts;
- when 13 months lie between two months 11, the year has a leap month: the first month after month 11
  containing no principal solar term (trung khí, a multiple of 30°). If that is the month after month 11
  or after month 12, Tết is one month later.
This is the rule described for the Vietnamese calendar by Hồ Ngọc Đức ("Âm lịch Việt Nam"); terms are
tested at local midnight, as there. The leap rule matters for 2034 (leap month 11 in 2033).
Using UTC+7 instead of China's UTC+8 is what makes Vietnamese Tết differ from Chinese New Year in
some years (e.g. 1985, 2007).
"""

from __future__ import annotations

import datetime as dt
import math
import sys

VN_TZ = dt.timedelta(hours=7)


def _local_date(ephem_date: float) -> dt.date:
    import ephem

    return (ephem.Date(ephem_date).datetime() + VN_TZ).date()


def _sector(day: dt.date) -> int:
    """Which 30° sector of ecliptic longitude the sun is in at local (UTC+7) midnight starting ``day``."""
    import ephem

    when = ephem.Date(dt.datetime.combine(day, dt.time()) - VN_TZ)
    sun = ephem.Sun(when)
    return int(math.degrees(float(ephem.Ecliptic(sun, epoch=when).lon)) // 30)


def _month_starts(first: dt.date, count: int) -> list[dt.date]:
    """Local dates of ``count`` consecutive new moons from the one on or before ``first``."""
    import ephem

    when = ephem.previous_new_moon(ephem.Date(dt.datetime.combine(first + dt.timedelta(days=1), dt.time())))
    starts = []
    for _ in range(count):
        starts.append(_local_date(when))
        when = ephem.next_new_moon(when)
    return starts


def _month11(year: int) -> int:
    """Index into the list from ``_month_starts(Nov 1 of year)`` of month 11 (contains the solstice)."""
    starts = _month_starts(dt.date(year, 11, 1), 3)
    # The month containing the winter solstice (270°, sector 9) starts while the sun is still in 8.
    return max(i for i, d in enumerate(starts) if _sector(d) <= 8 and d <= dt.date(year, 12, 31))


def tet_date(year: int) -> dt.date:
    starts = _month_starts(dt.date(year - 1, 11, 1), 18)
    m11 = _month11(year - 1)
    nxt = _month_starts(dt.date(year, 11, 1), 3)[_month11(year)]
    months = starts.index(nxt) - m11
    offset = 2
    if months == 13:
        # Leap year: the leap month is the first month after month 11 with no principal term.
        leap = next(k for k in range(1, 14) if _sector(starts[m11 + k]) == _sector(starts[m11 + k + 1]))
        if leap <= 2:
            offset = 3
    return starts[m11 + offset]


def main(argv: list[str]) -> int:
    first, last = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (2024, 2035)
    for year in range(first, last + 1):
        print(f"{year}: {tet_date(year).isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
