"""The branch page: the period's figures as large numbers, the same figures over time as charts, the members
(each name opens their year file), the work waiting for the secretary, and an .xlsx of every table.

Seen by the branch's secretary and deputy and by the committee of its đảng bộ only
(``permissions.can_manage_branch`` through ``directory.managed_branch``); every export is in the audit log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.dashboard.charts import PALETTE, bar_chart, big_number, column_chart, fmt
from bot.features.dashboard.page import Download, Page
from bot.i18n import _
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.branch_report import BranchReport, summary_rows
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.errors import InvalidInput
from bot.services.extensions import PendingItem, Series
from bot.services.permissions import can_admin_org
from bot.services.sheets import Sheet, xlsx_bytes
from bot.services.timeline import PERIODS, period_range
from bot.text import branch_title, fold
from storage.models.org import Branch, Organization
from storage.models.people import Membership, MembershipStatus, Person

# The tables a branch page offers as .xlsx ("workbook": the branch workbook of /baocao).
TABLES = ("figures", "series", "members", "pending", "workbook")
# Sheets the branch workbook always has first, in this order (as /baocao's).
WORKBOOK_ORDER = ("members", "pledges", "deeds", "meetings", "notices")
# How each series is drawn: rates out of 100, categories as bars; the others are columns over time.
PERCENT_SERIES = frozenset({"attendance_per_meeting"})
CATEGORY_SERIES = frozenset({"pledges_by_state"})


def _check_period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period."))
    return period


def _local(at: datetime | None, deps: Deps, with_time: bool = False) -> str:
    if at is None:
        return ""
    local = as_utc(at).astimezone(deps.clock.tz)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def _roles() -> dict[str, str]:
    return {"member": _("member"), "secretary": _("secretary"), "deputy": _("deputy secretary")}


async def _members(s: AsyncSession, branch_id: int) -> list[tuple[int, str, str, datetime]]:
    """(person id, name, role, since) of the active members, by name."""
    rows = (
        await s.execute(
            select(Person.id, Person.display_name, Membership.role, Membership.decided_at, Membership.requested_at)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value)
            .order_by(Person.display_name, Person.id)
        )
    ).all()
    return [(int(pid), name, role, decided or requested) for pid, name, role, decided, requested in rows]


async def _series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                  end: datetime) -> list[tuple[Series, list[tuple[str, float | int]]]]:
    return [(ser, await ser.fn(s, deps, branch_id, start, end)) for ser in deps.ext.series]


async def _pending(s: AsyncSession, deps: Deps, branch_id: int) -> list[tuple[str, str, list[PendingItem]]]:
    return [(p.name, p.title(), await p.fn(s, deps, branch_id)) for p in deps.ext.pending]


def _tiles(r: BranchReport) -> str:
    f, rates = r.figures, r.rates

    def count(key: str) -> int | float | None:
        return f.get(key)

    def of(num: str, den: str) -> str:
        return f"{fmt(f.get(num))}/{fmt(f.get(den))}" if num in f and den in f else ""

    meetings = (None if "meetings_regular" not in f
                else int(f.get("meetings_regular", 0)) + int(f.get("meetings_thematic", 0)))
    tiles = [
        big_number(_("Members"), count("members")),
        big_number(_("Pledged"), rates["pledged"], "%", of("pledged", "members")),
        big_number(_("Read the daily study"), rates["reading"], "%", of("daily_readers", "members")),
        big_number(_("Good deeds reported"), count("deeds_reported")),
        big_number(_("Good deeds accepted"), count("deeds_accepted")),
        big_number(_("Meetings held"), meetings),
        big_number(_("Attendance"), rates["attendance"], "%", of("attendance_present", "attendance_expected")),
        big_number(_("Notices confirmed"), rates["ack"], "%", of("notices_acknowledged", "notices_ack_sent")),
    ]
    return f"<div class=\"figures tiles\">{''.join(tiles)}</div>"


def _chart(i: int, ser: Series, points: Sequence[tuple[str, float | int]]) -> str:
    colour = PALETTE[i % len(PALETTE)]
    if ser.name in CATEGORY_SERIES:
        return bar_chart(ser.name, ser.title(), points, colour=colour)
    unit = "%" if ser.name in PERCENT_SERIES else ""
    return column_chart(ser.name, ser.title(), points, unit=unit, colour=colour)


def _export_link(branch_id: int, table: str, period: str, label: str) -> str:
    return (f"<a class=\"button export\" href=\"/dashboard/branch/{branch_id}/export/{table}.xlsx?period={period}\" "
            f"download>{esc(label)}</a>")


def _members_html(deps: Deps, branch_id: int, period: str,
                  members: list[tuple[int, str, str, datetime]]) -> str:
    roles = _roles()
    rows = "".join(
        f"<tr><td class=\"num\">{i}</td><td><a href=\"/dashboard/member/{pid}\">{esc(name or _('(no name)'))}</a></td>"
        f"<td>{esc(roles.get(role, role))}</td><td>{esc(_local(since, deps))}</td></tr>"
        for i, (pid, name, role, since) in enumerate(members, 1)
    )
    if not rows:
        rows = f"<tr><td colspan=\"4\">{esc(_('No members yet.'))}</td></tr>"
    return (
        f"<section class=\"card\" id=\"members\"><h2>{esc(_('Members'))}: <span class=\"count\">{len(members)}</span>"
        f"</h2><p class=\"hint\">{esc(_('Press a name to open their year file.'))}</p>"
        f"<div class=\"table-wrap\"><table class=\"table data\"><thead><tr><th scope=\"col\">{esc(_('No.'))}</th>"
        f"<th scope=\"col\">{esc(_('Name'))}</th><th scope=\"col\">{esc(_('Role'))}</th>"
        f"<th scope=\"col\">{esc(_('Member since'))}</th></tr></thead><tbody>{rows}</tbody></table></div>"
        f"<p class=\"exports\">{_export_link(branch_id, 'members', period, _('Download the members (.xlsx)'))}</p>"
        "</section>"
    )


def _pending_html(deps: Deps, branch_id: int, period: str, pending: list[tuple[str, str, list[PendingItem]]]) -> str:
    parts = [f"<section class=\"card\" id=\"pending\"><h2>{esc(_('Work waiting'))}</h2>"]
    total = sum(len(items) for _n, _t, items in pending)
    if not total:
        parts.append(f"<p class=\"all-done\">{esc(_('Nothing is waiting. Well done, comrade!'))}</p>")
    for name, title, items in pending:
        parts.append(f"<div class=\"pending\" id=\"pending-{esc(name)}\"><h3>{esc(title)}: "
                     f"<span class=\"count\">{len(items)}</span></h3>")
        if items:
            lis = "".join(
                f"<li>{esc(it.text)}"
                + (f" <span class=\"since muted\">— {esc(_('since {day}').format(day=_local(it.when, deps)))}</span>"
                   if it.when else "")
                + "</li>"
                for it in items
            )
            parts.append(f"<ul class=\"pending-list\">{lis}</ul>")
        parts.append("</div>")
    parts.append(f"<p class=\"exports\">{_export_link(branch_id, 'pending', period, _('Download this list (.xlsx)'))}"
                 "</p></section>")
    return "".join(parts)


async def branch_page(deps: Deps, actor: Actor, branch_id: int, period: str) -> Page:
    period = _check_period(period)
    start, end, label = period_range(period, deps.clock.now(), deps.clock.tz)
    async with deps.db.session() as s:
        branch = await managed_branch(s, actor, branch_id, "dashboard.branch")
        figures = await deps.ext.branch_figures(s, deps, branch.id, start, end)
        series = await _series(s, deps, branch.id, start, end)
        members = await _members(s, branch.id)
        pending = await _pending(s, deps, branch.id)
        org = await s.get(Organization, branch.org_id)
    report = BranchReport(branch.id, branch.name, period, label, figures)
    charts = "".join(_chart(i, ser, points) for i, (ser, points) in enumerate(series))
    body = "".join([
        f"<p class=\"period\">{esc(label)}</p>",
        f"<section class=\"card\" id=\"figures\"><h2>{esc(_('At a glance'))}</h2>{_tiles(report)}",
        f"<p class=\"exports\">{_export_link(branch.id, 'figures', period, _('Download the figures (.xlsx)'))} ",
        f"{_export_link(branch.id, 'workbook', period, _('Download the full branch workbook (.xlsx)'))}</p></section>",
        f"<section class=\"card\" id=\"charts\"><h2>{esc(_('Over time'))}</h2><div class=\"charts\">{charts}</div>",
        f"<p class=\"exports\">{_export_link(branch.id, 'series', period, _('Download the chart figures (.xlsx)'))}"
        "</p></section>",
        _pending_html(deps, branch.id, period, pending),
        _members_html(deps, branch.id, period, members),
    ])
    crumbs: list[tuple[str, str]] = []
    if can_admin_org(actor, branch.org_id):
        crumbs.append((org.name if org else _("Party committee"), f"/dashboard/org/{branch.org_id}"))
    return Page(title=branch_title(branch.name), body=body, period=period, crumbs=crumbs)


# --- exports --------------------------------------------------------------------------------------------


async def _sheets(s: AsyncSession, deps: Deps, branch: Branch, table: str, period: str, start: datetime,
                  end: datetime, label: str) -> list[Sheet]:
    if table == "figures":
        report = BranchReport(branch.id, branch.name, period, label,
                              await deps.ext.branch_figures(s, deps, branch.id, start, end))
        return [Sheet(_("Figures"), [_("Figure"), _("Value")], summary_rows(report))]
    if table == "series":
        out = [Sheet(ser.title(), [_("Item"), _("Value")], [[lbl, v] for lbl, v in points])
               for ser, points in await _series(s, deps, branch.id, start, end)]
        return out or [Sheet(_("Figures"), [_("Note")], [[_("no figures yet")]])]
    if table == "members":
        roles = _roles()
        rows: list[list[Any]] = [
            [i, name, roles.get(role, role), as_utc(since).astimezone(deps.clock.tz).date()]
            for i, (_pid, name, role, since) in enumerate(await _members(s, branch.id), 1)
        ]
        return [Sheet(_("Members"), [_("No."), _("Name"), _("Role"), _("Member since")], rows)]
    if table == "pending":
        prow: list[list[Any]] = []
        for _name, title, items in await _pending(s, deps, branch.id):
            for it in items:
                when = as_utc(it.when).astimezone(deps.clock.tz).replace(tzinfo=None) if it.when else ""
                prow.append([title, it.text, when])
        return [Sheet(_("Work waiting"), [_("Kind"), _("Item"), _("Since")], prow, wrap=True)]
    # "workbook": the summary, then every feature's sheet, as /baocao's "Xuất Excel".
    report = BranchReport(branch.id, branch.name, period, label,
                          await deps.ext.branch_figures(s, deps, branch.id, start, end))
    sheets = [Sheet(_("Summary"), [_("Figure"), _("Value")], summary_rows(report), max_width=40)]
    registered = deps.ext.export_sheets
    for key in [k for k in WORKBOOK_ORDER if k in registered] + [k for k in registered if k not in WORKBOOK_ORDER]:
        sheet = registered[key]
        header, rows = await sheet.rows(s, deps, branch.id, start, end)
        sheets.append(Sheet(sheet.title(), header, rows, max_width=40))
    return sheets


def _slug(text: str) -> str:
    return "-".join(fold(text).split())[:40] or "chibo"


async def branch_export(deps: Deps, actor: Actor, branch_id: int, table: str, period: str) -> Download:
    """One table of the branch page as .xlsx (text cells never formulas: bot.services.sheets), audited."""
    period = _check_period(period)
    if table not in TABLES:
        raise InvalidInput(_("There is no such table to download."))
    start, end, label = period_range(period, deps.clock.now(), deps.clock.tz)
    async with deps.db.session() as s:
        branch = await managed_branch(s, actor, branch_id, "dashboard.export")
        sheets = await _sheets(s, deps, branch, table, period, start, end, label)
        await audit.record(
            s, at=deps.clock.now(), actor_person_id=actor.person_id, action="dashboard.export",
            org_id=branch.org_id, branch_id=branch.id, target=f"branch:{branch.id}:{table}:{period}",
            details={"table": table, "period": period, "rows": sum(len(sh.rows) for sh in sheets)},
        )
        name = branch.name
    data = await asyncio.to_thread(xlsx_bytes, sheets)
    return Download(data, f"{table}-{_slug(name)}-{_slug(label)}.xlsx")
