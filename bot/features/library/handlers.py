"""The library in chat: /tailieu (find and open), /tailieu_moi (upload), /tailieu_thongke (opens per branch)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.features.library.callbacks import LibraryExport, LibraryPage, OpenItem
from bot.features.library.exports import library_xlsx
from bot.features.library.models import LibraryItem
from bot.features.library.service import (
    ALLOWED_FILES,
    MAX_BYTES,
    PAGE_SIZE,
    Library,
    Page,
    check_file,
    check_link,
    month_label,
    type_refusal,
)
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form, Invalid, Step
from bot.kernel.media_intake import keep_media
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import InvalidInput
from bot.services.media import MediaStore
from bot.services.permissions import committee_org
from bot.services.sheets import XLSX_MIME
from bot.text import fold

router = Router("library")


def _query_token(query: str) -> str:
    """The typed words as a button field ([A-Za-z0-9_.-]): folded, ASCII, joined by dots."""
    words = ["".join(ch for ch in w if ch.isascii() and ch.isalnum()) for w in fold(query).split()]
    return ".".join(w for w in words if w)[:40] or "-"


def _item_line(n: int, item: LibraryItem) -> str:
    icon = "🔗" if item.kind == "link" else "📄"
    extra = month_label(item.year, item.month) + (f", {esc(item.theme)}" if item.theme else "")
    return f"{n}. {icon} <b>{esc(item.title)}</b> ({extra})"


def _label(item: LibraryItem) -> str:
    return ("🔗 " if item.kind == "link" else "📄 ") + item.title[:60]


def open_buttons(items: list[tuple[int, str]]) -> list[list[Button]]:
    """One "open" button per item: what a meeting notice or a reminder shows (the ``library_buttons``
    provider)."""
    return [[Button("📎 " + title[:60], OpenItem(item_id).pack())] for item_id, title in items]


async def _show(ctx: Ctx, page: Page, query: str) -> None:
    if not page.items:
        if query:
            await ctx.reply(_("No document matches “{query}”. Try fewer words, or send /tailieu for the newest.")
                            .format(query=esc(query)))
        else:
            await ctx.reply(_("The library has no documents for you yet."))
        return
    head = (_("📚 Documents matching “{query}” ({total}):").format(query=esc(query), total=page.total) if query
            else _("📚 The newest documents ({total}):").format(total=page.total))
    start = page.page * PAGE_SIZE
    lines = [head, *(_item_line(start + i + 1, item) for i, item in enumerate(page.items))]
    if page.pages > 1:
        lines.append(_("Page {page} of {pages}.").format(page=page.page + 1, pages=page.pages))
    lines.append(_("Choose a document to open it. To search, type /tailieu and a few words, e.g. "
                   "/tailieu nghi quyet."))
    buttons = [[Button(_label(item), OpenItem(item.id or 0).pack())] for item in page.items]
    token = _query_token(query)
    nav: list[Button] = []
    if page.page > 0:
        nav.append(Button(_("◀ Previous page"), LibraryPage(page.page - 1, token).pack()))
    if page.page + 1 < page.pages:
        nav.append(Button(_("Next page ▶"), LibraryPage(page.page + 1, token).pack()))
    if nav:
        buttons.append(nav)
    await ctx.reply("\n".join(lines), buttons)


@router.command("tailieu", "library", help=lambda: _("find and open meeting materials"), audience="member",
                takes="text")
async def library(ctx: Ctx) -> None:
    query = (ctx.inbound.args or "").strip()[:200]
    await _show(ctx, await ctx.svc(Library).page(ctx.require_actor(), query), query)


@router.button(LibraryPage)
async def library_page(ctx: Ctx, data: LibraryPage) -> None:
    query = "" if data.query == "-" else data.query.replace(".", " ")
    await _show(ctx, await ctx.svc(Library).page(ctx.require_actor(), query, data.page), query)


@router.button(OpenItem)
async def open_item(ctx: Ctx, data: OpenItem) -> None:
    item = await ctx.svc(Library).open(ctx.require_actor(), data.item_id)
    title = f"📄 <b>{esc(item.title)}</b> ({month_label(item.year, item.month)})"
    if item.kind == "link":
        url = html.escape(item.url, quote=True)
        await ctx.reply(f"🔗 <b>{esc(item.title)}</b>\n<a href=\"{url}\">{esc(item.url)}</a>")
        return
    kind = "photo" if item.media_kind == "photo" else "document"
    # A photo sent on Zalo has no file name: name it after the title and its type.
    ext = next((e for e, mime in ALLOWED_FILES.items() if mime == item.mime), "pdf")
    await ctx.reply(title, media=MediaRef(kind=kind, media_key=item.media_key, mime=item.mime,
                                          file_name=item.file_name or f"{item.title[:60]}.{ext}", size=item.size))


# --- upload ---------------------------------------------------------------------------------------------


@dataclass
class AskMaterial(Step):
    """A PDF, Word document or JPG/PNG photo (kept in the media store), or an http(s) link."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        media = [m for m in ctx.inbound.media if m.kind in ("photo", "document")]
        try:
            if media:
                ref = media[-1]
                kind, mime = check_file(ref.kind, ref.mime, ref.file_name, ref.size)
                kept = await keep_media(ctx, MediaRef(kind=ref.kind, file_id=ref.file_id, url=ref.url, mime=mime,
                                                      size=ref.size, file_name=ref.file_name,
                                                      unique_id=ref.unique_id), MAX_BYTES)
                return {"media": MediaRef(kind=kind, media_key=kept.media_key, mime=mime, size=kept.size,
                                          file_name=ref.file_name).to_dict()}
            if ctx.inbound.media:
                raise InvalidInput(type_refusal())
            return {"link": check_link(ctx.inbound.text or "")}
        except InvalidInput as exc:
            raise Invalid(exc.message) from exc


def _months(ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
    # Months first, so on Zalo typing "3" chooses month 3.
    return [(str(m), _("Month {m}").format(m=m)) for m in range(1, 13)] + [("0", _("The whole year"))]


@dataclass
class AskMonth(AskChoice):
    def buttons(self, ctx: Ctx, data: dict[str, Any], nonce: str) -> list[list[Button]]:
        flat = [b for row in super().buttons(ctx, data, nonce) for b in row]
        return [flat[i:i + 4] for i in range(0, len(flat), 4)]


async def _uploaded(ctx: Ctx, data: dict[str, Any]) -> None:
    material = data["material"]
    month = int(data["month"]) or None
    item = await ctx.svc(Library).add(
        ctx.require_actor(), data["scope"], title=data["title"], year=int(data["year"]), month=month,
        theme=data.get("theme") or "", link=material.get("link") or "", media=material.get("media"))
    scope = dict((v, label) for v, label in data["scopes"]).get(data["scope"], "")
    await ctx.reply(_("✅ Saved to the library: “{title}” ({when}), for {scope}. Members find it with /tailieu.")
                    .format(title=esc(item.title), when=month_label(item.year, item.month), scope=esc(scope)))


router.form(
    Form(
        "library_upload",
        steps=[
            AskChoice("scope", lambda c, d: _("Whom is the document for?"),
                      choices=lambda c, d: [(v, label) for v, label in d["scopes"]],
                      skip_if=lambda d: bool(d.get("scope"))),
            AskMaterial("material", lambda c, d: _(
                "Send the document (PDF, Word or a JPG/PNG photo, up to {limit} MB) or paste a link "
                "(http:// or https://).").format(limit=MAX_BYTES // 1_048_576)),
            AskText("title", lambda c, d: _("Its title? (members search by it)"), max_len=200),
            AskMonth("month", lambda c, d: _("For which month of {year}?").format(year=d["year"]),
                     choices=_months),
            AskText("theme", lambda c, d: _("The theme, e.g. “Học tập và làm theo tư tưởng Hồ Chí Minh”?"),
                    max_len=200, optional=True),
        ],
        on_complete=_uploaded,
    )
)


@router.command("tailieu_moi", "library_add", help=lambda: _("add a document or link to the library"),
                audience="manager")
async def library_add(ctx: Ctx) -> None:
    scopes = await ctx.svc(Library).scopes(ctx.require_actor())
    if not scopes:
        await ctx.reply(_("Only branch secretaries and the Party committee can add documents to the library."))
        return
    data: dict[str, Any] = {"scopes": [[s.value, s.label] for s in scopes], "year": ctx.today.year}
    if len(scopes) == 1:
        data["scope"] = scopes[0].value
    await ctx.forms.start("library_upload", data)


# --- the committee's counts -----------------------------------------------------------------------------


@router.command("tailieu_thongke", "library_stats", help=lambda: _("how often each branch opened the materials"),
                audience="committee")
async def library_stats(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if org_id is None:
        await ctx.reply(_("This command is for the Party committee."))
        return
    counts = await ctx.svc(Library).counts(actor, org_id)
    if not counts.items:
        await ctx.reply(_("The library of {org} has no documents yet. Add one with /tailieu_moi.").format(
            org=esc(counts.org_name)))
        return
    lines = [_("📊 <b>Library of {org}: opens per branch</b> (a count, not a ranking of people)").format(
        org=esc(counts.org_name))]
    for item in counts.items[:20]:
        per = ", ".join(f"{esc(b.name)}: {counts.opens.get((item.id or 0, b.id or 0), 0)}"
                        for b in counts.for_branch(item))
        lines.append(f"• <b>{esc(item.title)}</b> ({month_label(item.year, item.month)}): "
                     + _("{n} opens").format(n=counts.total(item.id or 0)) + f" — {per}")
    await ctx.reply("\n".join(lines), [[Button(_("📥 Excel workbook"), LibraryExport(org_id).pack())]])


@router.button(LibraryExport)
async def library_export(ctx: Ctx, data: LibraryExport) -> None:
    counts = await ctx.svc(Library).counts(ctx.require_actor(), data.org_id)
    payload = library_xlsx(counts, ctx.services.deps.clock.tz)
    name = f"tai_lieu_luot_mo_{ctx.today.strftime('%Y%m%d')}.xlsx"
    # It names no one (titles and counts), but every saved workbook is listed for erasure; a fresh one is a tap.
    first = counts.branches[0].id if counts.branches else None
    key = await ctx.svc(MediaStore).save(payload, XLSX_MIME, name, generated_for=first)
    await ctx.reply(_("📥 Library opens per branch"),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))
