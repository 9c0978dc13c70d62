"""The committee's home page: every branch of the đảng bộ in one table (large plain figures, a six-month trend,
lagging branches marked by the đảng bộ's own thresholds), the đảng bộ's totals, and the table as .xlsx.

The figures come from every feature through ``deps.ext.org_figures`` (all branches in a few GROUP BY queries)
and the lagging flags from ``bot.services.branch_report.committee_reports``, the same as /baocao's committee
view in chat, so the page and the chat never disagree."""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now
from bot.features.dashboard.page import PERIODS, Download, Page
from bot.features.dashboard.svg import sparkline
from bot.i18n import _, current_locale
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.branch_report import BranchReport, committee_reports, pct, period_label, utc_bounds
from bot.services.deps import Deps
from bot.services.errors import InvalidInput
from bot.services.extensions import BranchScope
from bot.services.permissions import require_org_admin
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import fold, number
from storage.models.org import Organization

TREND_MONTHS = 6
# The trend's two rates need only these providers' figures (members, meetings, daily reading).
TREND_KEYS = ("members", "attendance_expected", "attendance_present", "daily_readers")
# A closed month's figures hardly change; they are kept this long per App so a page costs one month's reads.
TREND_CACHE_SECONDS = 600
# The page's figures are read at most once a minute per (đảng bộ, period, language) and the page says so
# ("Figures as of hh:mm, refreshed every minute"): reading 2,000 branches costs more than the 300 ms a page may
# take (benchmarks/bench_dashboard.py). The export and the chat's /baocao always read afresh.
PAGE_CACHE_SECONDS = 60
PAGE_CACHE = "dashboard.committee_cache"
Trend = tuple[list[float | None], list[float | None]]  # (attendance %, readers %) per month, oldest first
COUNT_KEYS = ("members", "pledged", "checkin_sent", "checkin_answered", "daily_read", "daily_readers",
              "deeds_reported", "deeds_accepted", "meetings_regular", "meetings_thematic", "attendance_expected",
              "attendance_present", "notices", "notices_ack_sent", "notices_acknowledged", "emulation_projects",
              "contest_entries")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the table (and of the export): ``value`` is the cell as a number or None (no data)."""

    key: str
    title: Callable[[], str]
    value: Callable[[BranchReport, dict[str, float | None]], float | int | None]  # (report, its rates)
    percent: bool = False
    needs: str | None = None  # a figure key: the column shows only when a feature gives that figure


def _count(key: str) -> Callable[[BranchReport, dict[str, float | None]], float | int | None]:
    return lambda r, _rates: r.figures.get(key)


def _meetings(r: BranchReport, _rates: dict[str, float | None]) -> int | None:
    f = r.figures
    if "meetings_regular" not in f:
        return None
    return int(f.get("meetings_regular", 0)) + int(f.get("meetings_thematic", 0))


COLUMNS: tuple[Column, ...] = (
    Column("members", lambda: _("Members"), _count("members")),
    Column("pledged", lambda: _("Pledged"), lambda _r, rates: rates["pledged"], percent=True),
    Column("checkin", lambda: _("Answered the check-in"), lambda _r, rates: rates["checkin"], percent=True),
    Column("reading", lambda: _("Reading days per member"), lambda r, _rates: r.reading_days_per_member,
           needs="daily_read"),
    Column("deeds", lambda: _("Good deeds reported"), _count("deeds_reported"), needs="deeds_reported"),
    Column("deeds_accepted", lambda: _("Good deeds accepted"), _count("deeds_accepted"), needs="deeds_accepted"),
    Column("meetings", lambda: _("Meetings held"), _meetings, needs="meetings_regular"),
    Column("attendance", lambda: _("Attendance rate"), lambda _r, rates: rates["attendance"], percent=True),
    Column("ack", lambda: _("Notices confirmed"), lambda _r, rates: rates["ack"], percent=True),
    Column("emulation", lambda: _("Emulation projects"), _count("emulation_projects"), needs="emulation_projects"),
    Column("contests", lambda: _("Contest entries"), _count("contest_entries"), needs="contest_entries"),
)


def _period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period."))
    return period


def _columns(reports: list[BranchReport]) -> list[Column]:
    given = set().union(*(r.figures for r in reports)) if reports else set()
    return [c for c in COLUMNS if c.needs is None or c.needs in given]


def _totals(org: Organization, reports: list[BranchReport], period: str, label: str) -> BranchReport:
    """The đảng bộ's row: the counts added up, the rates from the added-up counts (not an average of rates)."""
    summed: dict[str, float | int] = {}
    for r in reports:
        for key in COUNT_KEYS:
            if key in r.figures:
                summed[key] = summed.get(key, 0) + r.figures[key]
    return BranchReport(0, org.name, period, label, summed)


def _num(v: float | int) -> str:
    """``bot.text.number``, with a shortcut for the small whole numbers that fill most cells (a page of
    thousands of branches formats tens of thousands of them)."""
    if isinstance(v, int) and -1000 < v < 1000:
        return str(v)
    if isinstance(v, float) and v.is_integer() and -1000 < v < 1000:
        return str(int(v))
    return number(v)


def _cell(column: Column, r: BranchReport, rates: dict[str, float | None]) -> str:
    v = column.value(r, rates)
    if v is None:
        return '<span class="muted">—</span>'
    return f"{_num(v)}%" if column.percent else _num(v)


async def _trends(deps: Deps, s: AsyncSession, org_id: int, ids: list[int], today: date,
                  current: dict[int, dict[str, float | int]] | None = None) -> dict[int, Trend]:
    """Per branch: (attendance %, share of members who read) for each of the last six months, oldest first.
    Closed months are cached per App for a few minutes (keyed by the đảng bộ and its branches); ``current``:
    this month's figures when the caller has them already (the month view)."""
    cache: dict[tuple, tuple[float, dict[int, dict[str, float | int]]]] = deps.extras.setdefault(
        "dashboard.trend_cache", {})
    now = _time.monotonic()
    months: list[date] = []
    first = today.replace(day=1)
    for back in range(TREND_MONTHS - 1, -1, -1):
        y, m = first.year, first.month - back
        while m < 1:
            y, m = y - 1, m + 12
        months.append(date(y, m, 1))
    key_ids = tuple(ids)
    scope = BranchScope.of(ids, org_id)  # ids are all of the đảng bộ's branches
    per_month: list[dict[int, dict[str, float | int]]] = []
    for month in months:
        key = (org_id, month.isoformat(), key_ids)
        if month == first and current is not None:
            per_month.append(current)
            continue
        hit = cache.get(key)
        if month != first and hit is not None and now - hit[0] < TREND_CACHE_SECONDS:
            per_month.append(hit[1])
            continue
        start, end = utc_bounds("m", month, deps.clock.tz)
        got = await deps.ext.org_figures(s, deps, scope, start, end, only=TREND_KEYS)
        if month != first:
            for stale in [k for k, (at, _v) in cache.items() if now - at >= TREND_CACHE_SECONDS]:
                cache.pop(stale, None)
            cache[key] = (now, got)
        per_month.append(got)
    out: dict[int, Trend] = {}
    for b in ids:
        att = [pct(f[b].get("attendance_present"), f[b].get("attendance_expected")) for f in per_month]
        read = [pct(f[b].get("daily_readers"), f[b].get("members")) if "daily_readers" in f[b] else None
                for f in per_month]
        out[b] = (att, read)
    return out


def _trend_cell(name: str, att: list[float | None], read: list[float | None]) -> str:
    """One small picture: attendance (solid) and the share of members who read (dashed), month by month; the
    figures themselves are in its label, for screen readers."""
    def words(values: list[float | None]) -> str:
        return ", ".join("—" if v is None else f"{round(v)}%" for v in values)

    if not any(v is not None for v in (*att, *read)):
        return '<span class="muted">—</span>'
    label = _("{branch}, last 6 months: attendance {attendance}; members who read {reading}").format(
        branch=name, attendance=words(att), reading=words(read))
    return sparkline(att, second=read, label=label)


async def committee_home(deps: Deps, actor: Actor, org_id: int, period: str) -> Page:
    """The đảng bộ's branches in one table; only its committee admins may see it."""
    require_org_admin(actor, org_id, "dashboard.org")
    period = _period(period)
    now = local_now(deps.clock)
    today = now.date()
    # Aged by the bot's clock, the one the page shows "as of".
    cache: dict[tuple, tuple[datetime, tuple]] = deps.extras.setdefault(PAGE_CACHE, {})
    key = (org_id, period, today, current_locale())  # the lagging reasons are worded in the reader's language
    hit = cache.get(key)
    if hit is not None and 0 <= (now - hit[0]).total_seconds() < PAGE_CACHE_SECONDS:
        org, reports, trends, read_at = hit[1]
    else:
        async with deps.db.session() as s:
            org, reports = await committee_reports(s, deps, org_id, period, today)
            this_month = {r.branch_id: r.figures for r in reports} if period == "m" else None
            trends = await _trends(deps, s, org_id, [r.branch_id for r in reports], today, this_month)
        read_at = now
        for stale in [k for k, (at, _v) in cache.items() if (now - at).total_seconds() >= PAGE_CACHE_SECONDS]:
            cache.pop(stale, None)
        cache[key] = (now, (org, reports, trends, read_at))
    return render_home(org, reports, trends, period, period_label(period, today), read_at)


def render_home(org: Organization, reports: list[BranchReport], trends: dict[int, Trend], period: str,
                label: str, read_at: datetime | None = None) -> Page:
    """The page from the figures (no database): apart so the benchmark can time the rendering alone."""
    assert org.id is not None
    org_id = org.id
    columns = _columns(reports)
    totals = _totals(org, reports, period, label)
    lagging = [r for r in reports if r.flags]
    tr = totals.rates
    big = [
        (_("Branches"), number(len(reports))),
        (_("Members"), number(totals.figures.get("members", 0))),
        (_("Lagging branches"), number(len(lagging))),
        (_("Attendance rate"), "—" if tr["attendance"] is None else f"{number(tr['attendance'])}%"),
    ]
    out = [f'<p class="lead">{esc(_("Figures of {period}").format(period=label))}</p>']
    if read_at is not None:  # the figures may be up to a minute old (PAGE_CACHE_SECONDS): say so
        fresh = _("Figures as of {time} {date}, refreshed every minute.").format(
            time=read_at.strftime("%H:%M"), date=read_at.strftime("%d/%m/%Y"))
        out.append(f'<p class="muted">{esc(fresh)}</p>')
    out.append('<div class="figures">')
    out += [f'<div class="figure"><div class="label">{esc(k)}</div><div class="value">{esc(v)}</div></div>'
            for k, v in big]
    out.append("</div>")
    out.append(f'<p><a class="button" href="/dashboard/org/{org_id}/export.xlsx?period={period}">'
               f'{esc(_("Download the table (Excel)"))}</a> '
               f'<a class="button" href="/dashboard/org/{org_id}/audit">{esc(_("Audit log"))}</a></p>')
    if not reports:
        out.append(f'<p class="message">{esc(_("This Party committee has no branch yet."))}</p>')
        return Page(title=org.name, body="".join(out), period=period)
    head = "".join(f'<th class="num" scope="col">{esc(c.title())}</th>' for c in columns)
    out.append('<table class="table committee"><thead><tr>'
               f'<th scope="col">{esc(_("Branch"))}</th>{head}'
               f'<th scope="col">{esc(_("Last 6 months"))}</th><th scope="col">{esc(_("Needs attention"))}</th>'
               "</tr></thead><tbody>")
    for r in reports:
        name = esc(r.branch_name)
        cls = ' class="lag"' if r.flags else ""
        rates = r.rates
        cells = "".join(f'<td class="num">{_cell(c, r, rates)}</td>' for c in columns)
        att, read = trends.get(r.branch_id, ([], []))
        # A text marker beside the colour, so the row reads the same without it.
        status = (f'<strong class="lag-mark">⚠ {esc(_("Lagging"))}:</strong> {esc("; ".join(r.flags))}'
                  if r.flags else f'<span class="muted">{esc(_("fine"))}</span>')
        out.append(f'<tr{cls}><th scope="row"><a href="/dashboard/branch/{r.branch_id}">{name}</a></th>{cells}'
                   f'<td>{_trend_cell(r.branch_name, att, read)}</td><td>{status}</td></tr>')
    total_cells = "".join(f'<td class="num"><strong>{_cell(c, totals, tr)}</strong></td>' for c in columns)
    out.append(f'</tbody><tfoot><tr class="totals"><th scope="row">{esc(_("Whole Party committee"))}</th>'
               f'{total_cells}<td></td><td>{esc(_("Lagging branches: {n}").format(n=len(lagging)))}</td>'
               "</tr></tfoot></table>")
    note = _("Trend, month by month: solid line, attendance; dashed line, members who read the daily study.")
    out.append(f'<p class="muted">{esc(note)}</p>')
    return Page(title=org.name, body="".join(out), period=period)


async def committee_export(deps: Deps, actor: Actor, org_id: int, period: str) -> Download:
    """The page's table as .xlsx (the branches, the totals, why each lagging branch lags); audited."""
    require_org_admin(actor, org_id, "dashboard.export")
    period = _period(period)
    today = local_now(deps.clock).date()
    async with deps.db.session() as s:
        org, reports = await committee_reports(s, deps, org_id, period, today)
        label = period_label(period, today)
        columns = _columns(reports)
        totals = _totals(org, reports, period, label)
        header = [_("No."), _("Branch"), *[c.title() + (" (%)" if c.percent else "") for c in columns],
                  _("Needs attention")]
        rows: list[list[object]] = [[i, r.branch_name, *[c.value(r, r.rates) for c in columns], "; ".join(r.flags)]
                                    for i, r in enumerate(reports, 1)]
        rows.append(["", _("Whole Party committee"), *[c.value(totals, totals.rates) for c in columns],
                     _("Lagging branches: {n}").format(n=sum(1 for r in reports if r.flags))])
        await audit.record(s, at=deps.clock.now(), actor_person_id=actor.person_id, action="dashboard.export",
                           org_id=org_id, target=f"org:{org_id}:{period}",
                           details={"table": "branches", "period": period, "rows": len(reports)})
    sheets = [Sheet(_("Branches"), header, rows, max_width=40),
              Sheet(_("Summary"), [_("Figure"), _("Value")],
                    [[_("Party organisation"), org.name], [_("Period"), label], [_("Branches"), len(reports)],
                     [_("Lagging branches"), sum(1 for r in reports if r.flags)],
                     [_("Exported"), local_now(deps.clock).strftime("%d/%m/%Y %H:%M")]])]
    data = await asyncio.to_thread(xlsx_bytes, sheets)
    slug = "-".join(fold(org.name).split())[:40] or "dang-bo"
    return Download(data, f"chibo-{slug}-{'-'.join(fold(label).split())}.xlsx")
