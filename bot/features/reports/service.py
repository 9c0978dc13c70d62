"""Branch reports (/baocao): figures from every feature's provider, a PNG chart, the Excel workbook and the
committee's one-row-per-branch view with lagging branches flagged."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now, to_utc
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.branch_report import (
    BranchReport,
    committee_reports,
    fmt_pct,
    period_bounds,
    period_label,
    summary_rows,
)
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.extensions import BranchScope
from bot.services.permissions import require_org_admin
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import branch_title, number
from storage.models.org import Organization
from storage.models.people import Membership, MembershipStatus, Person

log = logging.getLogger("hocbac.reports")

PERIODS = ("m", "q", "y")
# Sheets the workbook always has, in this order; a feature that registered none gets an empty sheet.
SHEET_ORDER = ("members", "pledges", "deeds", "meetings", "notices")


def chart_series(r: BranchReport) -> list[tuple[str, float | None]]:
    """The chart's bars: (label, rate in % or None)."""
    rates = r.rates
    return [
        (_("Pledged"), rates["pledged"]),
        (_("Pledge check-in"), rates["checkin"]),
        (_("Daily reading"), rates["reading"]),
        (_("Attendance"), rates["attendance"]),
        (_("Confirmed notices"), rates["ack"]),
    ]


def chart_bars(r: BranchReport) -> list[tuple[str, float | None, str]]:
    """The chart's bars with the counts behind each rate: (label, rate in % or None, "9/12" or "")."""
    f = r.figures

    def count(num: str, den: str) -> str:
        if num not in f or den not in f or not f.get(den):
            return ""
        return f"{number(f[num])}/{number(f[den])}"

    counts = [count("pledged", "members"), count("checkin_answered", "checkin_sent"),
              count("daily_readers", "members"), count("attendance_present", "attendance_expected"),
              count("notices_acknowledged", "notices_ack_sent")]
    return [(label, v, c) for (label, v), c in zip(chart_series(r), counts, strict=True)]


# The chat's chart is read on a phone: a 1080-pixel-wide picture, horizontal bars so that the long Vietnamese
# labels sit on the left one under another (never side by side), the rate and its count written on each bar.
CHART_SIZE = (7.2, 5.4)  # inches
CHART_DPI = 150  # 1080 x 810 pixels
CHART_COLOUR = "#0072B2"  # Okabe-Ito blue: told apart with every common colour blindness
CHART_FONT = 15


def chart_figure(r: BranchReport) -> Any:
    """The chart as a matplotlib Figure (the caller closes it): the tests measure where its texts land."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = chart_bars(r)
    fig, ax = plt.subplots(figsize=CHART_SIZE, dpi=CHART_DPI)
    positions = list(range(len(bars)))
    ax.barh(positions, [v or 0 for _l, v, _c in bars], height=0.62, color=CHART_COLOUR)
    for y, (_label, v, c) in zip(positions, bars, strict=True):
        if v is None:
            # No bar at all, and the words: a rate that could not be counted must not pass for a zero.
            ax.text(1.5, y, _("no figures yet"), va="center", ha="left", fontsize=CHART_FONT - 1, color="#555555",
                    style="italic")
            continue
        text = f"{fmt_pct(v)} ({c})" if c else fmt_pct(v)
        inside = v >= 60  # a long bar holds its number in white; a short one has it just after its end
        ax.text(v - 1.5 if inside else v + 1.5, y, text, va="center", ha="right" if inside else "left",
                fontsize=CHART_FONT, fontweight="bold", color="#ffffff" if inside else "#1a1a1a")
    ax.set_yticks(positions, [textwrap.fill(label, 16) for label, _v, _c in bars], fontsize=CHART_FONT)
    ax.invert_yaxis()  # the first figure on top, as in the report text
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=CHART_FONT - 3)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(textwrap.fill(f"{branch_title(r.branch_name)} — {r.label}", 40), fontsize=CHART_FONT + 1,
                 fontweight="bold")
    fig.tight_layout()
    return fig


def chart_png(r: BranchReport) -> bytes:
    """The chart as PNG. matplotlib is imported inside, so the bot starts without it."""
    import matplotlib.pyplot as plt

    fig = chart_figure(r)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


class ReportService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def bounds(self, period: str) -> tuple[datetime, datetime, str]:
        today = local_now(self.deps.clock).date()
        start, end = period_bounds(period, today)
        tz = self.deps.clock.tz
        return (
            to_utc(datetime.combine(start, datetime.min.time()), tz),
            to_utc(datetime.combine(end, datetime.min.time()), tz),
            period_label(period, today),
        )

    async def branch_report(self, actor: Actor, branch_id: int, period: str) -> BranchReport:
        start, end, label = self.bounds(period)
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "report.read")
            figures = await self.deps.ext.branch_figures(s, self.deps, branch.id, start, end)
            return BranchReport(branch.id, branch.name, period, label, figures)

    async def chart(self, report: BranchReport) -> bytes:
        return await asyncio.to_thread(chart_png, report)

    async def committee_view(
        self, actor: Actor, org_id: int, period: str
    ) -> tuple[Organization, list[BranchReport]]:
        """One report per branch of the đảng bộ, each with its lagging flags (every branch's figures in one
        bulk read per period, bot.services.branch_report.committee_reports)."""
        require_org_admin(actor, org_id, "report.committee")
        period_bounds(period, local_now(self.deps.clock).date())  # an unknown period is refused first
        async with self.deps.db.session() as s:
            return await committee_reports(s, self.deps, org_id, period, local_now(self.deps.clock).date())

    async def workbook(self, actor: Actor, branch_id: int, period: str) -> tuple[bytes, str]:
        """The branch's Excel workbook for the period; every export is audited."""
        start, end, label = self.bounds(period)
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "report.export")
            # The summary first (the figures of /baocao, the daily reading among them), then the details.
            figures = await self.deps.ext.branch_figures(s, self.deps, branch.id, start, end)
            report = BranchReport(branch.id, branch.name, period, label, figures)
            sheets: list[tuple[str, list[str], list[list[Any]]]] = [
                (_("Summary"), [_("Figure"), _("Value")], summary_rows(report))
            ]
            registered = self.deps.ext.export_sheets
            keys = list(SHEET_ORDER) + [k for k in registered if k not in SHEET_ORDER]
            for key in keys:
                sheet = registered.get(key)
                if sheet is None:
                    sheets.append((_placeholder_title(key), [_("Note")], [[_("no data yet")]]))
                    continue
                header, rows = await sheet.rows(s, self.deps, branch.id, start, end)
                sheets.append((sheet.title(), header, rows))
            await audit.record(
                s,
                at=self.deps.clock.now(),
                actor_person_id=actor.person_id,
                action="report.export",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"branch:{branch.id}:{period}",
                details={"sheets": [t for t, _h, _r in sheets], "rows": sum(len(r) for _t, _h, r in sheets)},
            )
        data = await asyncio.to_thread(_build_xlsx, sheets)
        name = f"baocao-{_slug(branch.name)}-{label.replace('/', '-').replace(' ', '-')}.xlsx"
        return data, name


def _placeholder_title(key: str) -> str:
    return {
        "pledges": _("Pledges"),
        "deeds": _("Good deeds"),
        "members": _("Members"),
        "meetings": _("Meetings and attendance"),
        "notices": _("Notices"),
    }.get(key, key)


def _slug(text: str) -> str:
    from bot.text import fold

    return "-".join(fold(text).split())[:40] or "chibo"


def _build_xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    return xlsx_bytes([Sheet(title, header, rows, max_width=40) for title, header, rows in sheets])


# --- the members figure and sheet (this feature owns them) -------------------------------------------


async def _member_figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    rows = (
        (
            await s.execute(
                select(Membership.decided_at).where(
                    Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value
                )
            )
        )
        .scalars()
        .all()
    )
    return {"members": len(rows)}


async def _member_figures_bulk(
    s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    counts = dict(
        (
            await s.execute(
                select(Membership.branch_id, func.count())
                .where(branch_ids.where(Membership.branch_id), Membership.status == MembershipStatus.ACTIVE.value)
                .group_by(Membership.branch_id)
            )
        ).all()
    )
    return {b: {"members": int(counts.get(b, 0))} for b in branch_ids}


async def _member_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[Any]]]:
    header = [_("No."), _("Name"), _("Role"), _("Status"), _("Joined")]
    roles = {"member": _("member"), "secretary": _("secretary"), "deputy": _("deputy secretary")}
    statuses = {"active": _("active"), "left": _("left")}
    rows = (
        await s.execute(
            select(Membership, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.branch_id == branch_id,
                Membership.status.in_([MembershipStatus.ACTIVE.value, MembershipStatus.LEFT.value]),
            )
            .order_by(Membership.status, Person.display_name)
        )
    ).all()
    return header, [
        [
            i,
            p.display_name,
            roles.get(m.role, m.role),
            statuses.get(m.status, m.status),
            (m.decided_at or m.requested_at).replace(tzinfo=None),
        ]
        for i, (m, p) in enumerate(rows, 1)
    ]


