"""A branch's figures as one report text: /baocao shows it, and the mid-year and year-end reminders
carry it. An engine module because the figures come from every feature (``deps.ext.branch_figures``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.i18n import _
from bot.messages import esc
from bot.services.errors import InvalidInput
from bot.text import branch_title, number

if TYPE_CHECKING:
    from bot.services.deps import Deps
    from storage.models.calendar import OrgThresholds
    from storage.models.org import Organization


def pct(num: float | int | None, den: float | int | None) -> float | None:
    if num is None or not den:
        return None
    return round(100.0 * float(num) / float(den), 1)


@dataclass
class BranchReport:
    branch_id: int
    branch_name: str
    period: str
    label: str
    figures: dict[str, float | int]
    flags: list[str] = field(default_factory=list)

    def get(self, key: str) -> float | int | None:
        return self.figures.get(key)

    @property
    def rates(self) -> dict[str, float | None]:
        f = self.figures
        return {
            "pledged": pct(f.get("pledged"), f.get("members")) if "pledged" in f else None,
            "checkin": pct(f.get("checkin_answered"), f.get("checkin_sent")) if "checkin_sent" in f else None,
            "attendance": pct(f.get("attendance_present"), f.get("attendance_expected")),
            "ack": pct(f.get("notices_acknowledged"), f.get("notices_ack_sent")),
            # The daily reading: the share of members who read at least once in the period.
            "reading": pct(f.get("daily_readers"), f.get("members")) if "daily_readers" in f else None,
        }

    @property
    def reading_days_per_member(self) -> float | None:
        """Reading days ("Đã đọc ✓", one a member a day) per member in the period."""
        f = self.figures
        if "daily_read" not in f or not f.get("members"):
            return None
        return round(float(f["daily_read"]) / float(f["members"]), 1)


def summary_rows(r: BranchReport) -> list[list[str | float | int]]:
    """The report's figures as (label, value) rows: the workbook's first sheet."""
    f, rates = r.figures, r.rates

    def val(v: float | int | None) -> str | float | int:
        return _("no data yet") if v is None else v

    return [
        [_("Period"), r.label],
        [_("Members"), val(f.get("members"))],
        [_("Pledged (%)"), val(rates["pledged"])],
        [_("Answered the pledge check-in (%)"), val(rates["checkin"])],
        [_("Members who read the daily study (%)"), val(rates["reading"])],
        [_("Reading days per member"), val(r.reading_days_per_member)],
        [_("Good deeds reported"), val(f.get("deeds_reported"))],
        [_("Good deeds accepted"), val(f.get("deeds_accepted"))],
        [_("Regular meetings"), val(f.get("meetings_regular"))],
        [_("Thematic meetings"), val(f.get("meetings_thematic"))],
        [_("Attendance (%)"), val(rates["attendance"])],
        [_("Notices sent"), val(f.get("notices"))],
        [_("Notices confirmed (%)"), val(rates["ack"])],
    ]


def fmt_value(value: float | int | None) -> str:
    if value is None:
        return _("no data yet")
    return number(value)


def fmt_pct(value: float | None) -> str:
    return _("no data yet") if value is None else f"{number(value)}%"


def report_text(r: BranchReport) -> str:
    f = r.figures
    rates = r.rates
    lines = [
        _("📊 <b>Report of {branch}</b> — {period}").format(branch=esc(branch_title(r.branch_name)), period=r.label),
        "",
    ]
    lines.append(_("• Members: {n}").format(n=fmt_value(f.get("members"))))
    lines.append(_("• Pledged: {pct}").format(pct=fmt_pct(rates["pledged"])))
    lines.append(_("• Answered the pledge check-in: {pct}").format(pct=fmt_pct(rates["checkin"])))
    if "daily_readers" in f:
        lines.append(
            _("• Daily study read: {readers}/{members} members ({pct}), {days} reading days per member").format(
                readers=fmt_value(f.get("daily_readers")),
                members=fmt_value(f.get("members")),
                pct=fmt_pct(rates["reading"]),
                days=fmt_value(r.reading_days_per_member),
            )
        )
    else:
        lines.append(_("• Daily study read: {none}").format(none=_("no data yet")))
    if "deeds_reported" in f:
        lines.append(
            _("• Good deeds: {reported} reported, {accepted} accepted, {featured} featured").format(
                reported=fmt_value(f.get("deeds_reported")),
                accepted=fmt_value(f.get("deeds_accepted")),
                featured=fmt_value(f.get("deeds_featured")),
            )
        )
    else:
        lines.append(_("• Good deeds: {none}").format(none=_("no data yet")))
    lines.append(
        _("• Meetings held: {regular} regular, {thematic} thematic").format(
            regular=fmt_value(f.get("meetings_regular")), thematic=fmt_value(f.get("meetings_thematic"))
        )
    )
    lines.append(_("• Attendance: {pct}").format(pct=fmt_pct(rates["attendance"])))
    lines.append(
        _("• Notices: {n} sent, confirmed {pct}").format(n=fmt_value(f.get("notices")), pct=fmt_pct(rates["ack"]))
    )
    if "zalo_quota_limit" in f:
        lines.append(_("• Zalo this month: {used} of {limit} messages sent").format(
            used=fmt_value(f.get("zalo_quota_used")), limit=fmt_value(f.get("zalo_quota_limit"))))
    if "zalo_forecast" in f:
        lines.append(_("• Zalo forecast for the month: {total} messages ({pct}% of the plan); {members} of "
                       "{cap} people on the bot").format(
            total=fmt_value(f.get("zalo_forecast")), pct=fmt_value(f.get("zalo_forecast_percent")),
            members=fmt_value(f.get("zalo_members")), cap=fmt_value(f.get("zalo_member_cap"))))
    if r.flags:
        lines.append("")
        lines.append(_("⚠️ Needs attention: {flags}").format(flags="; ".join(r.flags)))
    return "\n".join(lines)


# --- periods and the committee's view of its branches (/baocao for the committee, the dashboard) -------


def period_bounds(kind: str, today: date) -> tuple[date, date]:
    """[start, end) local dates of this month / quarter / year."""
    if kind == "m":
        start = today.replace(day=1)
        end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    elif kind == "q":
        first = 3 * ((today.month - 1) // 3) + 1
        start = date(today.year, first, 1)
        end = date(today.year + (first == 10), (first + 2) % 12 + 1, 1)
    elif kind == "y":
        start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    else:
        raise InvalidInput(_("Unknown period."))
    return start, end


def period_label(kind: str, today: date) -> str:
    if kind == "m":
        return _("month {m}/{y}").format(m=today.month, y=today.year)
    if kind == "q":
        return _("quarter {q}/{y}").format(q=(today.month - 1) // 3 + 1, y=today.year)
    return _("year {y}").format(y=today.year)


def utc_bounds(kind: str, today: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period as aware UTC [start, end), what the figures providers take."""
    start, end = period_bounds(kind, today)
    return (to_utc(datetime.combine(start, datetime.min.time()), tz),
            to_utc(datetime.combine(end, datetime.min.time()), tz))


def lagging_flags(r: BranchReport, quarter: dict[str, float | int], month: dict[str, float | int],
                  limits: OrgThresholds) -> list[str]:
    """Why a branch lags, by the đảng bộ's thresholds (/nguong): no thematic meeting this quarter, attendance
    under the minimum in the report's period, no good deed this month. Empty when it does not lag."""
    flags: list[str] = []
    if limits.require_thematic_quarter and not quarter.get("meetings_thematic"):
        flags.append(_("no thematic meeting this quarter"))
    att = r.rates["attendance"]
    if att is not None and att < limits.min_attendance_pct:
        flags.append(_("attendance {pct}% (under {min}%)").format(pct=f"{att:g}", min=limits.min_attendance_pct))
    if limits.require_deeds_month and "deeds_reported" in month and not month["deeds_reported"]:
        flags.append(_("no good deeds this month"))
    return flags


# What the committee's views show of each branch (and what their flags need): the providers of other figures
# (the daily items sent, the Zalo quota, ...) are not asked, which keeps a view of thousands of branches fast.
COMMITTEE_KEYS = ("members", "pledged", "checkin_sent", "checkin_answered", "daily_read", "daily_readers",
                  "deeds_reported", "deeds_accepted", "meetings_regular", "meetings_thematic", "attendance_expected",
                  "attendance_present", "notices_ack_sent", "notices_acknowledged", "emulation_projects",
                  "contest_entries")


async def committee_reports(s: AsyncSession, deps: Deps, org_id: int, period: str,
                            today: date) -> tuple[Organization, list[BranchReport]]:
    """One report per branch of the đảng bộ (by name), each with its lagging flags: every feature's figures
    for all the branches in one ``org_figures`` call per period (the report's, this quarter's, this month's).
    The caller has checked that the actor is the đảng bộ's committee."""
    from bot.services.calendar import load_thresholds
    from bot.services.directory import org_branches
    from bot.services.extensions import BranchScope

    org, branches = await org_branches(s, org_id)
    limits = await load_thresholds(s, org_id)
    # All of the đảng bộ's branches: filtered in SQL by org, not by thousands of bound ids.
    ids = BranchScope.of([b.id for b in branches if b.id is not None], org_id)
    tz = deps.clock.tz
    label = period_label(period, today)
    cache: dict[str, dict[int, dict[str, float | int]]] = {}
    # The flags need this quarter's thematic meetings and this month's deeds, nothing more of those periods.
    wanted: dict[str, tuple[str, ...]] = {"q": ("meetings_thematic",), "m": ("deeds_reported",)}
    wanted[period] = COMMITTEE_KEYS  # the report's own period has them all
    for kind, only in wanted.items():
        start, end = utc_bounds(kind, today, tz)
        cache[kind] = await deps.ext.org_figures(s, deps, ids, start, end, only=only)
    out: list[BranchReport] = []
    for b in branches:
        assert b.id is not None
        r = BranchReport(b.id, b.name, period, label, cache[period][b.id])
        r.flags = lagging_flags(r, cache["q"][b.id], cache["m"][b.id], limits)
        out.append(r)
    return org, out
