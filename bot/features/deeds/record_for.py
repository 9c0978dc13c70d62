"""/ghiho: a secretary records a good deed for a member without a phone. The member is picked from a paged
list, or found by typing part of the name (without diacritics too: "lan" finds "Nguyễn Thị Lan"); on Zalo the
list is numbered like every choice."""

from __future__ import annotations

from typing import Any

from bot.features.deeds.callbacks import RecordForBranch, RecordForMember
from bot.features.deeds.handlers import start_deed_form
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import Form, Invalid, Step
from bot.kernel.routing import Router
from bot.messages import esc
from bot.services.errors import InvalidInput
from bot.services.org import OrgService
from bot.text import fold

router = Router("deeds_record_for")

PAGE = 8  # members a page: with the page buttons well under Zalo's numbered-choice limit


def matching(members: list[list[Any]], query: str) -> list[list[Any]]:
    """The [person id, name] pairs whose name contains ``query``, case and diacritics ignored."""
    wanted = fold(query)
    return [m for m in members if wanted in fold(m[1])] if wanted else members


def _page(data: dict[str, Any]) -> tuple[list[list[Any]], int, int]:
    found = matching(data["members"], data.get("q") or "")
    pages = max(1, (len(found) + PAGE - 1) // PAGE)
    page = max(0, min(int(data.get("page") or 0), pages - 1))
    return found, page, pages


def _prompt(_ctx: Ctx, data: dict[str, Any]) -> str:
    found, page, pages = _page(data)
    q = data.get("q") or ""
    lines = [
        _("Members whose name contains “{q}”: {n}.").format(q=esc(q), n=len(found))
        if q
        else _("For which member do you record a good deed? The branch has {n} members.").format(n=len(found))
    ]
    if pages > 1:
        lines.append(_("Page {page}/{pages}").format(page=page + 1, pages=pages))
    lines.append(_("Pick a name, or type part of a name to search (accents may be left out, e.g. “lan”)."))
    return "\n".join(lines)


class PickMember(Step):
    """A step whose choices are one page of members and the page buttons; typed text filters the list."""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        found, page, pages = _page(data)
        opts = [(f"p:{pid}", str(name)[:40]) for pid, name in found[page * PAGE:(page + 1) * PAGE]]
        if page > 0:
            opts.append(("prev", _("◀ Previous page")))
        if page < pages - 1:
            opts.append(("next", _("Next page ▶")))
        if data.get("q"):
            opts.append(("all", _("Show all members")))
        return opts

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = self.pressed(ctx, data, data.get("_nonce", ""))
        _found, page, _pages = _page(data)
        if value is None:
            text = (ctx.inbound.text or "").strip()
            if not fold(text):
                raise Invalid(_("Please pick a member, or type part of a name."))
            if not matching(data["members"], text):
                raise Invalid(_("No member's name contains “{q}”. Please type another part of the name.").format(
                    q=text[:40]))
            data["q"], data["page"] = text[:40], 0
        elif value.startswith("p:"):
            return int(value[2:])
        elif value in ("prev", "next"):
            data["page"] = page + (1 if value == "next" else -1)
        else:
            data["q"], data["page"] = "", 0
        return None  # the list again: another page or the search's result


async def _picked(ctx: Ctx, data: dict[str, Any]) -> None:
    await _record_for(ctx, int(data["branch_id"]), int(data["who"]))


router.form(
    Form(
        "deed_record_for",
        steps=[PickMember("who", _prompt, next=lambda d: "who" if d.get("who") is None else None)],
        on_complete=_picked,
    )
)


async def _pick_member(ctx: Ctx, branch_id: int, query: str = "") -> None:
    rows = await ctx.svc(OrgService).members(ctx.require_actor(), branch_id)  # checks the manager's right
    members = [[p.id, p.display_name] for _m, p in rows]
    if query and not matching(members, query):
        await ctx.reply(_("No member's name contains “{q}”.").format(q=esc(query[:40])))
        query = ""
    await ctx.forms.start("deed_record_for", {"branch_id": branch_id, "members": members, "q": query[:40],
                                              "page": 0})


async def _record_for(ctx: Ctx, branch_id: int, person_id: int) -> None:
    rows = await ctx.svc(OrgService).members(ctx.require_actor(), branch_id)  # checks the manager's right
    name = next((p.display_name for _m, p in rows if p.id == person_id), None)
    if name is None:
        raise InvalidInput(_("That person is not an active member of this branch."))
    await start_deed_form(ctx, {"for_person": person_id, "for_name": name, "branch_id": branch_id})


@router.command(
    "ghiho",
    "recordfor",
    help=lambda: _("record a good deed for a member without a phone"),
    audience="manager",
)
async def record_for(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, RecordForBranch)
    if branch_id is not None:
        await _pick_member(ctx, branch_id, (ctx.inbound.args or "").strip())


@router.button(RecordForBranch)
async def record_for_branch(ctx: Ctx, data: RecordForBranch) -> None:
    await _pick_member(ctx, data.branch_id)


@router.button(RecordForMember)
async def record_for_member(ctx: Ctx, data: RecordForMember) -> None:
    """A member button of an earlier list (before the list became a paged form)."""
    await _record_for(ctx, data.branch_id, data.person_id)
