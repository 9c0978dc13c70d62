"""System and committee administration in chat (the same use cases as `hocbac admin …`)."""

from __future__ import annotations

from bot.clock import local_now
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import esc
from bot.services.bot_binding import join_link
from bot.services.errors import InvalidInput
from bot.services.org import OrgService
from bot.services.permissions import can_see_org

router = Router("admin")


@router.command("quantri", "admin", help=lambda: _("administration commands"), audience="committee")
async def admin_help(ctx: Ctx) -> None:
    await ctx.reply("\n".join([
        _("<b>Administration</b>"),
        _("/dsdonvi — list Party committees and branches with their numbers"),
        _("/taodangbo NAME — create a Party committee (system admin)"),
        _("/taochibo COMMITTEE_NO NAME — create a branch"),
        _("/moibithu BRANCH_NO — invite link for the branch secretary"),
        _("/moiphobithu BRANCH_NO — invite link for a deputy secretary"),
        _("/moicapuy COMMITTEE_NO — invite link for a committee administrator (system admin)"),
        _("/thuhoima CODE — revoke a code"),
    ]))


def _int_arg(text: str, what: str) -> tuple[int, str]:
    head, _sep, rest = text.strip().partition(" ")
    if not head.isdigit():
        raise InvalidInput(_("Please give the {what} number first. Send /dsdonvi to see the numbers.").format(
            what=what))
    return int(head), rest.strip()


@router.command("dsdonvi", "units", audience="committee", help=lambda: _("list committees and branches"))
async def list_units(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(OrgService)
    lines = [_("<b>Party committees and branches</b>")]
    for org in await svc.list_orgs():
        if not can_see_org(actor, org.id):
            continue
        lines.append(f"[{org.id}] <b>{esc(org.name)}</b>")
        for b in await svc.list_branches(org.id):
            lines.append(f"    [{b.id}] {esc(b.name)}")
    if len(lines) == 1:
        lines.append(_("None yet. Create one with /taodangbo NAME."))
    await ctx.reply("\n".join(lines))


@router.command("taodangbo", audience="admin", help=lambda: _("create a Party committee"))
async def create_org(ctx: Ctx) -> None:
    org = await ctx.svc(OrgService).create_org(ctx.require_actor(), ctx.inbound.args)
    await ctx.reply(_("✅ Created Party committee [{id}] {name}.").format(id=org.id, name=esc(org.name)))


@router.command("taochibo", audience="committee", help=lambda: _("create a branch"))
async def create_branch(ctx: Ctx) -> None:
    org_id, name = _int_arg(ctx.inbound.args, _("committee"))
    branch = await ctx.svc(OrgService).create_branch(ctx.require_actor(), org_id, name)
    await ctx.reply(_("✅ Created branch [{id}] {name}. Invite its secretary with /moibithu {id}.").format(
        id=branch.id, name=esc(branch.name)))


async def _invite(ctx: Ctx, kind: str) -> None:
    target, _rest = _int_arg(ctx.inbound.args, _("committee") if kind == "committee_admin" else _("branch"))
    svc = ctx.svc(OrgService)
    if kind == "committee_admin":
        code = await svc.create_code(ctx.require_actor(), kind=kind, org_id=target)
    else:
        code = await svc.create_code(ctx.require_actor(), kind=kind, branch_id=target)
    link = join_link(ctx.services.deps, code.org_id, code.code, ctx.channel)  # the bot of that đảng bộ
    expires = code.expires_at.astimezone(local_now(ctx.services.deps.clock).tzinfo)
    text = _("🔑 One-time invite code: <b>{code}</b> (valid until {expires}).").format(
        code=code.code, expires=expires.strftime("%H:%M %d/%m/%Y"))
    if link:
        text += "\n" + _("Invite link: {link}").format(link=esc(link))
    await ctx.reply(text)


@router.command("moibithu", audience="committee", help=lambda: _("invite a branch secretary"))
async def invite_secretary(ctx: Ctx) -> None:
    await _invite(ctx, "secretary")


@router.command("moiphobithu", audience="committee", help=lambda: _("invite a deputy secretary"))
async def invite_deputy(ctx: Ctx) -> None:
    await _invite(ctx, "deputy")


@router.command("moicapuy", audience="admin", help=lambda: _("invite a committee administrator"))
async def invite_committee(ctx: Ctx) -> None:
    await _invite(ctx, "committee_admin")


@router.command("thuhoima", "revoke", audience="manager", help=lambda: _("revoke a code"))
async def revoke(ctx: Ctx) -> None:
    code = ctx.inbound.args.strip()
    if not code:
        raise InvalidInput(_("Please give the code, e.g. /thuhoima ABCD2345"))
    await ctx.svc(OrgService).revoke_code(ctx.require_actor(), code)
    await ctx.reply(_("✅ The code {code} can no longer be used.").format(code=esc(code.upper())))
