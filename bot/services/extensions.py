"""What features offer each other, held per App (never in module globals).

A feature declares its audiences, report figures, export sheets, ticks, erasers and single-answer providers
in its :class:`bot.kernel.feature.Feature`; the App builds one :class:`Extensions` from the feature list and
puts it on ``deps.ext``. Another feature asks ``deps.ext`` for them, so the deeds feature never imports the
pledges feature and vice versa. Every callable takes the caller's session, so it reads inside the same
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.org import Branch

if TYPE_CHECKING:
    from bot.delivery import Hold
    from bot.services.deps import Deps

log = logging.getLogger("hocbac.extensions")


class ExtensionError(RuntimeError):
    """A feature's extension failed or was declared wrongly; the message names the feature and the piece."""


@dataclass(frozen=True, slots=True)
class Audience:
    """A named group of a branch's members, e.g. "not pledged this year" (for broadcasts and nudges)."""

    key: str
    label: Callable[[], str]  # translated label
    members: Callable[[AsyncSession, Deps, int, datetime], Awaitable[set[int]]]  # (s, deps, branch_id, now)


@dataclass(frozen=True, slots=True)
class BranchScope:
    """The branches a bulk figures read covers: ``ids`` (iterating gives them; the answer's keys) and
    ``where(column)``, the SQL filter on a branch id column. A whole đảng bộ (``org_id`` set, ``ids`` = all its
    branches) is filtered with ``IN (SELECT id FROM branch WHERE org_id = :org)``: one bound value instead of
    thousands, so the plans stay cheap and reusable (2,000 bound ids made asyncpg 3–5× slower than psql)."""

    ids: tuple[int, ...]
    org_id: int | None = None

    @classmethod
    def of(cls, branch_ids: Sequence[int], org_id: int | None = None) -> BranchScope:
        return cls(tuple(dict.fromkeys(branch_ids)), org_id)

    def __iter__(self) -> Any:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, column: Any) -> ColumnElement[bool]:
        if self.org_id is None:
            return column.in_(self.ids)
        if not self.ids:
            return column.in_(())
        # Bounded by the largest id asked for: a branch created meanwhile is not one the caller has a row for.
        return column.in_(select(Branch.id).where(  # type: ignore[arg-type]
            Branch.org_id == self.org_id, Branch.id <= max(self.ids)))  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Figures:
    """A report-figures provider: ``fn(s, deps, branch_id, start, end)`` returns exactly ``keys``."""

    name: str
    keys: tuple[str, ...]
    fn: Callable[[AsyncSession, Deps, int, datetime, datetime], Awaitable[dict[str, float | int]]]
    # dash-committee: the same figures for many branches at once, ``bulk(s, deps, scope, start, end)`` ->
    # {branch_id: figures} for the branches of a ``BranchScope`` (filter with ``scope.where(column)``), in a few
    # GROUP BY queries (the committee's views of thousands of branches). A branch missing from the answer gets
    # the provider's empty answer ({}); tests/dashboard checks bulk == fn.
    bulk: (
        Callable[[AsyncSession, Deps, BranchScope, datetime, datetime], Awaitable[dict[int, dict[str, float | int]]]]
        | None
    ) = None


@dataclass(frozen=True, slots=True)
class ExportSheet:
    """One sheet of the branch workbook ("Xuất Excel"): ``rows(s, deps, branch_id, start, end)``."""

    key: str
    title: Callable[[], str]  # translated sheet title
    rows: Callable[[AsyncSession, Deps, int, datetime, datetime], Awaitable[tuple[list[str], list[list[Any]]]]]


TickFn = Callable[[Any, datetime, datetime | None], Awaitable[None]]  # (services, now, since)


@dataclass(frozen=True, slots=True)
class Tick:
    """A minute tick: ``fn(services, now, since)`` queries what is due; idempotent through outbox keys."""

    name: str
    fn: TickFn


# (session, person_id, deps) -> what it removed (bot.services.erasure.Erased: the texts, so their copies in
# other people's messages are found, and the media) or None: deletes or anonymises one feature's personal data.
Eraser = Callable[[AsyncSession, int, "Deps"], Awaitable[Any]]


@dataclass(frozen=True)
class PersonalData:
    """A feature's tables that hold something about a person (a person or identity column), each with its
    fate on erasure: ``erased`` (the feature's eraser deletes the rows or blanks their personal fields) or
    ``by_reference`` (only the id of the person, who is anonymised: counts stay right, nothing personal
    remains). tests/privacy checks that every such table of every feature is in one of the two."""

    erased: Sequence[type] = ()
    by_reference: Sequence[type] = ()
# (session, deps, actor, join code) -> a polite refusal, or None to let the code be used. Runs after the code
# is found valid and before it is used; a refusal is not counted as a wrong code.
JoinGuard = Callable[[AsyncSession, "Deps", Any, Any], Awaitable[str | None]]
# (services, outbox row, final status, platform message ids) -> None, after a row reaches a final state;
# also with status "pending" when a temporary error (an outage) put the row back to wait for a retry.
OutboxObserver = Callable[[Any, Any, str, list[str]], Awaitable[None]]
# (outbox row) -> a reason to hold the row back now, or None. Built per App from its services.
SendGate = Callable[[Any], Awaitable["str | Hold | None"]]
# (ctx, actor) -> a section of the member's record (/cuatoi), or None.
RecordSection = Callable[[Any, Any], Awaitable[str | None]]
# (ctx, actor) -> a line of the person's profile (/toi), e.g. the reading streak, or None.
ProfileSection = Callable[[Any, Any], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class YearRow:
    """One dated record behind a figure of the year file, e.g. (05/03/2026, "Dọn vệ sinh khu phố (đã ghi
    nhận)"). ``action``: a button the owning feature offers the member on this row, (label, packed button data),
    e.g. the deeds feature's "Gắn với việc đã đăng ký"; shown only to the member the file is about."""

    day: date
    text: str
    action: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class YearFigure:
    """One figure of a year-file section: ``value`` counted from ``rows`` (or from the records behind them);
    ``note`` qualifies it ("đã ghi nhận 5"). ``key`` is a short token ([A-Za-z0-9_]) naming it in buttons."""

    key: str
    label: str
    value: int
    rows: Sequence[YearRow] = ()
    note: str = ""

    def line(self) -> str:
        """The figure as one short line: "Việc làm tốt: 7, đã ghi nhận 5"."""
        return f"{self.label}: {self.value}" + (f", {self.note}" if self.note else "")


@dataclass(frozen=True, slots=True)
class YearSection:
    """A feature's part of a member's year file. ``key``: a short token ([A-Za-z0-9_]) naming it in buttons;
    ``order``: where it stands in the file (pledges 10, deeds 20, meetings 30, reading 40, notices 50)."""

    key: str
    title: str
    figures: Sequence[YearFigure]
    order: int = 50


# (session, deps, person_id, branch_id, year, tz) -> the feature's section of the member's year file, or None
# when it has nothing to say. Read-only; the yearfile feature checks who may see the file.
YearFileSection = Callable[[AsyncSession, "Deps", int, int, int, ZoneInfo], Awaitable[YearSection | None]]


# --- the dashboard's branch page (issue #17, dash-branch): figures over time and pending work ---------------


@dataclass(frozen=True, slots=True)
class Series:
    """A branch's figure over time for a chart: ``fn(s, deps, branch_id, start, end)`` returns the points in
    order, each (short plain label, value), e.g. ("Tuần 02/03", 4) or ("Họp 05/03", 83.3)."""

    name: str
    title: Callable[[], str]  # translated chart title
    fn: Callable[[AsyncSession, Deps, int, datetime, datetime], Awaitable[list[tuple[str, float | int]]]]


@dataclass(frozen=True, slots=True)
class PendingItem:
    """One piece of work waiting for the branch: plain text (the page escapes it) and since when."""

    text: str
    when: datetime | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """Work waiting for the branch's secretary: ``fn(s, deps, branch_id)`` lists it, oldest first."""

    name: str
    title: Callable[[], str]  # translated heading, e.g. "Join requests waiting"
    fn: Callable[[AsyncSession, Deps, int], Awaitable[list[PendingItem]]]


@dataclass(frozen=True, slots=True)
class PerApp:
    """A provider that needs the App's services (its deps: the other features' extensions, the clock, the time
    zone): ``make(services)`` is called once per App and returns the provider itself."""

    make: Callable[[Any], Callable[..., Any]]


@dataclass
class Providers:
    """Single-answer providers; None until the owning feature declares one (two declaring one is an error)."""

    # (session, person_id, year) -> [(pledge_item_id, short label)]: the deeds form offers these.
    pledge_items: Callable[[AsyncSession, int, int], Awaitable[list[tuple[int, str]]]] | None = None
    # (session, [pledge_item_id]) -> {item_id: [(day, deed text)]}: the pledge view lists linked deeds.
    deeds_for_pledge_items: (
        Callable[[AsyncSession, list[int]], Awaitable[dict[int, list[tuple[date, str]]]]] | None
    ) = None
    # (session, person_id) -> the member's chosen daily delivery time (local); default 06:30.
    delivery_time: Callable[[AsyncSession, int], Awaitable[time]] | None = None
    # (session, [person_id]) -> {person_id: delivery time} for those with a chosen time (others: the default);
    # the bulk form of delivery_time for notify_many. Callers pass at most BULK_CHUNK ids.
    delivery_time_many: Callable[[AsyncSession, list[int]], Awaitable[dict[int, time]]] | None = None
    # (session, [person_id]) -> {person_id: last paused day (inclusive)} for those who paused ("Tạm dừng").
    paused_until: Callable[[AsyncSession, list[int]], Awaitable[dict[int, date]]] | None = None
    # (session, branch_id) -> (quiet_start, quiet_end) local times; default 21:00–07:00.
    quiet_hours: Callable[[AsyncSession, int], Awaitable[tuple[time, time]]] | None = None
    # (session, [branch_id]) -> {branch_id: quiet hours} for branches that set theirs (others: the default);
    # the bulk form of quiet_hours for notify_many (one query, not one per branch). At most BULK_CHUNK ids.
    quiet_hours_many: Callable[[AsyncSession, list[int]], Awaitable[dict[int, tuple[time, time]]]] | None = None
    # (session, branch_id, after) -> the next regular meeting's local start, if one is scheduled/known.
    next_meeting: Callable[[AsyncSession, int, datetime], Awaitable[datetime | None]] | None = None
    # (membership_id) -> the approve / reject buttons of a join request (the onboarding feature's button kind).
    join_buttons: Callable[[int], list[list[Any]]] | None = None
    # (session, org_id, year) -> the đảng bộ's theme for that year (title, theme slugs), if set.
    year_theme: Callable[[AsyncSession, int, int], Awaitable[tuple[str, list[str]] | None]] | None = None
    # (session, person_id, year) -> the member's year-end self-assessment, or None. Declared by pledges:
    # {"id": int, "status": "draft" | "submitted" | "withdrawn" | "locked", "level": str | None,
    #  "points": int | None, "submitted_at": datetime | None, "sections": [(title, text), ...]}
    self_assessment: Callable[[AsyncSession, int, int], Awaitable[dict[str, Any] | None]] | None = None
    # (session, person_id, year, now) -> the branch acted on the self-assessment (a classification proposal was
    # saved): the member can no longer withdraw it. Declared by pledges.
    lock_self_assessment: Callable[[AsyncSession, int, int, datetime], Awaitable[None]] | None = None
    # (session, person_id, branch_id, year) -> the member's year file as short lines, one figure each (e.g.
    # "Việc làm tốt: 7, đã ghi nhận 5"), for the classification and commendation screens. Declared by yearfile.
    year_file_summary: Callable[[AsyncSession, int, int, int], Awaitable[list[str]]] | None = None
    # (session, meeting_id) -> ids of the people counted present at that meeting (checked in by code or marked
    # present by the secretary). Declared by meetings.
    present_at_meeting: Callable[[AsyncSession, int], Awaitable[set[int]]] | None = None
    # (session, meeting_id) -> the meeting's closed votes for its minutes, in opening order: [(question, result
    # line)], e.g. ("Thông qua nghị quyết tháng 12", "Tán thành 10, không tán thành 0, không biểu quyết 1; có mặt
    # 11/12; thông qua"). Declared by votes.
    meeting_votes: Callable[[AsyncSession, int], Awaitable[list[tuple[str, str]]]] | None = None
    # (session, deps, meeting_id, opener person_id, question, option labels, anonymous, topic) -> vote id: opens a
    # vote for the people present at the meeting and sends each their ballot; topic "kind:ref" (e.g.
    # "classification:17") lets the opener find it again. Declared by votes.
    open_meeting_vote: (
        Callable[[AsyncSession, Any, int, int, str, list[str], bool, str], Awaitable[int]] | None
    ) = None
    # (session, vote_id) -> None if unknown, else {"closed": bool, "counts": [int per option], "voters": int,
    # "present": int, "members": int, "quorum": bool, "passed": bool | None, "result_line": str}. Declared by votes.
    vote_result: Callable[[AsyncSession, int], Awaitable[dict[str, Any] | None]] | None = None
    # (session, branch_id, year) -> {person_id: level key of bot/services/levels.py} of the branch's
    # classification results (after the vote). Declared by classification.
    classification_results: Callable[[AsyncSession, int, int], Awaitable[dict[int, str]]] | None = None
    # (session, meeting_id) -> (branch_id, start as aware UTC) of a meeting that was not cancelled, else None.
    # Declared by meetings (added by the votes branch: votes reads meetings only through providers).
    meeting_brief: Callable[[AsyncSession, int], Awaitable[tuple[int, datetime] | None]] | None = None
    # (session, branch_id, until) -> [(meeting_id, start as aware UTC)] of the branch's meetings not cancelled
    # that started by ``until``, newest first, at most 5. Declared by meetings (added by the votes branch).
    recent_meetings: Callable[[AsyncSession, int, datetime], Awaitable[list[tuple[int, datetime]]]] | None = None
    # (session, branch_id, year) -> {person_id: [(day, deed text)]} of commended deeds and nominations
    # ("nêu gương") in the year. Declared by deeds.
    commended_deeds: Callable[[AsyncSession, int, int], Awaitable[dict[int, list[tuple[date, str]]]]] | None = None
    # (session, branch_id, year) -> {person_id: (pledge approved, check-in items done, check-in items answered)}
    # of the branch's pledges in the year. Declared by pledges (commendation shortlist).
    pledge_results: Callable[[AsyncSession, int, int], Awaitable[dict[int, tuple[bool, int, int]]]] | None = None
    # The materials library (declared by library). (session, branch_id, month: any day of it) -> [(item_id,
    # title)]: the branch's and its đảng bộ's materials for that month, newest first, at most five.
    library_items_for: Callable[[AsyncSession, int, date], Awaitable[list[tuple[int, str]]]] | None = None
    # (session, meeting_id, branch_id, [item_id]) -> None: attach items to a meeting's notice (the caller
    # checked that the actor schedules the branch's meetings; items the branch cannot see are skipped).
    library_attach: Callable[[AsyncSession, int, int, list[int]], Awaitable[None]] | None = None
    # (session, meeting_id) -> [(item_id, title)] attached to that meeting.
    library_attached: Callable[[AsyncSession, int], Awaitable[list[tuple[int, str]]]] | None = None
    # ([(item_id, title)]) -> rows of "open" buttons (the library's button kind; opening is counted).
    library_buttons: Callable[[list[tuple[int, str]]], list[list[Any]]] | None = None


PROVIDER_NAMES = frozenset(f.name for f in fields(Providers))

DEFAULT_DELIVERY_TIME = time(6, 30)
DEFAULT_QUIET_HOURS = (time(21, 0), time(7, 0))
BULK_CHUNK = 500  # ids per IN (...) of a bulk provider: SQLite caps the bound parameters of a statement


def in_quiet_hours(local: time, quiet: tuple[time, time] = DEFAULT_QUIET_HOURS) -> bool:
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


@dataclass
class Extensions:
    """The registries of one App, built from its feature list by ``bot.kernel.feature.build_extensions``."""

    audiences: dict[str, Audience] = field(default_factory=dict)
    figures: list[Figures] = field(default_factory=list)
    export_sheets: dict[str, ExportSheet] = field(default_factory=dict)
    ticks: dict[str, Tick] = field(default_factory=dict)
    erasers: list[tuple[str, Eraser]] = field(default_factory=list)
    join_guards: list[JoinGuard] = field(default_factory=list)
    outbox_observers: list[OutboxObserver] = field(default_factory=list)
    send_gates: list[SendGate] = field(default_factory=list)
    record_sections: list[RecordSection] = field(default_factory=list)
    profile_sections: list[ProfileSection] = field(default_factory=list)
    year_file_sections: list[YearFileSection] = field(default_factory=list)
    providers: Providers = field(default_factory=Providers)
    # dash-branch: the branch page's charts and pending work
    series: list[Series] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    async def branch_figures(self, s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                             end: datetime) -> dict[str, float | int]:
        """Every feature's figures for one branch. A broken provider is an error naming it, never a gap."""
        merged: dict[str, float | int] = {}
        for provider in self.figures:
            try:
                got = await provider.fn(s, deps, branch_id, start, end)
            except Exception as exc:
                raise ExtensionError(f"figures provider {provider.name!r} failed: {exc!r}") from exc
            unknown = set(got) - set(provider.keys)
            if unknown:
                raise ExtensionError(f"figures provider {provider.name!r} returned undeclared keys {sorted(unknown)}")
            merged.update(got)
        return merged

    # --- dash-committee: every branch's figures at once ---------------------------------------------------
    async def org_figures(self, s: AsyncSession, deps: Deps, branch_ids: Sequence[int] | BranchScope,
                          start: datetime, end: datetime, *, only: Collection[str] | None = None,
                          ) -> dict[int, dict[str, float | int]]:
        """Every feature's figures for many branches: each provider's ``bulk`` (a few GROUP BY queries) where it
        has one, else its per-branch ``fn``. The same answer as ``branch_figures`` for each branch. ``only``:
        ask just the providers that answer one of these keys (a trend line needs two rates, not every figure).
        Pass ``BranchScope.of(ids, org_id)`` when the ids are all of a đảng bộ's branches (much faster)."""
        scope = branch_ids if isinstance(branch_ids, BranchScope) else BranchScope.of(branch_ids)
        ids = list(scope.ids)
        merged: dict[int, dict[str, float | int]] = {b: {} for b in ids}
        if not ids:
            return merged
        for provider in self.figures:
            if only is not None and not set(provider.keys) & set(only):
                continue
            try:
                if provider.bulk is not None:
                    got = await provider.bulk(s, deps, scope, start, end)
                else:
                    got = {b: await provider.fn(s, deps, b, start, end) for b in ids}
            except Exception as exc:
                raise ExtensionError(f"figures provider {provider.name!r} failed: {exc!r}") from exc
            for branch_id, figures in got.items():
                if branch_id not in merged:
                    continue  # a provider answering for a branch nobody asked about adds nothing
                unknown = set(figures) - set(provider.keys)
                if unknown:
                    raise ExtensionError(
                        f"figures provider {provider.name!r} returned undeclared keys {sorted(unknown)}")
                merged[branch_id].update(figures)
        return merged

    async def delivery_time(self, s: AsyncSession, person_id: int) -> time:
        fn = self.providers.delivery_time
        return await fn(s, person_id) if fn is not None else DEFAULT_DELIVERY_TIME

    async def delivery_times(self, s: AsyncSession, person_ids: list[int]) -> dict[int, time]:
        """Every given person's delivery time, in one query per BULK_CHUNK people."""
        bulk, one = self.providers.delivery_time_many, self.providers.delivery_time
        out = dict.fromkeys(person_ids, DEFAULT_DELIVERY_TIME)
        ids = sorted(set(person_ids))
        for i in range(0, len(ids), BULK_CHUNK):
            chunk = ids[i:i + BULK_CHUNK]
            if bulk is not None:
                out.update(await bulk(s, chunk))
            elif one is not None:
                out.update({pid: await one(s, pid) for pid in chunk})
        return out

    async def paused_until(self, s: AsyncSession, person_ids: list[int]) -> dict[int, date]:
        fn = self.providers.paused_until
        return await fn(s, person_ids) if fn is not None and person_ids else {}

    async def quiet_hours(self, s: AsyncSession, branch_id: int | None) -> tuple[time, time]:
        fn = self.providers.quiet_hours
        if fn is None or branch_id is None:
            return DEFAULT_QUIET_HOURS
        return await fn(s, branch_id)

    async def quiet_hours_many(self, s: AsyncSession, branch_ids: list[int | None]
                               ) -> dict[int | None, tuple[time, time]]:
        """Every given branch's quiet hours (None: no branch, the default), in one query per BULK_CHUNK
        branches."""
        bulk, one = self.providers.quiet_hours_many, self.providers.quiet_hours
        out: dict[int | None, tuple[time, time]] = dict.fromkeys(branch_ids, DEFAULT_QUIET_HOURS)
        ids = sorted({b for b in branch_ids if b is not None})
        for i in range(0, len(ids), BULK_CHUNK):
            chunk = ids[i:i + BULK_CHUNK]
            if bulk is not None:
                out.update(await bulk(s, chunk))
            elif one is not None:
                out.update({b: await one(s, b) for b in chunk})
        return out
