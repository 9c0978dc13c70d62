"""The minutes in chat: /bienban (choose a meeting → the draft → edit → export .docx) and /viec (a member's
own tasks from the minutes, marked done with one tap).

Each edit is a one-question form (kept in the chat state, so it resumes after a restart) whose answer is
saved at once; the draft itself lives in the database, so nothing typed is lost by a detour or /huy."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.features.meetings.minutes import (
    TASK_AHEAD_DAYS,
    TASK_TEXT_MAX,
    TEXT_LIMITS,
    MeetingMinutesService,
    MinutesTasks,
    MinutesView,
    task_due_text,
)
from bot.features.meetings.minutes_callbacks import (
    MinutesAddTask,
    MinutesDropTask,
    MinutesEdit,
    MinutesExport,
    MinutesFor,
    MinutesOpen,
    MinutesTaskList,
    TaskDone,
)
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskDate, AskText, Form, Invalid, example_hint
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.media import MediaStore
from bot.services.when import WhenError, read_time, show

router = Router("meetings_minutes")

PREVIEW = 300  # characters of a long part shown on the draft screen


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


# --- choosing a meeting ------------------------------------------------------------------------------

@router.command("bienban", "minutes", help=lambda: _("draft a meeting's minutes"), audience="manager",
                phrases=("bien ban",))
async def minutes(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, MinutesFor)
    if branch_id is not None:
        await _meetings(ctx, branch_id)


@router.button(MinutesFor)
async def minutes_for(ctx: Ctx, data: MinutesFor) -> None:
    await _meetings(ctx, data.branch_id)


async def _meetings(ctx: Ctx, branch_id: int) -> None:
    meetings = await ctx.svc(MeetingMinutesService).meetings(ctx.require_actor(), branch_id)
    if not meetings:
        await ctx.reply(_("No meeting has taken place yet. Schedule one with /hop."))
        return
    tz = ctx.services.deps.clock.tz
    await ctx.reply(_("📝 Minutes of which meeting?"), [
        [Button(f"{m.starts_at.astimezone(tz).strftime('%d/%m/%Y %H:%M')} — {kind_label(m.kind)}",
                MinutesOpen(m.id or 0).pack())]
        for m in meetings
    ])


# --- the draft screen --------------------------------------------------------------------------------

def _names(people: list[Any]) -> str:
    return "; ".join(esc(f"{a.name} ({a.reason})" if a.reason else a.name) for a in people)


def draft_text(v: MinutesView) -> str:
    none = _("not yet")
    lines = [
        _("📝 <b>Minutes</b>: {kind}, {when}").format(
            kind=kind_label(v.kind), when=v.starts_local.strftime("%H:%M ") + show(v.starts_local.date())),
        _("Place: {place}").format(place=esc(v.place) or none),
        _("Agenda: {topic}").format(topic=esc(v.topic) or none),
    ]
    if v.documents:
        lines.append(_("Documents: {names}").format(names=esc("; ".join(v.documents))))
    lines += [
        _("Chaired by: {name}").format(name=esc(v.chair) or none),
        _("Minutes taken by: {name}").format(name=esc(v.recorder) or none),
        _("Members: {total}; present {present}, excused {excused}, absent without reason {absent}").format(
            total=len(v.attendees), present=v.counts["present"], excused=v.counts["excused"],
            absent=v.counts["absent"]),
    ]
    if not v.marked and v.attendees:
        lines.append("  " + _("⚠️ Attendance is not marked yet: mark it with /diemdanh before exporting."))
    if v.of("excused"):
        lines.append("  " + _("Excused: {names}").format(names=_names(v.of("excused"))))
    if v.of("absent"):
        lines.append("  " + _("Absent without reason: {names}").format(names=_names(v.of("absent"))))
    lines.append(_("Guests: {text}").format(text=esc(v.guests) or none))
    if v.votes:
        lines.append(_("Votes:"))
        lines += [f"  • {esc(q)}: {esc(r)}" for q, r in v.votes]
    else:
        lines.append(_("Votes: none"))
    lines += [
        _("Discussion: {text}").format(text=esc(_short(v.discussion)) or none),
        _("Conclusions: {text}").format(text=esc(_short(v.conclusions)) or none),
        _("Closing time: {time}").format(time=esc(v.closing_time) or none),
    ]
    if v.tasks:
        lines.append(_("Tasks assigned ({n}):").format(n=len(v.tasks)))
        lines += [f"  • {esc(t.text)} — {esc(t.owner)}, {task_due_text(t, v.today)}" for t in v.tasks]
    else:
        lines.append(_("Tasks assigned: none yet"))
    if v.checks:
        lines.append(_("📋 <b>Tasks to check</b> (open, from earlier meetings):"))
        lines += [f"  • {esc(c.text)} — {esc(c.owner)}, {task_due_text(c, v.today)}" for c in v.checks]
    lines.append("")
    lines.append(_("The draft is saved as you go. Choose what to fill in, then export the .docx to sign."))
    return "\n".join(lines)


def draft_buttons(v: MinutesView) -> list[list[Button]]:
    mid = v.meeting_id
    rows = [
        [Button(_("👤 Chaired by"), MinutesEdit(mid, "chair").pack()),
         Button(_("✍️ Minutes taken by"), MinutesEdit(mid, "recorder").pack())],
        [Button(_("💬 Discussion"), MinutesEdit(mid, "discussion").pack()),
         Button(_("📌 Conclusions"), MinutesEdit(mid, "conclusions").pack())],
        [Button(_("👥 Guests"), MinutesEdit(mid, "guests").pack()),
         Button(_("🕘 Closing time"), MinutesEdit(mid, "closing_time").pack())],
        [Button(_("➕ Assign a task"), MinutesAddTask(mid).pack())],
    ]
    if v.tasks:
        rows.append([Button(_("🗑 Remove a task"), MinutesTaskList(mid).pack())])
    rows.append([Button(_("📄 Export the minutes (.docx)"), MinutesExport(mid).pack())])
    return rows


async def show_draft(ctx: Ctx, meeting_id: int) -> None:
    v = await ctx.svc(MeetingMinutesService).view(ctx.require_actor(), meeting_id)
    await ctx.reply(draft_text(v), draft_buttons(v))


@router.button(MinutesOpen)
async def open_minutes(ctx: Ctx, data: MinutesOpen) -> None:
    await show_draft(ctx, data.meeting_id)


# --- editing: one question each ----------------------------------------------------------------------

def _text_prompt(ctx: Ctx, d: dict[str, Any]) -> str:
    part = d["part"]
    if part == "guests":
        ask = _("Who attended as guests? Type their names and positions, or skip.")
    elif part == "discussion":
        ask = _("Type the discussion notes: one opinion per line (“Đồng chí A: …”). This replaces what was "
                "written before.")
    else:
        ask = _("Type the conclusions and resolutions of the meeting, one per line. This replaces what was "
                "written before.")
    current = d.get("current") or ""
    if current:
        ask += "\n\n" + _("Now: {text}").format(text=esc(_short(current)))
    return ask


class AskClosingTime(AskText):
    """A time of day typed as people write it (bot/services/when.py), kept as "21:15"."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = await super().parse(ctx, data)
        if text is None:
            return None
        try:
            return read_time(text).strftime("%H:%M")
        except WhenError as exc:
            raise Invalid(exc.message) from exc


def _people_choices(ctx: Ctx, d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(pid), name) for pid, name in d.get("members") or []]


async def _text_done(ctx: Ctx, d: dict[str, Any]) -> None:
    if d.get("text") is None:  # skipped: what was there stays
        await ctx.reply(_("Nothing changed."))
    else:
        await ctx.svc(MeetingMinutesService).set_text(ctx.require_actor(), d["meeting_id"], d["part"], d["text"])
        await ctx.reply(_("✅ Saved in the draft."))
    await show_draft(ctx, d["meeting_id"])


async def _person_done(ctx: Ctx, d: dict[str, Any]) -> None:
    await ctx.svc(MeetingMinutesService).set_person(ctx.require_actor(), d["meeting_id"], d["part"], int(d["who"]))
    await ctx.reply(_("✅ Saved in the draft."))
    await show_draft(ctx, d["meeting_id"])


async def _kept(ctx: Ctx, d: dict[str, Any]) -> bool:
    await ctx.reply(_("Cancelled. The minutes draft keeps everything saved so far; continue with /bienban."))
    return True


router.form(Form("minutes_text", steps=[
    AskText("text", _text_prompt, max_len=max(TEXT_LIMITS["discussion"], TEXT_LIMITS["conclusions"]),
            optional=True),
], on_complete=_text_done, on_cancel=_kept))

router.form(Form("minutes_time", steps=[
    AskClosingTime("text", lambda c, d: _("At what time did the meeting close? E.g. 21:15 or 21h15."),
                   max_len=20, optional=True, placeholder=lambda c, d: example_hint("21:15")),
], on_complete=_text_done, on_cancel=_kept))

router.form(Form("minutes_person", steps=[
    AskChoice("who", lambda c, d: _("Who chaired the meeting?") if d["part"] == "chair"
              else _("Who took the minutes?"), choices=_people_choices),
], on_complete=_person_done, on_cancel=_kept))


@router.button(MinutesEdit)
async def edit_part(ctx: Ctx, data: MinutesEdit) -> None:
    svc = ctx.svc(MeetingMinutesService)
    actor = ctx.require_actor()
    base = {"meeting_id": data.meeting_id, "part": data.part}
    if data.part in ("chair", "recorder"):
        members = await svc.members(actor, data.meeting_id)
        await ctx.forms.start("minutes_person", {**base, "members": [[pid, name] for pid, name in members]})
        return
    v = await svc.view(actor, data.meeting_id)  # checks the actor, and shows what is there now
    if data.part == "closing_time":
        await ctx.forms.start("minutes_time", base)
        return
    current = {"guests": v.guests, "discussion": v.discussion, "conclusions": v.conclusions}[data.part]
    await ctx.forms.start("minutes_text", {**base, "current": current})


# --- tasks ---------------------------------------------------------------------------------------------

async def _task_done(ctx: Ctx, d: dict[str, Any]) -> None:
    task = await ctx.svc(MeetingMinutesService).add_task(
        ctx.require_actor(), d["meeting_id"], d["text"], int(d["owner"]), date.fromisoformat(d["due"]))
    owner = dict((str(pid), name) for pid, name in d.get("members") or []).get(d["owner"], "")
    await ctx.reply(_("✅ Task assigned to {name}, due {date}. They are told now, and reminded before the "
                      "deadline.").format(name=esc(owner), date=show(task.due)))
    await show_draft(ctx, d["meeting_id"])


router.form(Form("minutes_task", steps=[
    AskText("text", lambda c, d: _("What is the task? Type it in one message."), max_len=TASK_TEXT_MAX),
    AskChoice("owner", lambda c, d: _("Who is responsible for it?"), choices=_people_choices),
    AskDate("due", lambda c, d: _("By when? E.g. 15/12 or “thứ 6 tuần sau”."), max_back_days=0,
            max_ahead_days=TASK_AHEAD_DAYS, quick=False),
], on_complete=_task_done, on_cancel=_kept))


@router.button(MinutesAddTask)
async def add_task(ctx: Ctx, data: MinutesAddTask) -> None:
    members = await ctx.svc(MeetingMinutesService).members(ctx.require_actor(), data.meeting_id)
    await ctx.forms.start("minutes_task", {"meeting_id": data.meeting_id,
                                           "members": [[pid, name] for pid, name in members]})


@router.button(MinutesTaskList)
async def task_list(ctx: Ctx, data: MinutesTaskList) -> None:
    v = await ctx.svc(MeetingMinutesService).view(ctx.require_actor(), data.meeting_id)
    if not v.tasks:
        await ctx.reply(_("No task is assigned in these minutes."))
        return
    await ctx.reply(_("Remove which task?"), [
        [Button(f"🗑 {t.text[:40]} — {t.owner[:20]}", MinutesDropTask(t.id).pack())] for t in v.tasks
    ] + [[Button(_("↩️ Back to the minutes"), MinutesOpen(data.meeting_id).pack())]])


@router.button(MinutesDropTask)
async def drop_task(ctx: Ctx, data: MinutesDropTask) -> None:
    svc = ctx.svc(MeetingMinutesService)
    meeting_id = await svc.remove_task(ctx.require_actor(), data.task_id)
    await ctx.reply(_("🗑 The task was removed from the minutes."))
    await show_draft(ctx, meeting_id)


# --- export --------------------------------------------------------------------------------------------

@router.button(MinutesExport)
async def export(ctx: Ctx, data: MinutesExport) -> None:
    body, name, branch_id = await ctx.svc(MeetingMinutesService).export(ctx.require_actor(), data.meeting_id)
    key = await ctx.svc(MediaStore).save(body, DOCX_MIME, name, generated_for=branch_id)
    await ctx.reply(
        _("📄 The minutes, ready to finish and sign: read them out to the branch before the meeting closes."),
        media=MediaRef(kind="document", media_key=key, mime=DOCX_MIME, file_name=name),
    )


# --- the member's own tasks ------------------------------------------------------------------------------

@router.command("viec", "tasks", help=lambda: _("my tasks from the meetings"), audience="member",
                phrases=("viec cua toi",))
async def my_tasks(ctx: Ctx) -> None:
    tasks = await ctx.svc(MinutesTasks).mine(ctx.require_actor())
    if not tasks:
        await ctx.reply(_("You have no open task from the meetings."))
        return
    lines = [_("📋 <b>Your tasks from the meetings</b>:")]
    lines += [_("{n}. {text} ({due}; assigned {date})").format(
        n=i, text=esc(t.text), due=task_due_text(t, ctx.today), date=show(t.meeting_day))
        for i, t in enumerate(tasks, 1)]
    lines.append(_("Press a task's button when it is done."))
    await ctx.reply("\n".join(lines), [
        [Button(_("✅ Done: {task}").format(task=t.text[:40]), TaskDone(t.id).pack())] for t in tasks
    ])


@router.button(TaskDone)
async def task_done(ctx: Ctx, data: TaskDone) -> None:
    line, closed = await ctx.svc(MinutesTasks).done(ctx.require_actor(), data.task_id)
    if closed:
        await ctx.reply(_("✅ Recorded: “{text}” is done. Thank you, comrade.").format(text=esc(line.text)))
    else:
        await ctx.reply(_("That task was already marked done."))
