"""Time as an injected dependency: services take a Clock, tests and the demo move a FakeClock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime:
        """Aware UTC now."""
        ...


class SystemClock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests, `hocbac demo`)."""

    def __init__(self, start: datetime, tz: ZoneInfo) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        self._now = start.astimezone(UTC)
        self.tz = tz

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def local_now(clock: Clock) -> datetime:
    return clock.now().astimezone(clock.tz)


def local_today(clock: Clock) -> date:
    return local_now(clock).date()


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive value read from a database as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
