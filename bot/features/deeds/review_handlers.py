"""Secretaries review good deeds (/duyet and the daily digest's buttons; /ghiho is in record_for.py), get
the monthly pack on demand (/bantin) and choose the digest time (/gioduyet).
Committee admins edit the đảng bộ's categories (/loaiviectot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.features.deeds.callbacks import (
    AcceptAll,
    DeedPackFor,
    ReviewDeed,
    ReviewListFor,
)
from bot.features.deeds.cards import review_card
from bot.features.deeds.categories import DeedCategories
from bot.features.deeds.digest import DeedDigest
from bot.features.deeds.pack import (
    XLSX_MIME,
    DeedPackService,
    photo_archive_name,
    photos_caption,
    store_pack,
    store_photos,
)
from bot.features.deeds.review import DeedReviewing
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import InvalidInput
from bot.services.permissions import committee_org

router = Router("deeds_review")

LIST_MAX = 10


async def _list_pending(ctx: Ctx, branch_id: int) -> None:
    rows = await ctx.svc(DeedReviewing).pending(ctx.require_actor(), branch_id)
    if not rows:
        await ctx.reply(_("No good deeds are waiting for review. 🎉"))
        return
    await ctx.reply(_("🗂 <b>{n} good deed(s) waiting for review</b>").format(n=len(rows)))
    for deed, name in rows[:LIST_MAX]:
        await ctx.send(review_card(deed, name))
    up_to = max(d.id or 0 for d, _n in rows)
    more = (
        _("(The first {k} are shown; the rest come after you review these.)").format(k=LIST_MAX)
        if len(rows) > LIST_MAX
        else ""
    )
    await ctx.reply(
        (
            _("Accept every good deed still waiting ({n}) in one go?").format(n=len(rows)) + "\n" + more
        ).strip(),
        [[Button(_("✅ Accept all"), AcceptAll(branch_id, up_to).pack())]],
    )


@router.command("duyet", "review", help=lambda: _("review good deeds"), audience="manager",
                phrases=("duyet viec tot",))
async def review_list(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, ReviewListFor)
    if branch_id is not None:
        await _list_pending(ctx, branch_id)


@router.button(ReviewListFor)
async def review_list_for(ctx: Ctx, data: ReviewListFor) -> None:
    await _list_pending(ctx, data.branch_id)


@router.button(ReviewDeed)
async def review_one(ctx: Ctx, data: ReviewDeed) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(DeedReviewing)
    deed_id = data.deed_id
    if data.verdict == "return":
        deed, name = await svc.reviewable(actor, deed_id)  # a forged or stale press stops here
        ctx.keep_question = True  # settled only when the reason is given; the card stays until then
        await ctx.forms.start(
            "deed_return", {"deed_id": deed_id, "for_name": name, "day": deed.day.strftime("%d/%m")}
        )
        return
    deed, name = await svc.review(actor, deed_id, data.verdict)
    text = (
        _("✅ Recorded: {name} — {day}.") if data.verdict == "accept" else _("🌟 Commended: {name} — {day}.")
    ).format(name=esc(name), day=deed.day.strftime("%d/%m"))
    await ctx.reply(text)


def _quick_reasons() -> dict[str, str]:
    """The reasons a deed is returned most often: one tap each ("Other…" to type one)."""
    return {
        "photo": _("Please add more photos"),
        "unclear": _("What was done is not clear yet"),
        "duplicate": _("Same as a deed already reported"),
    }


@dataclass
class AskReturnReason(AskText):
    """A quick reason by button (a number on Zalo), or typed; "Other…" asks for the typed one."""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [*_quick_reasons().items(), ("__other__", _("Other… (type it)"))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        chosen = self.pressed(ctx, data, data.get("_nonce", ""))
        if chosen == "__other__":
            return {"other": True}
        if chosen:
            return _quick_reasons()[chosen]
        return await super().parse(ctx, data)


def _typed_reason(data: dict[str, Any]) -> bool:
    return isinstance(data.get("reason"), dict)


async def _return_done(ctx: Ctx, data: dict[str, Any]) -> None:
    reason = data.get("typed") if _typed_reason(data) else data.get("reason")
    _deed, name = await ctx.svc(DeedReviewing).review(
        ctx.require_actor(), int(data["deed_id"]), "return", reason
    )
    await ctx.reply(_("↩️ Returned to {name} with your reason.").format(name=esc(name)))


router.form(
    Form(
        "deed_return",
        [
            AskReturnReason(
                "reason",
                lambda _ctx, d: _(
                    "↩️ Why is the good deed of {name} ({day}) returned? The member will see your reason."
                ).format(name=esc(d.get("for_name", "")), day=d.get("day", "")),
                max_len=500,
                min_len=3,
            ),
            AskText(
                "typed",
                lambda _ctx, d: _("Please type the reason for {name}:").format(name=esc(d.get("for_name", ""))),
                max_len=500,
                min_len=3,
                skip_if=lambda d: not _typed_reason(d),
            ),
        ],
        on_complete=_return_done,
    )
)


@router.button(AcceptAll)
async def accept_all(ctx: Ctx, data: AcceptAll) -> None:
    n = await ctx.svc(DeedReviewing).accept_all(ctx.require_actor(), data.branch_id, data.up_to)
    await ctx.reply(
        _("✅ Accepted {n} good deed(s). The members have been told.").format(n=n)
        if n
        else _("Nothing was left to accept.")
    )


# --- the monthly pack on demand, the digest time, categories ---------------------------------------


async def _send_pack(ctx: Ctx, branch_id: int) -> None:
    pack = await ctx.svc(DeedPackService).pack_now(ctx.require_actor(), branch_id, ctx.today)
    xlsx_key, png_key = await store_pack(ctx.services.deps, pack)
    name = pack.label.replace("/", "-")
    await ctx.reply(pack.text)
    await ctx.reply(
        _("📎 The month's good deeds as a spreadsheet (one row per deed)."),
        media=MediaRef(
            kind="document", media_key=xlsx_key, mime=XLSX_MIME, file_name=f"viec-tot-{name}.xlsx"
        ),
    )
    await ctx.reply(_("📈 Good deeds per week."), media=MediaRef(kind="photo", media_key=png_key))
    photos_key = await store_photos(ctx.services.deps, pack)
    if photos_key:
        await ctx.reply(
            photos_caption(),
            media=MediaRef(kind="document", media_key=photos_key, file_name=photo_archive_name(pack)),
        )


@router.command(
    "bantin", "deedpack", help=lambda: _("the month's good deeds for the branch meeting"), audience="manager"
)
async def pack(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, DeedPackFor)
    if branch_id is not None:
        await _send_pack(ctx, branch_id)


@router.button(DeedPackFor)
async def pack_for(ctx: Ctx, data: DeedPackFor) -> None:
    await _send_pack(ctx, data.branch_id)


@router.command(
    "gioduyet", "digesttime", help=lambda: _("when I get the daily good-deed digest"), audience="manager"
)
async def digest_time(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(DeedDigest)
    if not ctx.inbound.args.strip():
        current = await svc.digest_time(actor.person_id)
        await ctx.reply(
            _(
                "You get the good-deed digest every day at {time}. To change it, send e.g. /gioduyet 20:30"
            ).format(time=current.strftime("%H:%M"))
        )
        return
    when = await svc.set_digest_time(actor, ctx.inbound.args)
    await ctx.reply(_("⏰ Saved: the digest comes every day at {time}.").format(time=when.strftime("%H:%M")))


@router.command(
    "loaiviectot",
    "deedcategories",
    help=lambda: _("the đảng bộ's good-deed categories"),
    audience="committee",
)
async def categories(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if org_id is None:
        raise InvalidInput(_("This command is only for Party committee administrators."))
    svc = ctx.svc(DeedCategories)
    args = ctx.inbound.args.strip()
    if args:
        names = await svc.set_categories(actor, org_id, args.split(","))
        await ctx.reply(_("✅ Saved. Good-deed categories:") + "\n" + "\n".join(f"• {esc(n)}" for n in names))
        return
    names = await svc.categories(org_id)
    await ctx.reply(
        _("Good-deed categories:")
        + "\n"
        + "\n".join(f"• {esc(n)}" for n in names)
        + "\n\n"
        + _(
            "To change them, send the whole list separated by commas, e.g. /loaiviectot giúp đỡ nhân "
            "dân, từ thiện, khác"
        )
    )
