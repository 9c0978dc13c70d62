"""The one parser for dates and times people type (bot/services/when.py).

"today" is Monday 02/03/2026 unless a test says otherwise; the errors are checked in Vietnamese, as members
read them.
"""

from __future__ import annotations

import calendar
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.services.when import (
    Moment,
    WhenError,
    check_timetable,
    parse_day,
    parse_time,
    read_day,
    read_moment,
    read_time,
    show_with_weekday,
)

MON = date(2026, 3, 2)  # a Monday
PAST = {"latest": MON}  # a deed: up to today
AHEAD = {"earliest": MON}  # a meeting: from today on


@pytest.fixture(autouse=True)
def _vi():
    with use_locale("vi"):
        yield


@pytest.mark.parametrize(("typed", "rule", "expected"), [
    ("hôm nay", {}, MON),
    ("Hôm nay", {}, MON),
    ("hom nay", {}, MON),
    ("hôm qua", {}, date(2026, 3, 1)),
    ("hôm kia", {}, date(2026, 2, 28)),
    ("hom kia", {}, date(2026, 2, 28)),
    ("mai", {}, date(2026, 3, 3)),
    ("ngày mai", {}, date(2026, 3, 3)),
    ("ngay mai", {}, date(2026, 3, 3)),
    ("ngày kia", {}, date(2026, 3, 4)),
    ("ngày mốt", {}, date(2026, 3, 4)),
    ("3 ngày trước", {}, date(2026, 2, 27)),
    ("thứ hai tuần trước", {}, date(2026, 2, 23)),
    ("thu hai tuan truoc", {}, date(2026, 2, 23)),
    ("Thứ 2 tuần trước", {}, date(2026, 2, 23)),
    ("thứ 6 tuần này", {}, date(2026, 3, 6)),
    ("thứ sáu tuần này", {}, date(2026, 3, 6)),
    ("chủ nhật tuần sau", {}, date(2026, 3, 15)),
    ("chu nhat tuan toi", {}, date(2026, 3, 15)),
    ("CN tuần trước", {}, date(2026, 3, 1)),
    ("thứ bảy tuần trước", {}, date(2026, 2, 28)),
    ("thứ tư", PAST, date(2026, 2, 25)),  # a bare weekday: the last one for a deed …
    ("thứ tư", AHEAD, date(2026, 3, 4)),  # … the next one for a meeting
    ("vào thứ 7", AHEAD, date(2026, 3, 7)),
    ("t7", PAST, date(2026, 2, 28)),
    ("thứ hai", AHEAD, MON),  # today counts
    ("28/11", {}, date(2026, 11, 28)),
    ("28-11", {}, date(2026, 11, 28)),
    ("28.11", {}, date(2026, 11, 28)),
    ("28 / 11", {}, date(2026, 11, 28)),
    ("ngày 28/11", {}, date(2026, 11, 28)),
    ("28/11/2026", {}, date(2026, 11, 28)),
    ("28.11.2026", {}, date(2026, 11, 28)),
    ("28-11-26", {}, date(2026, 11, 28)),
    ("2026-11-28", {}, date(2026, 11, 28)),
    ("ngày 28 tháng 11", {}, date(2026, 11, 28)),
    ("28 tháng 11 năm 2025", {}, date(2025, 11, 28)),
    ("28/12", PAST, date(2025, 12, 28)),  # December typed in March for a deed: last year's
    ("5/1", {"earliest": date(2026, 12, 20), "latest": None}, date(2027, 1, 5)),
])
def test_understands_the_days_people_write(typed, rule, expected):
    today = MON if "earliest" not in rule or rule["earliest"] == MON else date(2026, 12, 20)
    assert read_day(typed, today, **rule) == expected


@pytest.mark.parametrize(("typed", "rule", "message"), [
    ("31/11", {}, "Tháng 11 chỉ có 30 ngày. Ví dụ: 30/11/2026."),
    ("31-04-2026", {}, "Tháng 4 chỉ có 30 ngày. Ví dụ: 30/04/2026."),
    ("29/02/2027", {}, "Tháng 2 năm 2027 chỉ có 28 ngày. Ví dụ: 28/02/2027."),
    ("28/13", {}, "Tháng phải từ 1 đến 12. Ví dụ: 02/03/2026."),
    ("0/5", {}, "Ngày phải từ 1 đến 31."),
    ("32/5", {}, "Ngày phải từ 1 đến 31."),
    ("xyz", PAST, "Tôi chưa đọc được ngày này. Đồng chí gõ ngày và tháng, ví dụ: 02/03/2026, hoặc gõ “hôm qua”."),
    ("ngày nọ", AHEAD, "ví dụ: 02/03/2026, hoặc gõ “ngày mai”."),
    ("01/03", AHEAD, "Ngày 01/03/2026 đã qua. Đồng chí chọn ngày từ hôm nay trở đi, ví dụ: 02/03/2026."),
    ("05/03", PAST, "Ngày 05/03/2026 chưa tới. Đồng chí chọn ngày từ hôm nay trở về trước, ví dụ: 02/03/2026."),
    ("01/12/2025", {"earliest": MON - timedelta(days=60), "latest": MON},
     "Ngày 01/12/2025 đã quá 60 ngày. Đồng chí chọn ngày từ 01/01/2026 trở đi"),
    ("", {}, "Tôi chưa đọc được ngày này."),
])
def test_errors_say_what_was_wrong_with_an_example(typed, rule, message):
    with pytest.raises(WhenError) as err:
        read_day(typed, MON, **rule)
    assert message in err.value.message
    assert "NN/TT" not in err.value.message and "DD/MM" not in err.value.message


def test_a_meeting_example_is_tomorrow_never_a_past_day():
    tomorrow = MON + timedelta(days=1)
    for typed in ("abc", "01/03", "31/02"):
        with pytest.raises(WhenError) as err:
            read_day(typed, MON, earliest=MON, example=tomorrow)
        assert "03/03/2026" in err.value.message or "28/02/2027" in err.value.message, err.value.message
        assert "28/02/2026" not in err.value.message  # February of this year is over: not offered


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from("/-."))
def test_every_valid_day_month_year_round_trips(day, sep):
    typed = f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"
    assert read_day(typed, MON) == day
    assert read_day(f"{day.day}{sep}{day.month}{sep}{day.year}", MON) == day


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), st.sampled_from("/-."))
def test_every_valid_day_month_of_this_year_round_trips(day, sep):
    assert parse_day(f"{day.day}{sep}{day.month}", MON) == day


@given(st.integers(1, 31), st.integers(1, 12), st.integers(2000, 2099))
def test_a_day_is_accepted_exactly_when_the_calendar_has_it(d, m, y):
    exists = d <= calendar.monthrange(y, m)[1]
    try:
        got = read_day(f"{d}/{m}/{y}", MON)
    except WhenError as exc:
        assert not exists
        assert f"chỉ có {calendar.monthrange(y, m)[1]} ngày" in exc.message
    else:
        assert exists and got == date(y, m, d)


@pytest.mark.parametrize("year", [2024, 2028, 2000])
def test_29_february_in_a_leap_year(year):
    assert read_day(f"29/02/{year}", MON) == date(year, 2, 29)


@pytest.mark.parametrize("year", [2026, 2027, 2100])
def test_29_february_in_other_years(year):
    with pytest.raises(WhenError, match=f"Tháng 2 năm {year} chỉ có 28 ngày. Ví dụ: 28/02/{year}"):
        read_day(f"29/02/{year}", MON)


@given(st.dates(min_value=MON - timedelta(days=7), max_value=MON + timedelta(days=13)))
def test_weekday_words_name_the_right_day(day):
    names = ["thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật"]
    week = ["tuần trước", "tuần này", "tuần sau"][(day - MON).days // 7 + 1]
    assert read_day(f"{names[day.weekday()]} {week}", MON) == day
    assert read_day(f"thu {day.weekday() + 2} {week}" if day.weekday() < 6 else f"cn {week}", MON) == day


@pytest.mark.parametrize(("typed", "expected"), [
    ("19h", time(19)), ("19h30", time(19, 30)), ("19g30", time(19, 30)), ("19:30", time(19, 30)),
    ("19.30", time(19, 30)), ("7 giờ tối", time(19)), ("7h sáng", time(7)), ("19 giờ", time(19)),
    ("19 giờ 30 phút", time(19, 30)), ("7 gio toi", time(19)), ("8 giờ rưỡi", time(8, 30)),
    ("2 giờ chiều", time(14)), ("12 giờ trưa", time(12)), ("1h trưa", time(13)), ("10 giờ đêm", time(22)),
    ("7 tối", time(19)), ("0:00", time(0)), ("23:59", time(23, 59)), ("19h tối", time(19)),
])
def test_understands_the_times_people_write(typed, expected):
    assert read_time(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("25:00", "Giờ phải từ 0 đến 23. Ví dụ: 19:30."),
    ("24h", "Giờ phải từ 0 đến 23."),
    ("19:75", "Phút phải từ 0 đến 59. Ví dụ: 19:30."),
    ("19h sáng", "19 giờ không phải buổi sáng."),
    ("sáng mai", "Tôi chưa đọc được giờ này. Đồng chí gõ giờ như 19:30 hoặc 19h."),
    ("0630", "Tôi chưa đọc được giờ này."),
])
def test_time_errors_say_what_was_wrong(typed, message):
    with pytest.raises(WhenError) as err:
        read_time(typed)
    assert message in err.value.message and "GG:PP" not in err.value.message
    assert parse_time(typed) is None


@given(st.times())
def test_every_time_round_trips(at):
    at = at.replace(second=0, microsecond=0)
    for typed in (f"{at:%H:%M}", f"{at.hour}h{at:%M}", f"{at.hour}g{at:%M}", f"{at.hour} giờ {at:%M}"):
        assert read_time(typed) == at


@pytest.mark.parametrize(("typed", "expected"), [
    ("19h 28/11", Moment(date(2026, 11, 28), time(19))),
    ("28/11 19:30", Moment(date(2026, 11, 28), time(19, 30))),
    ("28/11 lúc 19h30", Moment(date(2026, 11, 28), time(19, 30))),
    ("7 giờ tối thứ 6 tuần này", Moment(date(2026, 3, 6), time(19))),
    ("19h ngày mai", Moment(date(2026, 3, 3), time(19))),
    ("ngày mai, 7h sáng", Moment(date(2026, 3, 3), time(7))),
    ("28.11 19.30", Moment(date(2026, 11, 28), time(19, 30))),
    ("28.11", Moment(date(2026, 11, 28), None)),  # a day, not 28 o'clock
    ("19.30", Moment(None, time(19, 30))),  # a time: there is no 30th month
    ("19h", Moment(None, time(19))),
])
def test_a_day_and_a_time_together(typed, expected):
    assert read_moment(typed, MON, earliest=MON) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("19h 31/11", "Tháng 11 chỉ có 30 ngày"),
    ("25h 28/11", "Giờ phải từ 0 đến 23"),
    ("19h 01/03", "Ngày 01/03/2026 đã qua"),
    ("chưa biết", "Tôi chưa đọc được ngày này"),
])
def test_a_day_and_a_time_errors(typed, message):
    with pytest.raises(WhenError, match=message):
        read_moment(typed, MON, earliest=MON)


def test_weekday_is_shown_with_the_day():
    assert show_with_weekday(date(2026, 11, 28)) == "Thứ Bảy, 28/11/2026"


@pytest.mark.parametrize("typed", [
    "tháng 12/2026", "trước tháng 9/2026", "quý I/2027", "quý 4/2026", "quy iv/2026", "cả năm", "hằng tuần",
    "hằng tháng", "thường xuyên", "tháng 3/2026", "quý I/2026", "trước 30/9", "31/12/2026", "năm 2026",
    "T12/2026", "mỗi tháng 2 lần", "tháng 12 năm 2026",
])
def test_a_pledge_timetable_that_is_fine(typed):
    assert check_timetable(typed, MON) == typed


@pytest.mark.parametrize(("typed", "message"), [
    ("tháng 13/2026", "Tháng phải từ 1 đến 12. Ví dụ: tháng 12/2026; quý IV/2026; hằng tháng."),
    ("thang 0/2027", "Tháng phải từ 1 đến 12."),
    ("13/2026", "Tháng phải từ 1 đến 12."),
    ("tháng 1/2026", "Tháng 1/2026 đã qua. Ví dụ: tháng 12/2026"),
    ("tháng 2 năm 2026", "Tháng 2/2026 đã qua."),
    ("quý 5/2026", "Quý chỉ có I, II, III hoặc IV."),
    ("quý IV/2025", "Quý IV/2025 đã qua."),
    ("năm 2025", "Năm 2025 đã qua."),
    ("31/11/2026", "Tháng 11 chỉ có 30 ngày"),
    ("trước 31/9", "Tháng 9 chỉ có 30 ngày"),
    ("01/02/2026", "Ngày 01/02/2026 đã qua"),
])
def test_a_pledge_timetable_that_is_refused(typed, message):
    with pytest.raises(WhenError) as err:
        check_timetable(typed, MON)
    assert message in err.value.message


def test_the_timetable_example_is_never_in_the_past():
    with pytest.raises(WhenError) as err:
        check_timetable("tháng 13", date(2026, 12, 15))
    assert "tháng 12/2027" in err.value.message
