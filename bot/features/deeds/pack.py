"""The monthly meeting pack ("bản tin" việc tốt): a Vietnamese summary, an .xlsx and a weekly chart.

The deeds' photos go alongside in a zip, named in the xlsx by deed ("viec-tot-12-1.jpg"), never by a path
on the server. matplotlib is imported inside the function that needs it, so starting the bot does not
pay for it; the chart is drawn with the Agg backend (no display) in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.cards import status_label
from bot.features.deeds.figures import COUNTED
from bot.features.deeds.models import Deed, DeedStatus, Nomination
from bot.features.deeds.nominations import accepted_nominations
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import DomainError, NotFound
from bot.services.media import MediaStore
from bot.services.permissions import require_branch_manager
from bot.services.sheets import XLSX_MIME, Sheet, xlsx_bytes
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person


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
    photos: bytes | None = None  # the deeds' photos in a zip, named as in the xlsx; None without photos
    nominations: list[Nomination] | None = None  # accepted "nêu gương" nominations of the month


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
    branch: Branch, label: str, deeds: list[tuple[Deed, str]], members: list[tuple[int, str]],
    nominations: list[Nomination] | None = None,
) -> str:
    counted = [(d, n) for d, n in deeds if d.status in COUNTED]
    per_person = Counter(d.person_id for d, _n in counted)
    names = {d.person_id: (n if not d.erased else _("(a former member)")) for d, n in counted}
    by_status = Counter(d.status for d, _n in counted)
    title = _("📰 <b>Good deeds of {month}</b> — {branch}")
    lines = [title.format(month=label, branch=esc(branch_title(branch.name))), ""]
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
    if nominations:
        lines += ["", _("<b>🌱 “Gương người tốt” recognised</b>")]
        for i, nom in enumerate(nominations, 1):
            lines.append(f"{i}. <b>{esc(nom.name)}</b>: {esc(nom.what)}")
    quiet = [name for pid, name in members if pid not in per_person]
    if quiet:
        lines += ["", _("<b>No good deed reported yet this month</b> — let us encourage one another:")]
        lines += [f"• {esc(name)}" for name in quiet]
    return "\n".join(lines)


def _rows(deeds: list[tuple[Deed, str]], photo_names: dict[str, str] | None = None) -> list[list[object]]:
    """The xlsx rows, header first. Photos are named as in the pack's photo archive (``photo_names``, media
    key -> file name inside the zip); never by a path on the server."""
    names = photo_names or {}
    header: list[object] = [
        _("Deed no."),
        _("Deed date"),
        _("Member name"),
        _("Deed category"),
        _("What was done"),
        _("Review status"),
        _("Recorded by the secretary"),
        _("Photos"),
        _("Photo files (in the photo archive)"),
        _("Return reason"),
    ]
    rows = [header]
    for i, (d, n) in enumerate(deeds, 1):
        rows.append(
            [
                i,
                d.day.strftime("%d/%m/%Y"),
                n if not d.erased else _("(a former member)"),
                d.category,
                d.text or (_("(a voice note)") if d.voice_key else ""),
                status_label(d.status),
                "✓" if d.recorded_by else "",
                len(d.photo_keys),
                "\n".join(names[k] for k in d.photo_keys if k in names),
                d.return_reason or "",
            ]
        )
    return rows


def _nomination_rows(nominations: list[Nomination]) -> list[list[object]]:
    return [[i, nom.day, nom.name, nom.what, nom.comment or ""]
            for i, nom in enumerate(nominations, 1)]


def _xlsx(rows: list[list[object]], title: str, nominations: list[Nomination] | None = None) -> bytes:
    widths = (5, 12, 24, 20, 60, 16, 10, 8, 30, 30)
    sheets = [Sheet(title, rows[0], rows[1:], widths=widths)]
    if nominations:
        sheets.append(Sheet(_("Good examples"), [_("No."), _("Day put forward"), _("Name"), _("What they did"),
                                                  _("Comment")], _nomination_rows(nominations), wrap=True))
    return xlsx_bytes(sheets)


def _photo_ext(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ".jpg"  # what Telegram and Zalo send for a photo


async def _photo_archive(deps: Deps, deeds: list[tuple[Deed, str]], label: str) -> tuple[bytes | None, dict[str, str]]:
    """The month's deed photos in one zip, each named after its deed ("viec-tot-12-1.jpg": deed 12, first
    photo), and the names by media key. Photos of erased deeds and missing files are left out; the zip stays
    under the media store's size limit (the rest is left out too). None when there is no photo."""
    store = MediaStore(deps)
    buf = io.BytesIO()
    names: dict[str, str] = {}
    room = deps.settings.media_max_bytes - 64 * 1024  # the zip's own headers
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # photos are compressed already
        for d, _n in deeds:
            if d.erased:
                continue
            for k, key in enumerate(d.photo_keys, 1):
                if key in names:
                    continue
                try:
                    data, _name = await store.read(key)
                except DomainError:
                    continue  # gone from the store: the row still counts it
                if len(data) > room:
                    continue
                room -= len(data) + 200
                names[key] = f"viec-tot-{d.id}-{k}{_photo_ext(data)}"
                zf.writestr(f"anh-viec-tot-{label}/{names[key]}", data)
    return (buf.getvalue() if names else None), names


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
    values = [counts.get(w, 0) for w in weeks]
    # Read on a phone: a 1080-pixel-wide picture, the count written on every column (a zero too), one
    # Okabe-Ito colour (told apart with every common colour blindness).
    fig, ax = plt.subplots(figsize=(7.2, 4.4), dpi=150)
    try:
        bars = ax.bar([w.strftime("%d/%m") for w in weeks], values, color="#0072B2", width=0.6)
        ax.bar_label(bars, [str(v) for v in values], padding=3, fontsize=15, fontweight="bold")
        ax.set_ylim(0, max(values, default=0) * 1.2 + 1)  # room for the number above the tallest column
        ax.set_title(title, fontsize=16, fontweight="bold")
        ax.set_xlabel(_("week starting"), fontsize=13)
        ax.set_ylabel(_("good deeds"), fontsize=13)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", labelsize=14, length=0)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()


async def build_pack(s: AsyncSession, deps: Deps, branch: Branch, start: date, end: date) -> Pack:
    deeds, members = await _collect(s, branch.id, start, end)  # type: ignore[arg-type]
    label = start.strftime("%m/%Y")
    nominations = await accepted_nominations(s, branch.id, start, end)  # type: ignore[arg-type]
    text = _summary(branch, label, deeds, members, nominations)
    photos, photo_names = await _photo_archive(deps, deeds, start.strftime("%m-%Y"))
    rows = _rows(deeds, photo_names)
    xlsx = await asyncio.to_thread(_xlsx, rows, "viec-tot-" + start.strftime("%m-%Y"), nominations)
    png = await asyncio.to_thread(
        _chart, deeds, start, end, _("Good deeds per week, {month}").format(month=label)
    )
    return Pack(branch.id, label, start, end, text, rows, xlsx, png, photos,  # type: ignore[arg-type]
                nominations)


async def store_pack(deps: Deps, pack: Pack) -> tuple[str, str]:
    """Keep the files in the media store; returns (xlsx key, png key)."""
    store = MediaStore(deps)
    name = pack.label.replace("/", "-")
    xlsx_key = await store.save(pack.xlsx, XLSX_MIME, f"viec-tot-{name}.xlsx", generated_for=pack.branch_id)
    png_key = await store.save(pack.png, "image/png", f"viec-tot-{name}.png")
    return xlsx_key, png_key


async def store_photos(deps: Deps, pack: Pack) -> str | None:
    """Keep the pack's photo archive in the media store; its key, or None when the month has no photo."""
    if pack.photos is None:
        return None
    # No mime: the store takes only the types people may upload, and a zip is not one of them.
    return await MediaStore(deps).save(pack.photos, "", photo_archive_name(pack), generated_for=pack.branch_id)


def photo_archive_name(pack: Pack) -> str:
    return f"anh-viec-tot-{pack.label.replace('/', '-')}.zip"


def photos_caption() -> str:
    return _("🖼 The month's deed photos; the spreadsheet names each photo file.")


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
    rows = _rows(deeds)  # no archive goes with the branch workbook: the photos are counted
    return [str(h) for h in rows[0]], rows[1:]


