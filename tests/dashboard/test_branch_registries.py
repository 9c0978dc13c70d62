"""The dashboard's registries: every installed feature's series and pending lists are collected once, with
unique names; a clash stops the boot naming both features."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.installed import FEATURES
from bot.kernel.feature import FeatureError, build_extensions
from bot.services.extensions import Pending, Series
from bot.services.timeline import buckets, count_days


class _Services:
    def get(self, cls: type) -> object:
        async def _noop(*_a: object) -> None:
            return None

        return type("Stub", (), {"gate": staticmethod(_noop)})()


async def _none(*_a: object) -> list:
    return []


def test_the_installed_features_declare_the_branch_page_s_charts_and_pending_work() -> None:
    ext = build_extensions(FEATURES, services=_Services())
    assert {s.name for s in ext.series} == {"deeds_reported_weekly", "deeds_accepted_weekly",
                                           "attendance_per_meeting", "pledges_by_state", "reading_weekly"}
    assert {p.name for p in ext.pending} == {"join_requests", "pledges_to_approve", "deeds_to_review",
                                            "dialogue_open"}
    assert all(s.title() and p.title() for s in ext.series for p in ext.pending)


@pytest.mark.parametrize(("changes", "message"), [
    ({"series": (Series("pledges_by_state", lambda: "x", _none),)}, "series 'pledges_by_state' is declared by both"),
    ({"pending": (Pending("join_requests", lambda: "x", _none),)}, "pending 'join_requests' is declared by both"),
])
def test_a_clash_of_names_stops_the_boot(changes: dict[str, object], message: str) -> None:
    features = [dataclasses.replace(f, **changes) if f.name == "linking" else f for f in FEATURES]
    with pytest.raises(FeatureError, match=message):
        build_extensions(features, services=_Services())


def test_weeks_for_a_month_months_for_a_year_and_no_weeks_to_come() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 01/11 00:00 local
    end = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    cols = buckets(start, end, tz, now=datetime(2026, 11, 19, 3, 0, tzinfo=UTC))
    assert [c.first.day for c in cols] == [1, 2, 9, 16]  # Sunday 01/11 alone, then Mondays; none after today
    assert cols[-1].end.day == 20
    year = buckets(datetime(2025, 12, 31, 17, 0, tzinfo=UTC), datetime(2026, 12, 31, 17, 0, tzinfo=UTC), tz)
    assert len(year) == 12 and year[0].first.month == 1
    assert count_days(cols, [date(2026, 11, 1), date(2026, 11, 19), date(2026, 11, 19), date(2026, 12, 1)]) == [
        (cols[0].label, 1), (cols[1].label, 0), (cols[2].label, 0), (cols[3].label, 2)]
