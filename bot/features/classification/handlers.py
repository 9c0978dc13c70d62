"""The branch's classification in chat: /xeploai, a member's card, the proposal form, the vote, the summary."""

from __future__ import annotations

from typing import Any

from bot.features.classification import rules
from bot.features.classification.callbacks import (
    ClsCheck,
    ClsConfirm,
    ClsExport,
    ClsMember,
    ClsPage,
    ClsPropose,
    ClsRecord,
    ClsSettings,
    ClsVote,
)
from bot.features.classification.exports import ClassificationExport
from bot.features.classification.service import COMMENT_MAX, REASON_MAX, Classification, MemberCard, status_word
from bot.features.votes.callbacks import CloseVote
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form, Invalid
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import Conflict, InvalidInput
from bot.services.levels import LEVEL_KEYS, LEVELS, band_text
from bot.services.permissions import can_see_committee_view, committee_org

router = Router("classification")

PAGE_SIZE = 10
FORM = "classification_propose"
SECTION_PREVIEW = 300


@router.command("xeploai", "classify", help=lambda: _("the branch's year-end classification of members"),
                audience="manager", phrases=("xep loai", "xep loai dang vien"))
async def classify(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    if can_see_committee_view(actor):
        await _committee_list(ctx, committee_org(actor) or 0)
        return
    branch_id = await pick_branch(ctx, lambda b: ClsPage(b, 0))
    if branch_id is not None:
        await _page(ctx, branch_id, 0)


async def _committee_list(ctx: Ctx, org_id: int) -> None:
    branches, cap = await ctx.svc(Classification).org_branches(ctx.require_actor(), org_id)
    lines = [_("🏛 <b>Year-end classification {year}</b>: the branches").format(year=ctx.today.year),
             _("The whole Party organisation: {line}").format(line=cap.line())]
    if cap.broken:
        lines.append(_("The share of the top level is above the cap. The rule: {rule}").format(rule=rules.cap_rule()))
    buttons = []
    for b, members, done in branches:
        lines.append(_("• {branch}: {done}/{members} voted").format(branch=esc(b.name), done=done, members=members))
        buttons.append([Button(b.name, ClsPage(b.id or 0, 0).pack())])
    await ctx.reply("\n".join(lines), buttons)


@router.button(ClsPage)
async def page(ctx: Ctx, data: ClsPage) -> None:
    await _page(ctx, data.branch_id, data.page)


async def _page(ctx: Ctx, branch_id: int, page_no: int) -> None:
    o = await ctx.svc(Classification).overview(ctx.require_actor(), branch_id)
    pages = max(1, -(-len(o.rows) // PAGE_SIZE))
    page_no = min(max(page_no, 0), pages - 1)
    start = page_no * PAGE_SIZE
    lines = [_("📋 <b>Classification of members {year}</b> — {branch}").format(year=o.year, branch=esc(o.branch.name)),
             o.cap.line()]
    if pages > 1:
        lines.append(_("Page {page}/{pages}").format(page=page_no + 1, pages=pages))
    buttons: list[list[Button]] = []
    for i, r in enumerate(o.rows[start:start + PAGE_SIZE], start + 1):
        p = r.proposal
        level = f" — {LEVELS[p.level]()}" if p is not None and p.level and p.status != "draft" else ""
        lines.append(f"{i}. {esc(r.name)}: {status_word(p)}{level}")
        buttons.append([Button(f"{i}. {r.name}", ClsMember(branch_id, r.person_id).pack())])
    nav = []
    if page_no > 0:
        nav.append(Button(_("◀ Previous"), ClsPage(branch_id, page_no - 1).pack()))
    if page_no < pages - 1:
        nav.append(Button(_("Next ▶"), ClsPage(branch_id, page_no + 1).pack()))
    if nav:
        buttons.append(nav)
    buttons.append([Button(_("⚠️ Check before the meeting"), ClsCheck(branch_id).pack())])
    buttons.append([Button(_("📄 Summary table"), ClsExport(branch_id).pack())])
    if can_see_committee_view(ctx.require_actor()):
        buttons.append([Button(_("✅ Confirm the branch's results"), ClsConfirm(branch_id).pack())])
    await ctx.reply("\n".join(lines), buttons)


def _card_text(c: MemberCard) -> str:
    lines = [_("👤 <b>{name}</b> — year-end classification {year}").format(name=esc(c.name), year=c.year)]
    sa = c.self_assessment
    lines.append("")
    if sa is None:
        lines.append(_("<b>Self-assessment:</b> not yet"))
    else:
        level = LEVELS[sa["level"]]() if sa.get("level") in LEVELS else _("not yet")
        points = sa.get("points")
        lines.append(_("<b>Self-assessment:</b> {level}").format(level=level)
                     + (_(", {points} points").format(points=points) if points is not None else ""))
        for title, text in sa.get("sections") or []:
            body = str(text)
            short = body if len(body) <= SECTION_PREVIEW else body[:SECTION_PREVIEW] + "…"
            lines.append(f"• <i>{esc(str(title))}</i>: {esc(short)}")
    lines.append("")
    if c.year_file is None:
        lines.append(_("<b>Year file:</b> not yet"))
    else:
        lines.append(_("<b>Year file:</b>"))
        lines.extend(f"• {esc(line)}" for line in c.year_file)
    p = c.proposal
    lines.append("")
    lines.append(_("<b>Status:</b> {status}").format(status=status_word(p)))
    if p is not None and p.level:
        lines.append(_("Proposed level: <b>{level}</b>").format(level=LEVELS[p.level]())
                     + (_(", {points} points").format(points=p.points) if p.points is not None else ""))
        if p.comment:
            lines.append(_("Assessment comment: {comment}").format(comment=esc(p.comment)))
        if p.cap_reason:
            lines.append(_("Reason for exceeding the cap: {reason}").format(reason=esc(p.cap_reason)))
        if p.vote_counts is not None:
            a, d, n = [*p.vote_counts, 0, 0, 0][:3]
            lines.append(_("Vote: agree {a}, disagree {d}, abstain {n}; present {present}/{members}; {verdict}.")
                         .format(a=a, d=d, n=n, present=p.vote_present, members=p.vote_members,
                                 verdict=_("passed") if p.vote_passed else _("not passed")))
    if c.warnings:
        lines.append("")
        lines.extend(f"⚠️ {w}" for w in c.warnings)
    return "\n".join(lines)


@router.button(ClsMember)
async def member(ctx: Ctx, data: ClsMember) -> None:
    await _card(ctx, data.branch_id, data.person_id)


async def _card(ctx: Ctx, branch_id: int, person_id: int) -> None:
    c = await ctx.svc(Classification).card(ctx.require_actor(), branch_id, person_id)
    p = c.proposal
    buttons: list[list[Button]] = []
    again = p is not None and p.status == "voted" and not p.vote_passed  # not passed: propose and vote again
    if p is None or p.status in ("draft", "proposed") or again:
        if p is not None and p.status == "draft":
            buttons.append([Button(_("▶️ Continue the draft"), ClsPropose(branch_id, person_id, "resume").pack())])
        label = (_("✏️ Change the proposal") if p is not None and p.status in ("proposed", "voted")
                 else _("✏️ Propose a level"))
        buttons.append([Button(label, ClsPropose(branch_id, person_id, "new").pack())])
    if p is not None and p.status == "proposed":
        buttons.append([Button(_("🗳 Open the vote"), ClsVote(p.id or 0).pack())])
    if p is not None and p.status == "voting":
        buttons.append([Button(_("📊 Vote result"), ClsRecord(p.id or 0).pack())])
    buttons.append([Button(_("◀ The list"), ClsPage(branch_id, 0).pack())])
    await ctx.reply(_card_text(c), buttons)


# --- the proposal form ------------------------------------------------------------------------------------


@router.button(ClsPropose)
async def propose(ctx: Ctx, data: ClsPropose) -> None:
    svc = ctx.svc(Classification)
    actor = ctx.require_actor()
    await svc.check_proposer(actor, data.branch_id, data.person_id)
    c = await svc.card(actor, data.branch_id, data.person_id, "excellent")
    # Whether one more "excellent" breaks the cap: the form then asks the reason (checked again on saving).
    start: dict[str, Any] = {"branch_id": data.branch_id, "person_id": data.person_id, "name": c.name,
                             "_cap_full": c.cap.broken, "_cap_line": c.cap.line()}
    if c.self_assessment and c.self_assessment.get("level") in LEVELS:
        start["_self"] = c.self_assessment["level"]
    step = None
    if data.mode == "resume":
        kept = await svc.draft(actor, data.branch_id, data.person_id)
        start.update(kept)
        step = "level" if "level" not in kept else "comment" if "points" in kept or "comment" in kept else "points"
    await ctx.forms.start(FORM, start, step=step)


def _level_prompt(_ctx: Ctx, d: dict[str, Any]) -> str:
    text = _("Which level does the branch propose for comrade {name}?").format(name=esc(d.get("name", "")))
    if d.get("_self"):
        text += "\n" + _("The member's own level: {level}.").format(level=LEVELS[d["_self"]]())
    return text


def _points_prompt(_ctx: Ctx, d: dict[str, Any]) -> str:
    level = d.get("level") or "done"
    return _("Points on the 100-point framework ({band} for this level)? Type a number, or skip.").format(
        band=band_text(level))


class AskPoints(AskText):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = await super().parse(ctx, data)
        if value is None:
            return None
        try:
            points = rules.parse_points(str(value))
            rules.check_points(str(data.get("level")), points)
        except InvalidInput as exc:
            raise Invalid(str(exc)) from None
        return points


def _comment_prompt(_ctx: Ctx, d: dict[str, Any]) -> str:
    text = _("The branch's comment on comrade {name} (strengths, shortcomings, what to improve):").format(
        name=esc(d.get("name", "")))
    if d.get("comment"):
        text += "\n" + _("Kept from the draft: <i>{comment}</i>").format(comment=esc(d["comment"]))
    return text


def _reason_prompt(_ctx: Ctx, d: dict[str, Any]) -> str:
    return _("⚠️ Proposing “{level}” here exceeds the cap. {line}\nThe rule: {rule}\nThe branch may propose "
             "more only with a reason for the Party committee. Please type the reason:").format(
        level=LEVELS["excellent"](), line=d.get("_cap_line", ""), rule=rules.cap_rule())


def _needs_reason(d: dict[str, Any]) -> bool:
    return d.get("level") == "excellent" and bool(d.get("_cap_full"))


async def _complete(ctx: Ctx, d: dict[str, Any]) -> None:
    svc = ctx.svc(Classification)
    actor = ctx.require_actor()
    branch_id, person_id = int(d["branch_id"]), int(d["person_id"])
    await svc.save_draft(actor, branch_id, person_id, d)  # the card may be left unanswered: keep it
    try:
        c = await svc.validate(actor, branch_id, person_id, str(d["level"]), d.get("points"), d.get("reason"))
    except Conflict as exc:
        # A cap broken without a reason: refused with the rule; the reason is asked again, nothing is lost.
        await ctx.reply(f"⚠️ {esc(str(exc))}")
        await ctx.forms.start(FORM, {**d, "_cap_full": True, "_cap_line": ""}, step="reason")
        return
    lines = [_("📋 <b>Save the proposal for comrade {name}?</b>").format(name=esc(c.name)),
             _("Proposed level: <b>{level}</b>").format(level=LEVELS[str(d["level"])]())
             + (_(", {points} points").format(points=d["points"]) if d.get("points") is not None else ""),
             _("Assessment comment: {comment}").format(comment=esc(str(d["comment"])))]
    if d.get("reason"):
        lines.append(_("Reason for exceeding the cap: {reason}").format(reason=esc(str(d["reason"]))))
    lines.extend(f"⚠️ {w}" for w in c.warnings)
    lines.append(_("After saving, the member can no longer withdraw their self-assessment."))
    payload = {k: d.get(k) for k in ("branch_id", "person_id", "level", "points", "comment", "reason")}
    await ask_confirm(ctx, "classification_save", "\n".join(lines), payload, yes=_("✅ Save the proposal"),
                      edit=Button(_("✏️ Edit"), ClsPropose(branch_id, person_id, "resume").pack()),
                      back=ClsMember(branch_id, person_id).pack())


async def _cancelled(ctx: Ctx, d: dict[str, Any]) -> bool:
    kept = await ctx.svc(Classification).save_draft(ctx.require_actor(), int(d["branch_id"]), int(d["person_id"]), d)
    if kept:
        await ctx.reply(_("📝 The proposal for comrade {name} is kept as a draft: open /xeploai to continue.").format(
            name=esc(str(d.get("name", "")))))
    return kept


router.form(
    Form(
        FORM,
        steps=[
            AskChoice("level", _level_prompt, choices=lambda _c, _d: [(k, LEVELS[k]()) for k in LEVEL_KEYS]),
            AskPoints("points", _points_prompt, optional=True, max_len=10),
            AskText("comment", _comment_prompt, max_len=COMMENT_MAX),
            AskText("reason", _reason_prompt, max_len=REASON_MAX, optional=True,
                    skip_if=lambda d: not _needs_reason(d)),
        ],
        on_complete=_complete,
        on_cancel=_cancelled,
    )
)


@router.confirmed("classification_save")
async def save(ctx: Ctx, payload: dict[str, Any]) -> None:
    points = payload.get("points")
    p = await ctx.svc(Classification).propose(
        ctx.require_actor(), int(payload["branch_id"]), int(payload["person_id"]), str(payload["level"]),
        int(points) if points is not None else None, str(payload.get("comment") or ""),
        str(payload["reason"]) if payload.get("reason") else None)
    await ctx.reply(_("✅ Proposal saved: {level}. The member's self-assessment is now locked.").format(
        level=LEVELS[p.level or "done"]()))
    await _card(ctx, p.branch_id, p.person_id)


# --- the vote ---------------------------------------------------------------------------------------------


def _vote_line(r: dict[str, Any]) -> str:
    quorum = _("quorum reached") if r.get("quorum") else _("quorum not reached")
    return _("{line}\nPresent {present}/{members}; {quorum}.").format(
        line=esc(str(r.get("result_line") or "")), present=r.get("present", 0), members=r.get("members", 0),
        quorum=quorum)


@router.button(ClsVote)
async def vote(ctx: Ctx, data: ClsVote) -> None:
    p = await ctx.svc(Classification).open_vote(ctx.require_actor(), data.proposal_id)
    await ctx.reply(_("🗳 The vote is open: each member present at the meeting got a ballot. Close it when "
                      "everyone has voted, then record the result."),
                    [[Button(_("⏹ Close the vote"), CloseVote(p.vote_id or 0).pack())],
                     [Button(_("📊 Vote result"), ClsRecord(p.id or 0).pack())]])


@router.button(ClsRecord)
async def record(ctx: Ctx, data: ClsRecord) -> None:
    svc = ctx.svc(Classification)
    actor = ctx.require_actor()
    r = await svc.vote_state(actor, data.proposal_id)
    if r is None:
        await ctx.reply(_("No vote is open on this proposal."))
        return
    if not r.get("closed"):
        p = await svc.proposal(actor, data.proposal_id)
        await ctx.reply(_("🗳 The vote is still open.") + "\n" + _vote_line(r),
                        [[Button(_("⏹ Close the vote"), CloseVote(p.vote_id or 0).pack())],
                         [Button(_("📊 Vote result"), ClsRecord(data.proposal_id).pack())]])
        return
    p = await svc.record_vote(actor, data.proposal_id)
    await ctx.reply(_("✅ Result recorded: {level}.").format(level=LEVELS[p.level or "done"]()) + "\n"
                    + _vote_line(r) + "\n"
                    + _("The member and the Party committee were told; the committee decides the final level."))
    await _card(ctx, p.branch_id, p.person_id)


# --- before the meeting, the summary, the committee -------------------------------------------------------


@router.button(ClsCheck)
async def check(ctx: Ctx, data: ClsCheck) -> None:
    o = await ctx.svc(Classification).overview(ctx.require_actor(), data.branch_id)
    lines = [_("⚠️ <b>Checks before the meeting</b> — {branch}").format(branch=esc(o.branch.name)), o.cap.line()]
    if o.cap.broken:
        lines.append(_("The share of the top level is above the cap. The rule: {rule}").format(rule=rules.cap_rule()))
    for r in o.rows:
        p = r.proposal
        if p is not None and p.level == "excellent" and p.status != "draft":
            reason = esc(p.cap_reason) if p.cap_reason else _("no reason for exceeding the cap yet")
            lines.append(f"• {esc(r.name)}: {LEVELS['excellent']()} ({reason})")
    if any(r.proposal is not None and r.proposal.level == "excellent" for r in o.rows):
        lines.append(_("Conditions of the top level: {rule}").format(rule=rules.excellent_conditions()))
    missing = sum(r.proposal is None or r.proposal.status == "draft" for r in o.rows)
    lines.append(_("Not proposed yet: {n}.").format(n=missing))
    members = len(o.rows)
    lines.append(_("At the vote: passed when more than half of the {members} members agree (at least {need}).")
                 .format(members=members, need=members // 2 + 1))
    anon = _("anonymous (counts only)") if o.settings.anonymous else _("with names")
    lines.append(_("Cap: {pct}% of “{good}”. Votes: {anon}.").format(
        pct=o.settings.excellent_cap_percent, good=LEVELS["good"](), anon=anon))
    await ctx.reply("\n".join(lines), [
        [Button(_("Change the cap"), ClsSettings(data.branch_id, "cap").pack())],
        [Button(_("Anonymous votes on/off"), ClsSettings(data.branch_id, "anon").pack())],
        [Button(_("◀ The list"), ClsPage(data.branch_id, 0).pack())],
    ])


@router.button(ClsSettings)
async def settings(ctx: Ctx, data: ClsSettings) -> None:
    svc = ctx.svc(Classification)
    if data.action == "anon":
        await svc.update_settings(ctx.require_actor(), data.branch_id, toggle_anonymous=True)
        await check(ctx, ClsCheck(data.branch_id))
        return
    await svc.settings(ctx.require_actor(), data.branch_id)
    await ctx.forms.start("classification_cap", {"branch_id": data.branch_id})


async def _cap_saved(ctx: Ctx, d: dict[str, Any]) -> None:
    row = await ctx.svc(Classification).update_settings(ctx.require_actor(), int(d["branch_id"]),
                                                        cap_percent=int(d["percent"]))
    await ctx.reply(_("✅ The cap is now {pct}% of those rated “{good}”.").format(
        pct=row.excellent_cap_percent, good=LEVELS["good"]()))


class AskPercent(AskText):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = str(await super().parse(ctx, data)).strip().rstrip("%").strip()
        if not text.isdigit() or not 0 <= int(text) <= 100:
            raise Invalid(_("The cap is a percentage from 0 to 100."))
        return int(text)


router.form(Form("classification_cap", steps=[
    AskPercent("percent", lambda _c, _d: _("The cap on the top level, as a percentage of those rated “{good}” "
                                             "(20 by default, from the old guidance):").format(good=LEVELS["good"]()),
               max_len=5),
], on_complete=_cap_saved))


@router.button(ClsExport)
async def export(ctx: Ctx, data: ClsExport) -> None:
    files = await ctx.svc(ClassificationExport).files(ctx.require_actor(), data.branch_id)
    await ctx.reply(_("📄 The summary table of the branch's classification, for the Party committee."))
    for key, name, mime in files:
        await ctx.reply(name, media=MediaRef(kind="document", media_key=key, file_name=name, mime=mime))


@router.button(ClsConfirm)
async def confirm(ctx: Ctx, data: ClsConfirm) -> None:
    n = await ctx.svc(Classification).confirm_branch(ctx.require_actor(), data.branch_id)
    await ctx.reply(_("✅ Confirmed: {n} result(s) of the branch.").format(n=n))
