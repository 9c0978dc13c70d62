"""The one parser for typed times of day (delivery time, meeting time, digest time, quiet hours)."""

from datetime import time

import pytest

from bot.services.when import parse_time as parse_time_of_day


@pytest.mark.parametrize(("typed", "expected"), [
    ("06:30", time(6, 30)), ("6:30", time(6, 30)), ("6h30", time(6, 30)), ("6h", time(6, 0)),
    ("06.30", time(6, 30)), ("19 giờ 30", time(19, 30)), ("19g30", time(19, 30)), (" 7H ", time(7, 0)),
])
def test_accepts_how_people_type_times(typed, expected):
    assert parse_time_of_day(typed) == expected


@pytest.mark.parametrize("typed", ["25:99", "sáng mai", "", None, "24:00", "6:5", "0630"])
def test_refuses_what_is_not_a_time(typed):
    assert parse_time_of_day(typed) is None
