"""/namcuatoi: the member's year file, each figure opening its dated rows ("Xem chi tiết"), and its exports.
/hosonam: the secretary's list of the branch's members (paged) to open anyone's file, and the branch workbook."""

from __future__ import annotations

from bot.features.yearfile.callbacks import YearBranchBook, YearExport, YearMembers, YearRows, YearShow
from bot.features.yearfile.exports import branch_xlsx, file_name, year_file_docx, year_file_xlsx
from bot.features.yearfile.service import YearFile, YearFileService
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.errors import NotFound
from bot.services.media import MediaStore
from bot.services.sheets import XLSX_MIME
from bot.text import fold

router = Router("yearfile")

ROWS_PER_PAGE = 15
MEMBERS_PER_PAGE = 8


def _file_text(yf: YearFile) -> str:
    lines = [
        _("📁 <b>Year file {year} — {name}</b>").format(year=yf.year, name=esc(yf.name)),
        _("{branch} · from the records up to {day}").format(branch=esc(yf.branch), day=yf.made_on.strftime("%d/%m/%Y")),
    ]
    for n, sec in enumerate(yf.sections, 1):
        lines += ["", f"<b>{n}. {esc(sec.title)}</b>"]
        lines += [f"• {esc(fig.line())}" for fig in sec.figures]
    lines += ["", _("Open a figure to see the dated records behind it.")]
    return "\n".join(lines)


def _file_buttons(yf: YearFile) -> list[list[Button]]:
    rows = [
        [Button(_("🔎 See details: {figure}").format(figure=fig.label),
                YearRows(yf.branch_id, yf.person_id, yf.year, sec.key, fig.key, 0).pack())]
        for sec in yf.sections for fig in sec.figures if fig.rows
    ]
    rows.append([
        Button(_("📄 Word (.docx)"), YearExport(yf.branch_id, yf.person_id, yf.year, "docx").pack()),
        Button(_("📊 Excel (.xlsx)"), YearExport(yf.branch_id, yf.person_id, yf.year, "xlsx").pack()),
    ])
    return rows


async def _show(ctx: Ctx, person_id: int, branch_id: int, year: int) -> None:
    yf = await ctx.svc(YearFileService).year_file(ctx.require_actor(), person_id, branch_id, year)
    await ctx.reply(_file_text(yf), _file_buttons(yf))


@router.command("namcuatoi", "myyear", help=lambda: _("my year file: pledge, good deeds, meetings, reading, notices"),
                audience="member", takes="text",
                phrases=("nam cua toi", "ho so nam cua toi", "tong ket nam cua toi", "mot nam cua toi"))
async def my_year(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(YearFileService)
    year = svc.year_of(ctx.inbound.args)
    await _show(ctx, actor.person_id, svc.own_branch(actor), year)


@router.button(YearShow)
async def show(ctx: Ctx, data: YearShow) -> None:
    await _show(ctx, data.person_id, data.branch_id, data.year)


@router.button(YearRows)
async def rows(ctx: Ctx, data: YearRows) -> None:
    actor = ctx.require_actor()
    yf = await ctx.svc(YearFileService).year_file(actor, data.person_id, data.branch_id, data.year)
    found = yf.figure(data.section, data.figure)
    if found is None:
        raise NotFound(_("That figure is no longer in the year file."))
    sec, fig = found
    pages = max(1, -(-len(fig.rows) // ROWS_PER_PAGE))
    page = min(max(data.page, 0), pages - 1)
    shown = fig.rows[page * ROWS_PER_PAGE:(page + 1) * ROWS_PER_PAGE]
    lines = [
        _("🔎 <b>{figure}</b> — {section}, {year}: {value}").format(
            figure=esc(fig.label), section=esc(sec.title), year=yf.year, value=fig.value),
        esc(yf.name),
        "",
        *(f"{r.day.strftime('%d/%m/%Y')} — {esc(r.text)}" for r in shown),
    ]
    if not shown:
        lines.append(_("No records."))
    if pages > 1:
        lines += ["", _("Page {page}/{pages}").format(page=page + 1, pages=pages)]
    buttons: list[list[Button]] = []
    if actor.person_id == yf.person_id:  # what the owning feature offers on a row (e.g. link a deed)
        buttons += [[Button(r.action[0], r.action[1])] for r in shown if r.action is not None]
    nav = []
    if page > 0:
        nav.append(Button(_("◀ Previous page"), YearRows(yf.branch_id, yf.person_id, yf.year, sec.key, fig.key,
                                                          page - 1).pack()))
    if page < pages - 1:
        nav.append(Button(_("Next page ▶"), YearRows(yf.branch_id, yf.person_id, yf.year, sec.key, fig.key,
                                                      page + 1).pack()))
    if nav:
        buttons.append(nav)
    buttons.append([Button(_("↩️ Back to the year file"), YearShow(yf.branch_id, yf.person_id, yf.year).pack())])
    await ctx.reply("\n".join(lines), buttons)


@router.button(YearExport)
async def export(ctx: Ctx, data: YearExport) -> None:
    yf = await ctx.svc(YearFileService).exported(ctx.require_actor(), data.person_id, data.branch_id, data.year,
                                                 data.fmt)
    if data.fmt == "docx":
        payload, mime = year_file_docx(yf), DOCX_MIME
    else:
        payload, mime = year_file_xlsx(yf), XLSX_MIME
    name = file_name(yf, data.fmt)
    key = await ctx.svc(MediaStore).save(payload, mime, name, generated_for=yf.branch_id)
    await ctx.reply(_("📁 Year file {year} of {name}.").format(year=yf.year, name=esc(yf.name)),
                    media=MediaRef(kind="document", media_key=key, mime=mime, file_name=name))


# --- the secretary: every member's file of the branch ---------------------------------------------------


@router.command("hosonam", "yearfiles", help=lambda: _("members' year files and the branch workbook"),
                audience="manager", takes="text", phrases=("ho so nam chi bo", "ho so nam dang vien"))
async def branch_files(ctx: Ctx) -> None:
    year = ctx.svc(YearFileService).year_of(ctx.inbound.args)
    branch_id = await pick_branch(ctx, lambda b: YearMembers(b, year, 0))
    if branch_id is not None:
        await _members(ctx, branch_id, year, 0)


@router.button(YearMembers)
async def members_page(ctx: Ctx, data: YearMembers) -> None:
    await _members(ctx, data.branch_id, data.year, data.page)


async def _members(ctx: Ctx, branch_id: int, year: int, page: int) -> None:
    name, people = await ctx.svc(YearFileService).members(ctx.require_actor(), branch_id)
    people = sorted(people, key=lambda p: (fold(p[1].split()[-1] if p[1].split() else ""), fold(p[1])))
    pages = max(1, -(-len(people) // MEMBERS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = people[page * MEMBERS_PER_PAGE:(page + 1) * MEMBERS_PER_PAGE]
    lines = [_("📁 <b>Year files {year} — {branch}</b>").format(year=year, branch=esc(name)),
             _("{n} member(s). Choose a member to open their year file.").format(n=len(people))]
    if pages > 1:
        lines.append(_("Page {page}/{pages}").format(page=page + 1, pages=pages))
    buttons = [[Button(person, YearShow(branch_id, pid, year).pack())] for pid, person in shown]
    nav = []
    if page > 0:
        nav.append(Button(_("◀ Previous page"), YearMembers(branch_id, year, page - 1).pack()))
    if page < pages - 1:
        nav.append(Button(_("Next page ▶"), YearMembers(branch_id, year, page + 1).pack()))
    if nav:
        buttons.append(nav)
    buttons.append([Button(_("📊 Workbook of the whole branch"), YearBranchBook(branch_id, year).pack())])
    await ctx.reply("\n".join(lines), buttons)


@router.button(YearBranchBook)
async def branch_book(ctx: Ctx, data: YearBranchBook) -> None:
    files = await ctx.svc(YearFileService).branch_files(ctx.require_actor(), data.branch_id, data.year)
    payload = branch_xlsx(files)
    branch = files[0].branch if files else ""
    slug = "-".join(fold(branch).split()) or "chi-bo"
    name = f"ho-so-nam-{data.year}-{slug}.xlsx"
    key = await ctx.svc(MediaStore).save(payload, XLSX_MIME, name, generated_for=data.branch_id)
    await ctx.reply(_("📊 Year files {year}: one summary row per member, then the dated records of each section.")
                    .format(year=data.year),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))
