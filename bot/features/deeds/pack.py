"""The monthly meeting pack ("bản tin" việc tốt): a Vietnamese summary, an .xlsx and a weekly chart.

openpyxl and matplotlib are imported inside the functions that need them, so starting the bot does not
pay for them; the chart is drawn with the Agg backend (no display) in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.cards import status_label
from bot.features.deeds.figures import COUNTED
from bot.features.deeds.models import Deed, DeedStatus
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import NotFound
from bot.services.media import MediaStore
from bot.services.permissions import require_branch_manager
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Pack:
    branch_id: int
    label: str  # "02/2026"
    start: date
    end: date  # exclusive
    text: str
    rows: list[list[object]]  # the xlsx rows (header first), kept for callers and tests
    xlsx: bytes
    png: bytes


def period_for(pack_day: date) -> tuple[date, date]:
    """The month a pack covers: the month before when the pack goes out early in a month (on the 1st, or
    before a meeting early in the month), otherwise the current month up to the pack day."""
    if pack_day.day < 15:
        end = pack_day.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
        return start, end
    return pack_day.replace(day=1), pack_day + timedelta(days=1)


def pack_day_for(today: date, meeting: datetime | None, tz: ZoneInfo) -> date:
    """Two days before the branch's next regular meeting, or the 1st of the month when none is known."""
    if meeting is not None:
        return (
            meeting.astimezone(tz).date() - timedelta(days=2)
            if meeting.tzinfo
            else meeting.date() - timedelta(days=2)
        )
    return today.replace(day=1)


async def _collect(
    s: AsyncSession, branch_id: int, start: date, end: date
) -> tuple[list[tuple[Deed, str]], list[tuple[int, str]]]:
    deeds = (
        await s.execute(
            select(Deed, Person.display_name)
            .join(Person, Person.id == Deed.person_id)
            .where(
                Deed.branch_id == branch_id,
                Deed.day >= start,
                Deed.day < end,
                Deed.status != DeedStatus.WITHDRAWN.value,
            )
            .order_by(Deed.day, Deed.id)
        )
    ).all()
    members = (
        await s.execute(
            select(Person.id, Person.display_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value)
            .order_by(Person.display_name)
        )
    ).all()
    return [(d, n) for d, n in deeds], [(i, n) for i, n in members]


def _summary(
    branch: Branch, label: str, deeds: list[tuple[Deed, str]], members: list[tuple[int, str]]
) -> str:
    counted = [(d, n) for d, n in deeds if d.status in COUNTED]
    per_person = Counter(d.person_id for d, _n in counted)
    names = {d.person_id: (n if not d.erased else _("(a former member)")) for d, n in counted}
    by_status = Counter(d.status for d, _n in counted)
    lines = [_("📰 <b>Good deeds of {month}</b> — {branch}").format(month=label, branch=esc(branch.name)), ""]
    lines.append(
        _(
            "{n} good deeds from {people} of {members} members ({accepted} recorded, {featured} commended, "
            "{pending} waiting for review)."
        ).format(
            n=len(counted),
            people=len(per_person),
            members=len(members),
            accepted=by_status.get(DeedStatus.ACCEPTED.value, 0),
            featured=by_status.get(DeedStatus.FEATURED.value, 0),
            pending=by_status.get(DeedStatus.PENDING.value, 0),
        )
    )
    if per_person:
        lines += ["", _("<b>Good deeds per member</b>")]
        for pid, n in sorted(per_person.items(), key=lambda kv: (-kv[1], names[kv[0]])):
            lines.append(f"• {esc(names[pid])}: {n}")
    featured = [(d, n) for d, n in counted if d.status == DeedStatus.FEATURED.value]
    if featured:
        lines += ["", _("<b>🌟 Commended good deeds</b>")]
        for i, (d, n) in enumerate(featured, 1):
            head = f"{i}. <b>{esc(n)}</b> — {d.day.strftime('%d/%m')}"
            if d.category:
                head += f" · {esc(d.category)}"
            lines.append(head)
            lines.append(esc(d.text) if d.text else _("(a voice note)"))
    quiet = [name for pid, name in members if pid not in per_person]
    if quiet:
        lines += ["", _("<b>No good deed reported yet this month</b> — let us encourage one another:")]
        lines += [f"• {esc(name)}" for name in quiet]
    return "\n".join(lines)


def _rows(deeds: list[tuple[Deed, str]], media_root: str) -> list[list[object]]:
    header: list[object] = [
        _("Deed no."),
        _("Deed date"),
        _("Member name"),
        _("Deed category"),
        _("What was done"),
        _("Review status"),
        _("Recorded by the secretary"),
        _("Photos (media keys)"),
        _("Photo file"),
        _("Return reason"),
    ]
    rows = [header]
    for i, (d, n) in enumerate(deeds, 1):
        first = d.photo_keys[0] if d.photo_keys else ""
        link = f"{media_root}/{first[:2]}/{first}" if first else ""
        rows.append(
            [
                i,
                d.day.strftime("%d/%m/%Y"),
                n if not d.erased else _("(a former member)"),
                d.category,
                d.text or (_("(a voice note)") if d.voice_key else ""),
                status_label(d.status),
                "✓" if d.recorded_by else "",
                " ".join(d.photo_keys),
                link,
                d.return_reason or "",
            ]
        )
    return rows


def _xlsx(rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook  # lazy: only the pack needs it

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for row in rows:
        ws.append(row)
    for r in range(2, len(rows) + 1):
        cell = ws.cell(row=r, column=9)
        if cell.value:
            cell.hyperlink = f"file://{cell.value}"  # photos are files in the media store, not platform ids
    for col, width in zip("ABCDEFGHIJ", (5, 12, 24, 20, 60, 16, 10, 30, 40, 30), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _chart(deeds: list[tuple[Deed, str]], start: date, end: date, title: str) -> bytes:
    import matplotlib  # lazy: a second of import time the bot should not pay at start-up

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    weeks: list[date] = []
    monday = start - timedelta(days=start.weekday())
    while monday < end:
        weeks.append(monday)
        monday += timedelta(days=7)
    counts = Counter(d.day - timedelta(days=d.day.weekday()) for d, _n in deeds if d.status in COUNTED)
    fig, ax = plt.subplots(figsize=(5, 2.6), dpi=100)
    try:
        ax.bar([w.strftime("%d/%m") for w in weeks], [counts.get(w, 0) for w in weeks], color="#c62828")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(_("good deeds"), fontsize=8)
        ax.tick_params(labelsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()


async def build_pack(s: AsyncSession, deps: Deps, branch: Branch, start: date, end: date) -> Pack:
    deeds, members = await _collect(s, branch.id, start, end)  # type: ignore[arg-type]
    label = start.strftime("%m/%Y")
    text = _summary(branch, label, deeds, members)
    rows = _rows(deeds, str(deps.settings.media_dir.resolve()))
    xlsx = await asyncio.to_thread(_xlsx, rows, "viec-tot-" + start.strftime("%m-%Y"))
    png = await asyncio.to_thread(
        _chart, deeds, start, end, _("Good deeds per week, {month}").format(month=label)
    )
    return Pack(branch.id, label, start, end, text, rows, xlsx, png)  # type: ignore[arg-type]


async def store_pack(deps: Deps, pack: Pack) -> tuple[str, str]:
    """Keep the files in the media store; returns (xlsx key, png key)."""
    store = MediaStore(deps)
    name = pack.label.replace("/", "-")
    xlsx_key = await store.save(pack.xlsx, XLSX_MIME, f"viec-tot-{name}.xlsx")
    png_key = await store.save(pack.png, "image/png", f"viec-tot-{name}.png")
    return xlsx_key, png_key


class DeedPackService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def pack_now(self, actor: Actor, branch_id: int, today: date) -> Pack:
        """The pack on demand (/bantin): the period the next automatic pack would cover."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "deed_pack")
            start, end = period_for(today)
            return await build_pack(s, self.deps, branch, start, end)


async def _workbook_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[object]]]:
    """The deeds sheet of the branch workbook ("Xuất Excel" in /baocao): the same rows as the pack."""
    tz = deps.settings.tz
    deeds, _members = await _collect(s, branch_id, start.astimezone(tz).date(), end.astimezone(tz).date())
    rows = _rows(deeds, "")
    return [str(h) for h in rows[0]], rows[1:]


