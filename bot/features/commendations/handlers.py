"""🏅 /khenthuong: the branch's shortlist and proposals; the committee records awards and counts them."""

from __future__ import annotations

from typing import Any

from bot.features.commendations.callbacks import (
    CommendAwards,
    CommendFile,
    CommendFor,
    DecideProposal,
    OrgCommendFile,
    ProposeStart,
)
from bot.features.commendations.exports import CommendExports
from bot.features.commendations.service import (
    AWARD_FORMS,
    CommendService,
    Shortlist,
    award_label,
    kind_label,
    level_label,
    status_label,
)
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.media import MediaStore
from bot.services.permissions import can_see_committee_view, committee_org
from bot.services.sheets import XLSX_MIME
from bot.text import branch_title

router = Router("commendations")

SHOWN = 15  # shortlist lines in chat; the workbook has them all


def _shortlist_text(sl: Shortlist) -> str:
    pool = sl.pool()
    lines = [_("🏅 <b>Commendation shortlist {year}</b> — {branch}").format(
        year=sl.year, branch=esc(branch_title(sl.branch.name))),
        _("{n} of {total} members: rated at the commended level, or with commended deeds or nominations.").format(
            n=len(pool), total=len(sl.rows))]
    if not sl.level_known:
        lines.append(_("Classification: not yet."))
    for r in pool[:SHOWN]:
        parts = [level_label(r.level) if sl.level_known else None,
                 _("pledge: {state}").format(state=r.pledge_text(sl.pledge_known)),
                 _("{n} commended deeds").format(n=len(r.deeds)) if r.deeds else None]
        lines.append(f"• <b>{esc(r.name)}</b>: " + "; ".join(p for p in parts if p))
        for d, t in r.deeds[:3]:
            lines.append(f"   – {d.strftime('%d/%m/%Y')}: {esc(t[:120])}")
    if not pool:
        lines.append(_("Nobody is on the shortlist yet."))
    return "\n".join(lines)


def _branch_buttons(branch_id: int) -> list[list[Button]]:
    return [
        [Button(_("➕ Propose an individual"), ProposeStart("individual", branch_id).pack()),
         Button(_("➕ Propose a collective"), ProposeStart("collective", branch_id).pack())],
        [Button(_("📥 Export to Excel"), CommendFile("xlsx", branch_id).pack()),
         Button(_("📄 Proposal list (.docx)"), CommendFile("docx", branch_id).pack())],
        [Button(_("🏅 Awards by year"), CommendAwards(branch_id).pack())],
    ]


async def _show_branch(ctx: Ctx, branch_id: int) -> None:
    svc = ctx.svc(CommendService)
    actor = ctx.require_actor()
    sl = await svc.shortlist(actor, branch_id)
    _b, props = await svc.branch_proposals(actor, branch_id)
    text = _shortlist_text(sl)
    if props:
        text += "\n\n" + _("<b>Proposals {year}</b>").format(year=sl.year)
        text += "".join(f"\n• {esc(p.name)} ({kind_label(p.kind)}): {status_label(p.status)}" for p in props)
    await ctx.reply(text, _branch_buttons(branch_id))


async def _show_committee(ctx: Ctx, org_id: int) -> None:
    org, counts, props, names = await ctx.svc(CommendService).org_view(ctx.require_actor(), org_id)
    year = ctx.svc(CommendService).year()
    lines = [_("🏅 <b>Commendations {year}</b> — {org}").format(year=year, org=esc(org.name))]
    for c in counts:
        lines.append(_("• {branch}: {n} proposals, {awarded} awarded, {waiting} waiting").format(
            branch=esc(branch_title(c.name)), n=c.proposals, awarded=c.awarded, waiting=c.waiting))
    await ctx.reply("\n".join(lines), [[Button(_("📥 Export to Excel"), OrgCommendFile(org_id).pack())]])
    for p in props:
        if p.status != "sent":
            continue
        assert p.id is not None
        text = "\n".join([
            _("🏅 <b>{name}</b> ({kind}) — {branch}").format(name=esc(p.name), kind=kind_label(p.kind),
                                                            branch=esc(branch_title(names.get(p.branch_id, "")))),
            _("Reason: {reason}").format(reason=esc(p.reason)),
            _("Evidence:"),
            *[f"– {esc(e)}" for e in p.evidence],
        ])
        await ctx.reply(text, [[Button(_("🏅 Record the award"), DecideProposal(True, p.id).pack()),
                                Button(_("↩️ Do not award"), DecideProposal(False, p.id).pack())]])


@router.command("khenthuong", "commend", help=lambda: _("commendations: shortlist, proposals, awards"),
                audience="manager", phrases=("khen thuong", "de nghi khen thuong"))
async def commend(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if can_see_committee_view(actor) and org_id is not None:
        await _show_committee(ctx, org_id)
        return
    branch_id = await pick_branch(ctx, CommendFor)
    if branch_id is not None:
        await _show_branch(ctx, branch_id)


@router.button(CommendFor)
async def commend_for(ctx: Ctx, data: CommendFor) -> None:
    await _show_branch(ctx, data.branch_id)


# --- proposing -------------------------------------------------------------------------------------------


@router.button(ProposeStart)
async def propose_start(ctx: Ctx, data: ProposeStart) -> None:
    sl = await ctx.svc(CommendService).shortlist(ctx.require_actor(), data.branch_id)
    if data.kind == "individual":
        options = [[str(r.person_id), ("⭐ " if r.in_pool else "") + r.name] for r in sl.rows]
        if not options:
            await ctx.reply(_("The branch has no active member yet."))
            return
        await ctx.forms.start("commend_person", {"branch_id": data.branch_id, "options": options})
    else:
        await ctx.forms.start("commend_group", {"branch_id": data.branch_id,
                                                "branch_name": branch_title(sl.branch.name)})


async def _review(ctx: Ctx, payload: dict[str, Any], who: str) -> None:
    summary = "\n".join([
        _("<b>Please check the proposal to the Party committee:</b>"),
        _("Proposed: {who}").format(who=esc(who)),
        _("Reason: {reason}").format(reason=esc(payload["reason"])),
        _("The records behind it are attached: commended deeds, nominations, pledge and classification."),
    ])
    await ask_confirm(ctx, "commend_send", summary, payload, yes=_("✅ Send to the Party committee"))


async def _person_done(ctx: Ctx, data: dict[str, Any]) -> None:
    names = dict(data["options"])
    await _review(ctx, {"branch_id": data["branch_id"], "kind": "individual", "person_id": int(data["person"]),
                        "reason": data["reason"]}, names[data["person"]].removeprefix("⭐ "))


async def _group_done(ctx: Ctx, data: dict[str, Any]) -> None:
    name = data["branch_name"] if data["which"] == "branch" else data["name"]
    await _review(ctx, {"branch_id": data["branch_id"], "kind": "collective", "name": name,
                        "reason": data["reason"]}, name)


def _reason_prompt(_ctx: Ctx, _d: dict[str, Any]) -> str:
    return _("✍️ The reason: the achievements in a few sentences.")


router.form(Form("commend_person", [
    AskChoice("person", lambda _c, d: _("🏅 Whom does the branch propose? ⭐ marks the shortlist."),
              choices=lambda _c, d: [(v, label) for v, label in d["options"]]),
    AskText("reason", _reason_prompt, max_len=2000),
], on_complete=_person_done))

router.form(Form("commend_group", [
    AskChoice("which", lambda _c, d: _("🏅 Which collective?"),
              choices=lambda _c, d: [("branch", d["branch_name"]), ("group", _("A group of the branch"))]),
    AskText("name", lambda _c, d: _("The group's name?"), max_len=200, skip_if=lambda d: d["which"] != "group"),
    AskText("reason", _reason_prompt, max_len=2000),
], on_complete=_group_done))


@router.confirmed("commend_send")
async def commend_send(ctx: Ctx, payload: dict[str, Any]) -> None:
    prop = await ctx.svc(CommendService).propose(
        ctx.require_actor(), int(payload["branch_id"]), kind=payload["kind"], reason=payload["reason"],
        person_id=payload.get("person_id"), name=payload.get("name"))
    await ctx.reply(_("🏅 The proposal for {name} was sent to the Party committee.").format(name=esc(prop.name)))


# --- files and awards ------------------------------------------------------------------------------------


@router.button(CommendFile)
async def commend_file(ctx: Ctx, data: CommendFile) -> None:
    docx = data.kind == "docx"
    content, name = await ctx.svc(CommendExports).branch_files(ctx.require_actor(), data.branch_id, docx=docx)
    mime = DOCX_MIME if docx else XLSX_MIME
    key = await ctx.svc(MediaStore).save(content, mime, name, generated_for=data.branch_id)
    await ctx.reply(_("📄 The commendation proposal list.") if docx else _("📥 The commendation workbook."),
                    media=MediaRef(kind="document", media_key=key, mime=mime, file_name=name))


@router.button(OrgCommendFile)
async def org_file(ctx: Ctx, data: OrgCommendFile) -> None:
    content, name, branch_ids = await ctx.svc(CommendExports).org_file(ctx.require_actor(), data.org_id)
    store = ctx.svc(MediaStore)
    # One marker per branch it names, so a member's erasure in any of them deletes it.
    key = await store.save(content, XLSX_MIME, name, generated_for=branch_ids[0] if branch_ids else None)
    for branch_id in branch_ids[1:]:
        await store.save(content, XLSX_MIME, name, generated_for=branch_id)
    await ctx.reply(_("📥 The commendations of the branches."),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))


@router.button(CommendAwards)
async def awards(ctx: Ctx, data: CommendAwards) -> None:
    rows = await ctx.svc(CommendService).branch_awards(ctx.require_actor(), data.branch_id)
    if not rows:
        await ctx.reply(_("No award recorded yet."))
        return
    lines = [_("🏅 <b>Awards by year</b>")]
    for a, n in rows:
        line = f"• {a.year}: <b>{esc(a.name)}</b> — {award_label(a.form)}"
        if n > 1:
            line += " (" + _("{n} years running").format(n=n) + ")"
        lines.append(line)
    await ctx.reply("\n".join(lines))


@router.button(DecideProposal)
async def decide(ctx: Ctx, data: DecideProposal) -> None:
    prop = await ctx.svc(CommendService).get_proposal(ctx.require_actor(), data.proposal_id)
    await ctx.forms.start("commend_award" if data.award else "commend_decline",
                          {"id": data.proposal_id, "name": prop.name, "year": prop.year})


async def _award_done(ctx: Ctx, data: dict[str, Any]) -> None:
    summary = _("<b>Record the award?</b>\n{name}, year {year}: {form}").format(
        name=esc(data["name"]), year=data["year"], form=award_label(data["form"]))
    await ask_confirm(ctx, "commend_award", summary, {"id": data["id"], "form": data["form"]},
                      yes=_("✅ Record the award"))


async def _decline_done(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(CommendService).decline(ctx.require_actor(), int(data["id"]), data["comment"])
    await ctx.reply(_("The branch is told that {name} is not awarded.").format(name=esc(data["name"])))


router.form(Form("commend_award", [
    AskChoice("form", lambda _c, d: _("🏅 The form of award for {name} ({year})?").format(
        name=esc(d["name"]), year=d["year"]), choices=lambda _c, d: [(k, fn()) for k, fn in AWARD_FORMS.items()]),
], on_complete=_award_done))

router.form(Form("commend_decline", [
    AskText("comment", lambda _c, d: _("Why is {name} not awarded? Write a short comment for the branch.").format(
        name=esc(d["name"])), max_len=500),
], on_complete=_decline_done))


@router.confirmed("commend_award")
async def award_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    award = await ctx.svc(CommendService).record_award(ctx.require_actor(), int(payload["id"]), payload["form"])
    await ctx.reply(_("🏅 Recorded: {name}, {year}, {form}.").format(
        name=esc(award.name), year=award.year, form=award_label(award.form)))
