"""🔎 /giamsat: supervision visits. The committee plans visits, records findings (a form that resumes),
concludes with tasks, closes tasks and exports; the visited branch's secretary reads the conclusions and
reports tasks fixed with evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.features.supervision.callbacks import (
    SupBranch,
    SupClose,
    SupConclude,
    SupExport,
    SupFixed,
    SupMinutes,
    SupPlan,
    SupRecord,
    SupVisit,
)
from bot.features.supervision.exports import minutes_docx, minutes_name, visits_xlsx
from bot.features.supervision.models import TaskStatus, VisitStatus
from bot.features.supervision.service import (
    MAX_TASKS,
    SupervisionService,
    VisitView,
    conclusions_text,
    default_checklist,
    org_visits,
    result_word,
    tasks_lines,
)
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import DONE, AskChoice, AskDate, AskText, Form, Invalid, Step
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.errors import InvalidInput
from bot.services.media import MediaStore
from bot.services.permissions import can_see_committee_view, committee_org
from bot.services.sheets import XLSX_MIME
from bot.services.when import show
from bot.text import branch_title, number

router = Router("supervision")


@router.command("giamsat", "supervision", help=lambda: _("supervision visits: plans, findings, tasks to fix"),
                audience="manager", phrases=("kiem tra giam sat",))
async def supervision(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if can_see_committee_view(actor) and org_id is not None:
        await _committee(ctx, org_id)
        return
    branch_id = await pick_branch(ctx, SupBranch)
    if branch_id is not None:
        await _branch(ctx, branch_id)


async def _committee(ctx: Ctx, org_id: int) -> None:
    svc = ctx.svc(SupervisionService)
    org, rows = await svc.committee_view(ctx.require_actor(), org_id)
    lines = [_("🔎 <b>Supervision visits — {org}</b>").format(org=esc(org.name))]
    for r in rows:
        lines.append(_("• {branch}: {done} visits done, {planned} planned; findings not met: {not_met}; "
                       "open tasks: {open} (overdue {overdue})").format(
            branch=esc(branch_title(r.name)), done=number(r.done), planned=number(r.planned),
            not_met=number(r.not_met), open=number(r.open_tasks), overdue=number(r.overdue)))
    buttons = [[Button(_("➕ Plan a visit"), SupPlan(org_id).pack()),
                Button(_("📥 Export to Excel"), SupExport(org_id).pack())]]
    recent = sorted((v for r in rows for v in r.visits), key=lambda v: v.planned_on, reverse=True)[:8]
    names = {r.branch_id: r.name for r in rows}
    for v in recent:
        mark = "✅" if v.status == VisitStatus.CONCLUDED else "🗓"
        buttons.append([Button(f"{mark} {branch_title(names[v.branch_id])} {show(v.planned_on)}",
                               SupVisit(int(v.id or 0)).pack())])
    await ctx.reply("\n".join(lines), buttons)


async def _branch(ctx: Ctx, branch_id: int) -> None:
    views = await ctx.svc(SupervisionService).branch_visits(ctx.require_actor(), branch_id)
    if not views:
        await ctx.reply(_("No supervision visit to your branch has been concluded yet."))
        return
    for view in views[:5]:
        buttons = [[Button(_("✅ Report task {n} fixed").format(n=n), SupFixed(int(t.id or 0)).pack())]
                   for n, t in enumerate(view.tasks, 1) if t.status == TaskStatus.OPEN]
        buttons.append([Button(_("📄 Minutes (.docx)"), SupMinutes(int(view.visit.id or 0)).pack())])
        await ctx.reply(conclusions_text(view).text, buttons)


@router.button(SupBranch)
async def branch_chosen(ctx: Ctx, data: SupBranch) -> None:
    await _branch(ctx, data.branch_id)


def _visit_text(view: VisitView) -> str:
    v = view.visit
    lines = [_("🔎 <b>Supervision visit to {branch}</b>, {day}").format(
        branch=esc(branch_title(view.branch_name)), day=show(v.planned_on)),
        _("Team: {team}").format(team=esc(v.team))]
    for n, i in enumerate(view.items, 1):
        line = f"{n}. {esc(i.title)}: <b>{result_word(i.passed)}</b>"
        if i.prefill:
            line += f" <i>({esc(i.prefill)})</i>"
        if i.comment:
            line += f" — {esc(i.comment)}"
        lines.append(line)
    if v.conclusions is not None:
        lines += [_("Conclusions:"), esc(v.conclusions)]
    if view.tasks:
        lines.append(_("Tasks to fix:"))
        lines += tasks_lines(view.tasks)
    return "\n".join(lines)


@router.button(SupVisit)
async def visit(ctx: Ctx, data: SupVisit) -> None:
    view = await ctx.svc(SupervisionService).visit(ctx.require_actor(), data.visit_id)
    vid = int(view.visit.id or 0)
    buttons: list[list[Button]] = []
    if view.visit.status == VisitStatus.PLANNED:
        buttons.append([Button(_("✍️ Record findings"), SupRecord(vid).pack()),
                        Button(_("📝 Conclude"), SupConclude(vid).pack())])
    buttons += [[Button(_("🔒 Close task {n}").format(n=n), SupClose(int(t.id or 0)).pack())]
                for n, t in enumerate(view.tasks, 1) if t.status != TaskStatus.CLOSED]
    buttons.append([Button(_("📄 Minutes (.docx)"), SupMinutes(vid).pack())])
    await ctx.reply(_visit_text(view), buttons)


@router.button(SupExport)
async def export(ctx: Ctx, data: SupExport) -> None:
    svc = ctx.svc(SupervisionService)
    actor = ctx.require_actor()
    _org, rows = await svc.committee_view(actor, data.org_id)
    views = await org_visits(svc, actor, data.org_id)
    if not rows:
        await ctx.reply(_("This Party committee has no branch yet."))
        return
    data_, store, key = visits_xlsx(rows, views), ctx.svc(MediaStore), ""
    for r in rows:  # one marker per branch: erasing a member of any of them deletes the workbook
        key = await store.save(data_, XLSX_MIME, "kiem-tra-giam-sat.xlsx", generated_for=r.branch_id)
    await ctx.reply(_("📥 Supervision visits: summary per branch, visits, findings and tasks to fix."),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME,
                                   file_name="kiem-tra-giam-sat.xlsx"))


@router.button(SupMinutes)
async def minutes(ctx: Ctx, data: SupMinutes) -> None:
    view = await ctx.svc(SupervisionService).visit(ctx.require_actor(), data.visit_id)
    name = minutes_name(view)
    key = await ctx.svc(MediaStore).save(minutes_docx(view), DOCX_MIME, name,
                                         generated_for=view.visit.branch_id)
    await ctx.reply(_("📄 The minutes of the supervision visit."),
                    media=MediaRef(kind="document", media_key=key, mime=DOCX_MIME, file_name=name))


# --- planning ----------------------------------------------------------------------------------------------

def _branch_choices(_c: Ctx, d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(bid), branch_title(name)) for bid, name in d.get("branches") or []]


@router.button(SupPlan)
async def plan(ctx: Ctx, data: SupPlan) -> None:
    branches = await ctx.svc(SupervisionService).org_branches(ctx.require_actor(), data.org_id)
    if not branches:
        await ctx.reply(_("This Party committee has no branch yet."))
        return
    await ctx.forms.start("supervision_plan", {"branches": [list(b) for b in branches]})


def _default_list() -> str:
    return "\n".join(f"{n}. {t}" for n, (_c, t) in enumerate(default_checklist(), 1))


async def _plan_done(ctx: Ctx, d: dict[str, Any]) -> None:
    names = dict((str(b), n) for b, n in d.get("branches") or [])
    checklist = [line.strip() for line in (d.get("checklist") or "").splitlines() if line.strip()]
    titles = checklist or [t for _c, t in default_checklist()]
    summary = "\n".join([
        _("🔎 <b>Plan a supervision visit</b>"),
        _("Branch: {branch}").format(branch=esc(branch_title(names.get(str(d["branch"]), "")))),
        _("Date: {day}").format(day=show(date.fromisoformat(d["day"]))),
        _("Team: {team}").format(team=esc(d["team"])),
        _("The checklist:"),
        *[f"{n}. {esc(t)}" for n, t in enumerate(titles, 1)],
        _("The branch secretary will be told."),
    ])
    await ask_confirm(ctx, "supervision_plan", summary,
                      {"branch": int(d["branch"]), "day": d["day"], "team": d["team"], "checklist": checklist},
                      yes=_("✅ Plan and tell the branch"))


@router.confirmed("supervision_plan")
async def plan_confirmed(ctx: Ctx, p: dict[str, Any]) -> None:
    v = await ctx.svc(SupervisionService).plan(ctx.require_actor(), int(p["branch"]), date.fromisoformat(p["day"]),
                                               str(p["team"]), list(p.get("checklist") or []) or None)
    await ctx.reply(_("✅ The visit is planned for {day}; the branch secretary has been told.").format(
        day=show(v.planned_on)), [[Button(_("📋 Open the visit"), SupVisit(int(v.id or 0)).pack())]])


router.form(Form("supervision_plan", steps=[
    AskChoice("branch", lambda c, d: _("Which branch will be visited?"), choices=_branch_choices),
    AskDate("day", lambda c, d: _("On which date? E.g. {example}.").format(example=show(c.today + timedelta(days=7))),
            max_back_days=0, max_ahead_days=366, quick=False),
    AskText("team", lambda c, d: _("Who is on the supervision team? Type their names."), max_len=500),
    AskText("checklist", lambda c, d: _("The checklist: one item per line. Skip to use the Directive 05 "
                                        "checklist:\n{items}").format(items=esc(_default_list())),
            max_len=3000, optional=True),
], on_complete=_plan_done))


# --- findings: one item at a time, resumed where it stopped --------------------------------------------------

@dataclass
class AskEvidence(Step):
    """Evidence as a few words or a photo (both channels carry photos); optional where ``optional``."""

    optional: bool = True

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__skip__", _("No evidence ⏭"))] if self.optional else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__skip__":
            return None
        photos = [m for m in ctx.inbound.media if m.kind == "photo"]
        if photos:
            try:
                return {"photo": (await store_media(ctx, photos[-1]))["media_key"]}
            except InvalidInput as exc:
                raise Invalid(exc.message) from exc
        if ctx.inbound.media:
            raise Invalid(_("Please send the evidence as text or a photo."))
        text = (ctx.inbound.text or "").strip()
        if not text:
            raise Invalid(_("Please send the evidence as text or a photo."))
        if len(text) > 1000:
            raise Invalid(_("Please keep it within {n} characters.").format(n=number(1000)))
        return {"text": text}


async def _next_finding(ctx: Ctx, visit_id: int, view: VisitView | None = None) -> None:
    if view is None:
        view = await ctx.svc(SupervisionService).start_recording(ctx.require_actor(), visit_id)
    left = view.unrecorded
    if not left:
        await ctx.reply(_("✅ Every checklist item is recorded. Next: the conclusions and the tasks to fix."),
                        [[Button(_("📝 Conclude"), SupConclude(visit_id).pack())]])
        return
    item = left[0]
    await ctx.forms.start("supervision_finding", {
        "visit_id": visit_id, "item_id": item.id, "title": item.title, "prefill": item.prefill or "",
        "n": view.items.index(item) + 1, "total": len(view.items)})


@router.button(SupRecord)
async def record(ctx: Ctx, data: SupRecord) -> None:
    view = await ctx.svc(SupervisionService).start_recording(ctx.require_actor(), data.visit_id)
    await _next_finding(ctx, data.visit_id, view)


def _finding_prompt(_c: Ctx, d: dict[str, Any]) -> str:
    text = _("Item {n}/{total}: <b>{title}</b>").format(n=d["n"], total=d["total"], title=esc(d["title"]))
    if d.get("prefill"):
        text += "\n" + _("📊 The bot's figures: {figures}").format(figures=esc(d["prefill"]))
    return text + "\n" + _("Met or not met?")


async def _finding_done(ctx: Ctx, d: dict[str, Any]) -> None:
    ev = d.get("evidence") or {}
    await ctx.svc(SupervisionService).record_finding(
        ctx.require_actor(), int(d["item_id"]), d["result"] == "met", d.get("comment"), ev.get("text"),
        ev.get("photo"))
    await ctx.reply(_("Saved: {title} — {result}.").format(title=esc(d["title"]),
                                                           result=result_word(d["result"] == "met")))
    await _next_finding(ctx, int(d["visit_id"]))


router.form(Form("supervision_finding", steps=[
    AskChoice("result", _finding_prompt,
              choices=lambda c, d: [("met", _("✅ Met")), ("not_met", _("❌ Not met"))]),
    AskText("comment", lambda c, d: _("A comment on this item?"), max_len=1000, optional=True),
    AskEvidence("evidence", lambda c, d: _("Evidence: type it, or send a photo.")),
], on_complete=_finding_done))


# --- conclusions and tasks ------------------------------------------------------------------------------------

@dataclass
class AskTaskDue(AskDate):
    """A task's deadline; the task joins the list and the next task is asked (or the list ends)."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        due = await super().parse(ctx, data)
        data["tasks"] = [*(data.get("tasks") or []), {"text": data["task"], "due": due}]
        return due


@router.button(SupConclude)
async def conclude(ctx: Ctx, data: SupConclude) -> None:
    view = await ctx.svc(SupervisionService).visit(ctx.require_actor(), data.visit_id)
    if view.visit.status != VisitStatus.PLANNED:
        await ctx.reply(_("This visit is already concluded; its findings cannot change."))
        return
    if view.unrecorded:
        await ctx.reply(_("Record a finding for every checklist item first ({n} left).").format(
            n=len(view.unrecorded)), [[Button(_("✍️ Record findings"), SupRecord(data.visit_id).pack())]])
        return
    await ctx.forms.start("supervision_conclude", {"visit_id": data.visit_id, "tasks": []})


async def _conclude_done(ctx: Ctx, d: dict[str, Any]) -> None:
    tasks = d.get("tasks") or []
    lines = [_("🔎 <b>Conclusions</b>"), esc(d["conclusions"])]
    if tasks:
        lines.append(_("Tasks to fix:"))
        lines += [f"{n}. {esc(t['text'])} ({show(date.fromisoformat(t['due']))})" for n, t in enumerate(tasks, 1)]
    lines.append(_("The conclusions and tasks will be sent to the branch."))
    await ask_confirm(ctx, "supervision_conclude", "\n".join(lines),
                      {"visit_id": d["visit_id"], "conclusions": d["conclusions"], "tasks": tasks},
                      yes=_("✅ Send to the branch"))


@router.confirmed("supervision_conclude")
async def conclude_confirmed(ctx: Ctx, p: dict[str, Any]) -> None:
    view = await ctx.svc(SupervisionService).conclude(
        ctx.require_actor(), int(p["visit_id"]), str(p["conclusions"]),
        [(str(t["text"]), date.fromisoformat(t["due"])) for t in p.get("tasks") or []])
    await ctx.reply(_("✅ Sent to the branch: the conclusions and {n} tasks to fix.").format(n=len(view.tasks)),
                    [[Button(_("📄 Minutes (.docx)"), SupMinutes(int(view.visit.id or 0)).pack())]])


router.form(Form("supervision_conclude", steps=[
    AskText("conclusions", lambda c, d: _("The conclusions of the visit?"), max_len=3000),
    AskText("task", lambda c, d: _("A task for the branch to fix? Type it, or skip when there is no more."),
            max_len=1000, optional=True,
            next=lambda d: DONE if d.get("task") is None else None),
    AskTaskDue("due", lambda c, d: _("The deadline of this task? E.g. {example}.").format(
        example=show(c.today + timedelta(days=30))), max_back_days=0, max_ahead_days=366, quick=False,
        next=lambda d: DONE if len(d.get("tasks") or []) >= MAX_TASKS else "task"),
], on_complete=_conclude_done))


# --- the branch reports a task fixed; the committee closes it ----------------------------------------------

@router.button(SupFixed)
async def fixed(ctx: Ctx, data: SupFixed) -> None:
    task = await ctx.svc(SupervisionService).task(ctx.require_actor(), data.task_id)
    if task.status != TaskStatus.OPEN:
        await ctx.reply(_("This task was already reported fixed."))
        return
    await ctx.forms.start("supervision_fixed", {"task_id": data.task_id, "text": task.text})


async def _fixed_done(ctx: Ctx, d: dict[str, Any]) -> None:
    ev = d.get("evidence") or {}
    await ctx.svc(SupervisionService).report_fixed(ctx.require_actor(), int(d["task_id"]), ev.get("text"),
                                                   ev.get("photo"))
    await ctx.reply(_("✅ Reported fixed; the Party committee will check and close the task."))


router.form(Form("supervision_fixed", steps=[
    AskEvidence("evidence", lambda c, d: _("Task: <b>{task}</b>\nWhat was done? Type it, or send a photo as "
                                           "evidence.").format(task=esc(d["text"])), optional=False),
], on_complete=_fixed_done))


@router.button(SupClose)
async def close(ctx: Ctx, data: SupClose) -> None:
    task = await ctx.svc(SupervisionService).close_task(ctx.require_actor(), data.task_id)
    await ctx.reply(_("🔒 Task closed: {task}").format(task=esc(task.text)))
