"""The conversation of emulation projects.

Members: /congtrinh (their projects, register one, report a milestone with evidence). Secretaries:
/xacnhanmoc and the card's button (confirm a reported milestone). Committee admins: /dotthidua (open a
call), /thidua (counts per branch and category, laggards, appraisal, commendation, the workbook)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.features.emulation.callbacks import (
    Appraise,
    AppraiseList,
    Commend,
    ConfirmMilestone,
    ExportEmulation,
    PendingFor,
    RegisterProject,
    ReportMilestone,
)
from bot.features.emulation.models import MilestoneStatus, ProjectStatus
from bot.features.emulation.service import MAX_MILESTONES, EmulationService, default_categories, status_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskDate, AskText, Form, Invalid, Step, example_hint, text_prompt
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import Conflict, DomainError, NotFound
from bot.services.media import MediaStore
from bot.services.permissions import committee_org, managed_seats
from bot.services.sheets import XLSX_MIME
from bot.services.when import WhenError, read_day, show

router = Router("emulation")

LIST_MAX = 10
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
# Documents kept as evidence: what a branch files (a photo is always welcome).
DOC_TYPES = {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "jpeg", "png"}


# --- the committee opens a call ------------------------------------------------------------------------


@router.command("dotthidua", "emulationcall", help=lambda: _("open a call for emulation projects"),
                audience="committee", phrases=("mo dot thi dua",))
async def open_call(ctx: Ctx) -> None:
    org_id = committee_org(ctx.require_actor())
    if org_id is None:
        await ctx.reply(_("This command is only for the Party committee."))
        return
    await ctx.forms.start("emulation_call", {"org_id": org_id})


def _default_list() -> str:
    return ", ".join(default_categories())


router.form(Form("emulation_call", steps=[
    AskText("title", text_prompt(lambda: _("🏁 <b>A new call for emulation projects</b>\nWhat is the call's title?")),
            max_len=200, min_len=3),
    AskDate("deadline", text_prompt(lambda: _("The last day to register a project?")),
            max_back_days=0, max_ahead_days=730, quick=False),
    AskText("criteria", text_prompt(lambda: _("The criteria the projects are appraised by?")), max_len=2000),
    AskChoice("cat_mode", lambda _c, _d: _("The categories: the five default kinds ({kinds}), or your own list?")
              .format(kinds=esc(_default_list())),
              choices=lambda _c, _d: [("default", _("Use the five default kinds")),
                                      ("own", _("Type my own list"))]),
    AskText("cat_text", text_prompt(lambda: _("Type the categories, separated by commas.")), max_len=500,
            skip_if=lambda d: d.get("cat_mode") != "own"),
], on_complete=lambda ctx, data: _call_summary(ctx, data)))


def _categories(data: dict[str, Any]) -> list[str]:
    if data.get("cat_mode") == "own":
        return [c.strip() for c in str(data.get("cat_text") or "").split(",") if c.strip()]
    return default_categories()


async def _call_summary(ctx: Ctx, data: dict[str, Any]) -> None:
    cats = _categories(data)
    text = _("<b>Open this call?</b>\n{title}\nCategories: {cats}\nRegistration closes on {day}.\n"
             "Criteria: {criteria}\n\nThe secretaries of every branch are told.").format(
        title=esc(data["title"]), cats=esc(", ".join(cats)), day=show(date.fromisoformat(data["deadline"])),
        criteria=esc(data["criteria"]))
    await ask_confirm(ctx, "emulation_call", text, {**data, "categories": cats}, yes=_("✅ Open the call"))


@router.confirmed("emulation_call")
async def call_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    call = await ctx.svc(EmulationService).open_call(
        ctx.require_actor(), int(payload["org_id"]), title=payload["title"],
        deadline=date.fromisoformat(payload["deadline"]), criteria=payload["criteria"],
        categories=list(payload["categories"]))
    await ctx.reply(_("✅ The call “{title}” is open until {day}. The branch secretaries have been told.").format(
        title=esc(call.title), day=show(call.deadline)))


# --- a member's projects -------------------------------------------------------------------------------


@router.command("congtrinh", "projects", help=lambda: _("emulation projects: register, report a milestone"),
                audience="member", phrases=("cong trinh thi dua", "phan viec thi dua"))
async def my_projects(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(EmulationService)
    rows = await svc.my_projects(actor)
    lines = [_("🏁 <b>Emulation projects</b>")]
    buttons: list[list[Button]] = []
    for p, stones in rows:
        lines.append(_("• <b>{name}</b> ({category}): {status}").format(
            name=esc(p.name), category=esc(p.category), status=status_label(p.status)))
        for m in stones:
            lines.append(f"   {m.position}. {show(m.due)} — {esc(m.title)}: {status_label(m.status)}")
            if p.status == ProjectStatus.REGISTERED.value and m.status != MilestoneStatus.CONFIRMED.value:
                buttons.append([Button(_("📎 Report: {title}").format(title=m.title[:40]),
                                       ReportMilestone(m.id or 0).pack())])
    if not rows:
        lines.append(_("Comrade, you have no emulation project yet."))
    branch = actor.primary_branch
    if branch is not None:
        try:
            call = await svc.open_call_for(actor, branch.branch_id)
        except (NotFound, Conflict) as exc:
            lines.append("\n" + esc(exc.message))
        else:
            lines.append("\n" + _("Call open: {title}, registration until {day}.").format(
                title=esc(call.title), day=show(call.deadline)))
            buttons.insert(0, [Button(_("➕ Register a project"), RegisterProject(call.id or 0).pack())])
    await ctx.reply("\n".join(lines), buttons[: LIST_MAX + 1])


@router.button(RegisterProject)
async def register_start(ctx: Ctx, data: RegisterProject) -> None:
    actor = ctx.require_actor()
    branch = actor.primary_branch
    if branch is None:
        await ctx.reply(_("This command is only for Party members of a branch."))
        return
    call = await ctx.svc(EmulationService).open_call_for(actor, branch.branch_id)  # late: refused here
    if call.id != data.call_id:
        raise Conflict(_("That call has been replaced by a newer one. Please send /congtrinh again."))
    is_sec = any(s.branch_id == branch.branch_id for s in managed_seats(actor))
    await ctx.forms.start("emulation_register", {
        "call_id": call.id, "branch_id": branch.branch_id, "categories": call.categories,
        "is_sec": is_sec, "by": "group"})


@dataclass
class AskMilestones(AskText):
    """The timetable: one milestone a line, its day first ("30/6 - Hoàn thành khảo sát")."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = await super().parse(ctx, data)
        today = ctx.today
        out: list[list[str]] = []
        for line in (x.strip(" •-\t") for x in str(text).splitlines()):
            if not line:
                continue
            m = re.match(r"^(.+?)\s*(?:\s[-–]|:)\s+(.+)$", line) or re.match(r"^(\S+?):?\s+(.+)$", line)
            if m is None:
                raise Invalid(_("Please put the day first, then the milestone: {example}").format(
                    example=_("30/6 - Finish the survey")))
            try:
                day = read_day(m.group(1), today, earliest=today, latest=today + timedelta(days=730))
            except WhenError as exc:
                raise Invalid(_("Line “{line}”: {problem}").format(line=line, problem=exc.message)) from exc
            out.append([day.isoformat(), m.group(2).strip()[:300]])
        if not out or len(out) > MAX_MILESTONES:
            raise Invalid(_("Please give between 1 and {n} milestones.").format(n=MAX_MILESTONES))
        return sorted(out)


router.form(Form("emulation_register", steps=[
    AskChoice("by", text_prompt(lambda: _("Who registers the project?")),
              choices=lambda _c, _d: [("branch", _("The branch")),
                                      ("group", _("A group of members (I am the owner)"))],
              skip_if=lambda d: not d.get("is_sec")),
    AskChoice("category", text_prompt(lambda: _("📝 <b>Register an emulation project</b>\nWhich category?")),
              choices=lambda _c, d: [(c, c) for c in d.get("categories") or []]),
    AskText("name", text_prompt(lambda: _("The project's name?")), max_len=200, min_len=3),
    AskText("goal", text_prompt(lambda: _("Its goal: what will it achieve?")), max_len=1000),
    AskText("criteria", text_prompt(lambda: _("Measurable criteria (how the result is counted)?")),
            max_len=1000),
    AskMilestones("milestones", text_prompt(lambda: _(
        "The timetable: one milestone a line, the day first, e.g.\n30/6 - Finish the survey\n"
        "15/9 - Hand over the road")), max_len=2000,
        placeholder=lambda _c, _d: example_hint(_("30/6 - Finish the survey"))),
], on_complete=lambda ctx, data: _register_summary(ctx, data)))


async def _register_summary(ctx: Ctx, data: dict[str, Any]) -> None:
    stones = "\n".join(f"  {i}. {show(date.fromisoformat(d))} — {esc(t)}"
                       for i, (d, t) in enumerate(data["milestones"], 1))
    who = _("the branch") if data.get("by") == "branch" else _("a group of members")
    text = _("<b>Send this registration?</b>\n{name} ({category}), registered by {who}\nGoal: {goal}\n"
             "Criteria: {criteria}\nTimetable:\n{stones}").format(
        name=esc(data["name"]), category=esc(data["category"]), who=who, goal=esc(data["goal"]),
        criteria=esc(data["criteria"]), stones=stones)
    await ask_confirm(ctx, "emulation_register", text, data, yes=_("✅ Register"))


@router.confirmed("emulation_register")
async def register_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    p = await ctx.svc(EmulationService).register(
        ctx.require_actor(), int(payload["branch_id"]), int(payload["call_id"]),
        by_branch=payload.get("by") == "branch", name=payload["name"], category=payload["category"],
        goal=payload["goal"], criteria=payload["criteria"],
        milestones=[(date.fromisoformat(d), t) for d, t in payload["milestones"]])
    await ctx.reply(_("✅ Registered: <b>{name}</b>. Report each milestone with /congtrinh; a reminder comes "
                      "before each one.").format(name=esc(p.name)))


# --- reporting a milestone -----------------------------------------------------------------------------


@router.button(ReportMilestone)
async def report_start(ctx: Ctx, data: ReportMilestone) -> None:
    m, p = await ctx.svc(EmulationService).reportable(ctx.require_actor(), data.milestone_id)
    await ctx.forms.start("emulation_evidence", {"milestone_id": m.id, "title": m.title, "project": p.name})


@dataclass
class AskEvidence(Step):
    """A photo, a document (Telegram) or a link: the evidence of a milestone; it may be skipped."""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__skip__", _("No file ⏭"))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__skip__":
            return {"media": [], "link": None}
        inbound = ctx.inbound
        if inbound.media:
            ref = inbound.media[-1]  # Telegram sends several sizes of a photo; the largest is last
            if ref.kind == "document":
                ext = (ref.file_name or "").rsplit(".", 1)[-1].lower()
                if ext not in DOC_TYPES:
                    raise Invalid(_("That kind of file cannot be kept. Please send a photo, a PDF, Word, "
                                    "Excel or PowerPoint file, or a link."))
            elif ref.kind != "photo":
                raise Invalid(_("Please send a photo, a document or a link."))
            try:
                kept = await store_media(ctx, ref)
            except DomainError as exc:  # over the size limit: the reply names the limit
                raise Invalid(exc.message) from exc
            return {"media": [kept], "link": None}
        found = _URL.search(inbound.text or "")
        if found:
            return {"media": [], "link": found.group(0)[:500]}
        raise Invalid(_("Please send a photo, a document or a link, or press “No file”."))


router.form(Form("emulation_evidence", steps=[
    AskText("text", lambda _c, d: _("📎 <b>{title}</b> ({project})\nWhat was done? Write it briefly.").format(
        title=esc(d["title"]), project=esc(d["project"])), max_len=2000),
    AskEvidence("evidence", text_prompt(lambda: _(
        "The evidence: send a photo, a document (PDF, Word, Excel) or a link."))),
], on_complete=lambda ctx, data: _report_summary(ctx, data)))


async def _report_summary(ctx: Ctx, data: dict[str, Any]) -> None:
    ev = data.get("evidence") or {}
    what = (_("a photo") if ev.get("media") and ev["media"][0].get("kind") == "photo"
            else _("a document") if ev.get("media") else esc(ev["link"]) if ev.get("link") else _("none"))
    text = _("<b>Send this report to the secretary?</b>\n{title}\n{text}\nEvidence: {what}").format(
        title=esc(data["title"]), text=esc(data["text"]), what=what)
    await ask_confirm(ctx, "emulation_report", text, data)


@router.confirmed("emulation_report")
async def report_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    ev = payload.get("evidence") or {}
    await ctx.svc(EmulationService).report(ctx.require_actor(), int(payload["milestone_id"]),
                                           text=payload["text"], link=ev.get("link"), media=ev.get("media") or [])
    await ctx.reply(_("✅ Sent. The secretary will confirm the milestone “{title}”.").format(
        title=esc(payload["title"])))


# --- the secretary confirms ----------------------------------------------------------------------------


@router.command("xacnhanmoc", "milestones", help=lambda: _("confirm the milestones of emulation projects"),
                audience="manager", phrases=("xac nhan moc",))
async def pending(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PendingFor)
    if branch_id is not None:
        await _pending(ctx, branch_id)


@router.button(PendingFor)
async def pending_for(ctx: Ctx, data: PendingFor) -> None:
    await _pending(ctx, data.branch_id)


async def _pending(ctx: Ctx, branch_id: int) -> None:
    rows = await ctx.svc(EmulationService).pending_confirmations(ctx.require_actor(), branch_id)
    if not rows:
        await ctx.reply(_("No milestone is waiting for confirmation. 🎉"))
        return
    for m, p in rows[:LIST_MAX]:
        text = _("📎 <b>{name}</b>: {title} (due {day})\n{evidence}").format(
            name=esc(p.name), title=esc(m.title), day=show(m.due), evidence=esc(m.evidence_text or ""))
        if m.evidence_link:
            text += "\n🔗 " + esc(m.evidence_link)
        media = MediaRef.from_dict(m.evidence[0]) if m.evidence else None
        await ctx.reply(text, [[Button(_("✅ Confirm"), ConfirmMilestone(m.id or 0).pack())]], media=media)


@router.button(ConfirmMilestone)
async def confirm(ctx: Ctx, data: ConfirmMilestone) -> None:
    m, p = await ctx.svc(EmulationService).confirm(ctx.require_actor(), data.milestone_id)
    await ctx.reply(_("✅ Confirmed: {title} ({name}). The owner has been told.").format(
        title=esc(m.title), name=esc(p.name)))


# --- the committee's view ------------------------------------------------------------------------------


@router.command("thidua", "emulation", help=lambda: _("emulation projects of the branches: counts, appraisal"),
                audience="committee", phrases=("cong trinh cac chi bo",))
async def overview(ctx: Ctx) -> None:
    org_id = committee_org(ctx.require_actor())
    if org_id is None:
        await ctx.reply(_("This command is only for the Party committee."))
        return
    ov = await ctx.svc(EmulationService).overview(ctx.require_actor(), org_id)
    if ov.call is None:
        await ctx.reply(_("No call for emulation projects yet. Open one with /dotthidua."))
        return
    lines = [_("🏁 <b>Emulation projects — {org}</b>").format(org=esc(ov.org_name)),
             _("Call: {title} (registration until {day})").format(title=esc(ov.call.title), day=show(ov.call.deadline))]
    for bid, name in ov.branches:
        per = [(c, ov.counts.get((bid, c), 0)) for c in ov.call.categories]
        total = sum(n for _c, n in per)
        detail = ", ".join(f"{esc(c)} {n}" for c, n in per if n)
        lines.append(_("• {branch}: {n} project(s)").format(branch=esc(name), n=total)
                     + (f" ({detail})" if detail else ""))
    lines.append(_("Total: {n} project(s) from {k} of {m} branches").format(
        n=sum(ov.counts.values()), k=len(ov.branches) - len(ov.without_project), m=len(ov.branches)))
    if ov.without_project:
        lines.append("\n" + _("⚠️ No project yet: {branches}").format(branches=esc(", ".join(ov.without_project))))
    for p, bname, late in ov.overdue:
        lines.append(_("⚠️ Milestone overdue: {name} ({branch}), {n} milestone(s) not reported").format(
            name=esc(p.name), branch=esc(bname), n=late))
    await ctx.reply("\n".join(lines), [
        [Button(_("🏅 Appraise projects"), AppraiseList(org_id).pack())],
        [Button(_("📥 Export to Excel"), ExportEmulation(org_id).pack())],
    ])


@router.button(AppraiseList)
async def appraise_list(ctx: Ctx, data: AppraiseList) -> None:
    rows = await ctx.svc(EmulationService).to_appraise(ctx.require_actor(), data.org_id)
    if not rows:
        await ctx.reply(_("No project is waiting for appraisal."))
        return
    for p, bname, stones in rows[:LIST_MAX]:
        done = sum(1 for m in stones if m.status == MilestoneStatus.CONFIRMED.value)
        text = _("<b>{name}</b> — {branch} ({category})\nGoal: {goal}\nCriteria: {criteria}\n"
                 "Milestones confirmed: {done}/{total}").format(
            name=esc(p.name), branch=esc(bname), category=esc(p.category), goal=esc(p.goal),
            criteria=esc(p.criteria), done=done, total=len(stones))
        await ctx.reply(text, [[Button(_("✅ Passed"), Appraise("passed", p.id or 0).pack()),
                                Button(_("❌ Not passed"), Appraise("failed", p.id or 0).pack())]])


@router.button(Appraise)
async def appraise(ctx: Ctx, data: Appraise) -> None:
    p = await ctx.svc(EmulationService).appraisable(ctx.require_actor(), data.project_id)
    await ctx.forms.start("emulation_appraisal", {"project_id": p.id, "verdict": data.verdict, "name": p.name})


router.form(Form("emulation_appraisal", steps=[
    AskText("comment", lambda _c, d: _("Your comments on <b>{name}</b>?").format(name=esc(d["name"])),
            max_len=1000),
], on_complete=lambda ctx, data: _appraisal_summary(ctx, data)))


async def _appraisal_summary(ctx: Ctx, data: dict[str, Any]) -> None:
    verdict = status_label(data["verdict"])
    text = _("<b>Send this appraisal?</b>\n{name}: {verdict}\nComments: {comment}").format(
        name=esc(data["name"]), verdict=verdict, comment=esc(data["comment"]))
    await ask_confirm(ctx, "emulation_appraise", text, data)


@router.confirmed("emulation_appraise")
async def appraise_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    p = await ctx.svc(EmulationService).appraise(ctx.require_actor(), int(payload["project_id"]),
                                                 payload["verdict"], payload["comment"])
    buttons = ([[Button(_("🌟 Commend"), Commend(p.id or 0).pack())]]
               if p.status == ProjectStatus.PASSED.value else [])
    await ctx.reply(_("✅ Appraised: {name} — {verdict}. The owner and the branch have been told.").format(
        name=esc(p.name), verdict=status_label(p.status)), buttons)


@router.button(Commend)
async def commend(ctx: Ctx, data: Commend) -> None:
    p = await ctx.svc(EmulationService).commend(ctx.require_actor(), data.project_id)
    await ctx.reply(_("🌟 Commended: {name}. The owner and the branch have been told.").format(name=esc(p.name)))


@router.button(ExportEmulation)
async def export(ctx: Ctx, data: ExportEmulation) -> None:
    payload, name, branch_ids = await ctx.svc(EmulationService).workbook(ctx.require_actor(), data.org_id)
    store = ctx.svc(MediaStore)
    key = ""
    for branch_id in branch_ids or [None]:  # listed under every branch it names: a member's erasure deletes it
        key = await store.save(payload, XLSX_MIME, name, generated_for=branch_id)
    await ctx.reply(_("📥 Emulation projects: the summary per branch and category, the projects, the milestones."),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))
