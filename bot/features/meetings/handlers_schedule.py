"""Meetings in chat: scheduling (/hop) and sending the notice (also one tap from the secretary's reminder)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.features.meetings.callbacks import MeetingFor, MeetingFromReminder, OneTapNotice, SendNotice
from bot.features.meetings.models import MeetingKind
from bot.features.meetings.notices import MeetingNotices
from bot.features.meetings.scheduling import MeetingScheduling, is_odd_hour, kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form, Invalid, Step, example_hint
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.errors import InvalidInput
from bot.services.when import WhenError, parse_time, read_moment, read_time, show, show_time, show_with_weekday

router = Router("meetings")


def KINDS(_c: Ctx, _d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(MeetingKind.REGULAR.value, _("Regular (định kỳ)")),
            (MeetingKind.THEMATIC.value, _("Thematic (chuyên đề)"))]


@dataclass
class AskMeetingDate(Step):
    """The day, and the time too when typed together ("19h 28/11", "thứ 6 tuần này 19:30"); the usual day
    is one tap."""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        proposed = data.get("proposed_date")
        if not proposed or date.fromisoformat(proposed) < ctx.today:
            return []
        return [(proposed, "📅 " + show_with_weekday(date.fromisoformat(proposed)))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        chosen = self.pressed(ctx, data, data.get("_nonce", ""))
        if chosen:
            return chosen
        today = ctx.today
        try:
            moment = read_moment(ctx.inbound.text, today, earliest=today, example=today + timedelta(days=1))
        except WhenError as exc:
            raise Invalid(exc.message) from exc
        if moment.day is None:
            raise Invalid(_("Please type the day as well, e.g. {example}.").format(
                example=f"{show_time(moment.at)} {show(today + timedelta(days=1))}"))
        if moment.at is not None:
            data["time"] = _future_time(ctx, moment.day, moment.at)
        return moment.day.isoformat()


def _future_time(ctx: Ctx, day: date, at: time) -> str:
    if datetime.combine(day, at) <= ctx.local_now.replace(tzinfo=None):
        raise Invalid(_("That date and time are in the past. Please choose a later one."))
    return show_time(at)


def _date_prompt(ctx: Ctx, d: dict[str, Any]) -> str:
    tomorrow = ctx.today + timedelta(days=1)
    return _("On which date? E.g. {example}, “{word}” or “thứ 6 tuần này”.").format(
        example=show(tomorrow), word=_("tomorrow")) + _proposal_line(d)


def _time_prompt(ctx: Ctx, d: dict[str, Any]) -> str:
    return _("📅 {day}. At what time? E.g. 19:30 or 19h.").format(
        day=show_with_weekday(date.fromisoformat(d["date"])))


@dataclass
class AskMeetingTime(Step):
    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        default = data.get("default_time")
        return [(default, default)] if default else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = self.pressed(ctx, data, data.get("_nonce", "")) or ctx.inbound.text or ""
        try:
            at = read_time(value)
        except WhenError as exc:
            raise Invalid(exc.message) from exc
        return _future_time(ctx, date.fromisoformat(data["date"]), at)


@dataclass
class AskPlace(AskText):
    """Where: the last meeting's place is one tap; anything typed is the new place."""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        usual = data.get("usual_place") or ""
        return ([("__usual__", "📍 " + usual[:60])] if usual else []) + super().options(ctx, data)

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__usual__":
            return data.get("usual_place") or ""
        return await super().parse(ctx, data)


@dataclass
class AskDocument(Step):
    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__skip__", _("No document ⏭"))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__skip__":
            return []
        media = [m for m in ctx.inbound.media if m.kind in ("photo", "document")]
        if not media:
            raise Invalid(_("Please send a PDF, a Word document or a photo, or press the button to go on."))
        try:
            return [await store_media(ctx, media[-1])]
        except InvalidInput as exc:
            raise Invalid(exc.message) from exc


def _library_choices(_c: Ctx, d: dict[str, Any]) -> list[tuple[str, str]]:
    """"Đính kèm tài liệu?": the library's materials for the month, offered when the form opened, or none."""
    offer = [(str(item_id), "📎 " + title[:60]) for item_id, title in d.get("library_offer") or []]
    return [*offer, ("0", _("No material ⏭"))]


async def _library_offer(ctx: Ctx, branch_id: int, day: date) -> list[list[Any]]:
    """The library's materials for the month of the proposed day ([] without the library feature)."""
    fn = ctx.services.deps.ext.providers.library_items_for
    if fn is None:
        return []
    async with ctx.services.deps.db.session() as s:
        return [[item_id, title] for item_id, title in await fn(s, branch_id, day)]


async def _attach_library(ctx: Ctx, meeting_id: int, branch_id: int, data: dict[str, Any]) -> None:
    fn = ctx.services.deps.ext.providers.library_attach
    chosen = int(data.get("library") or 0)
    if fn is None or not chosen:
        return
    async with ctx.services.deps.db.session() as s:
        await fn(s, meeting_id, branch_id, [chosen])


def _proposal_line(d: dict[str, Any]) -> str:
    """The usual day, time and place, proposed under the date question (one tap each)."""
    proposed = d.get("proposed_date")
    if not proposed:
        return ""
    when = _("{day} at {time}").format(day=show_with_weekday(date.fromisoformat(proposed)),
                                       time=d.get("default_time") or "")
    line = "\n" + _("Proposed, as usual: <b>{when}</b>").format(when=when)
    if d.get("usual_place"):
        line += " " + _("at {place}").format(place=esc(d["usual_place"]))
    return line


def _odd(d: dict[str, Any]) -> bool:
    t = parse_time(d.get("time") or "")
    return t is not None and is_odd_hour(t)


async def _scheduled(ctx: Ctx, data: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    t = parse_time(data["time"])
    assert t is not None
    m = await ctx.svc(MeetingScheduling).schedule(
        actor,
        data["branch_id"],
        kind=data["kind"],
        starts_local=datetime.combine(date.fromisoformat(data["date"]), t),
        place=data.get("place") or "",
        topic=data.get("topic") or "",
        documents=data.get("docs") or None,
        confirmed_odd_hour=data.get("sure") == "yes",
    )
    await _attach_library(ctx, m.id, data["branch_id"], data)
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.reply(
        _("✅ Scheduled: {kind}, {when}. Check-in code: <b>{code}</b> (read it out at the meeting).").format(
            kind=kind_label(m.kind),
            when=_("{day} at {time}").format(day=show_with_weekday(local.date()), time=local.strftime("%H:%M")),
            code=m.checkin_code,
        ) + "\n" + _("Press the button below to send the notice to every member."),
        [[Button(_("📨 Send members the notice"), SendNotice(m.id).pack())]],
    )


router.form(
    Form(
        "meeting",
        steps=[
            AskChoice(
                "kind",
                lambda c, d: _("Which kind of meeting?"),
                choices=KINDS,
                skip_if=lambda d: bool(d.get("kind")),
            ),
            AskMeetingDate(
                "date", _date_prompt,
                skip_if=lambda d: bool(d.get("date")),
                placeholder=lambda c, d: example_hint(
                    show(date.fromisoformat(d.get("proposed_date") or (c.today + timedelta(days=1)).isoformat()))),
            ),
            AskMeetingTime("time", _time_prompt, skip_if=lambda d: bool(d.get("time")),
                           placeholder=lambda c, d: example_hint(d.get("default_time") or "19:30")),
            AskChoice(
                "sure",
                lambda c, d: _("A meeting at {time}: are you sure?").format(time=d.get("time")),
                choices=lambda c, d: [("yes", _("Yes, I am sure")), ("no", _("No, change the time"))],
                skip_if=lambda d: not _odd(d),
                next=lambda d: "time" if d.get("sure") == "no" else None,
            ),
            AskPlace("place", lambda c, d: _("Where?"), max_len=300, optional=True),
            AskText("topic", lambda c, d: _("The topic or agenda?"), max_len=500, optional=True),
            AskDocument(
                "docs", lambda c, d: _("Attach a document for members (PDF, Word or photo), or go on.")
            ),
            AskChoice("library", lambda c, d: _("Attach a material from the library?"), choices=_library_choices,
                      skip_if=lambda d: not d.get("library_offer")),
        ],
        on_complete=_scheduled,
    )
)


async def _start_meeting(ctx: Ctx, branch_id: int, kind: str = "", day: str = "") -> None:
    # The role is checked before the form opens: a member's forged button is refused here, not after uploads.
    usual = await ctx.svc(MeetingScheduling).proposal(ctx.require_actor(), branch_id)
    await ctx.forms.start(
        "meeting", {"branch_id": branch_id, "kind": kind, "date": day, "default_time": usual.time.strftime("%H:%M"),
                    "proposed_date": usual.day.isoformat(), "usual_place": usual.place,
                    "library_offer": await _library_offer(ctx, branch_id,
                                                          date.fromisoformat(day) if day else usual.day)}
    )


@router.command("hop", "meeting", help=lambda: _("schedule a branch meeting"), audience="manager")
async def meeting(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, MeetingFor)
    if branch_id is not None:
        await _start_meeting(ctx, branch_id)


@router.button(MeetingFor)
async def meeting_for(ctx: Ctx, data: MeetingFor) -> None:
    await _start_meeting(ctx, data.branch_id)


@router.button(MeetingFromReminder)
async def meeting_from_reminder(ctx: Ctx, data: MeetingFromReminder) -> None:
    """From a reminder: the kind, and the planned day unless it has passed."""
    kind = MeetingKind.THEMATIC.value if data.kind == "thematic" else MeetingKind.REGULAR.value
    day = data.day.isoformat() if data.day is not None and data.day >= ctx.today else ""
    await _start_meeting(ctx, data.branch_id, kind, day)


@router.button(OneTapNotice)
async def one_tap_notice(ctx: Ctx, data: OneTapNotice) -> None:
    """Tomorrow's meeting: schedule it with the usual time if needed and notify."""
    actor = ctx.require_actor()
    svc = ctx.svc(MeetingScheduling)
    branch_id, day = data.branch_id, data.day
    m = await svc.for_date(actor, branch_id, datetime.combine(day, datetime.min.time()))
    if m is None:
        t = await svc.default_time(branch_id)
        m = await svc.schedule(
            actor,
            branch_id,
            kind=MeetingKind.REGULAR.value,
            starts_local=datetime.combine(day, t),
            confirmed_odd_hour=True,
        )
    n = await ctx.svc(MeetingNotices).send_notice(actor, m.id)
    await ctx.reply(
        _("📨 The meeting notice was sent to {n} members. Check-in code: <b>{code}</b>.").format(
            n=n, code=m.checkin_code
        )
    )


@router.button(SendNotice)
async def send_notice(ctx: Ctx, data: SendNotice) -> None:
    n = await ctx.svc(MeetingNotices).send_notice(ctx.require_actor(), data.meeting_id)
    await ctx.reply(_("📨 The meeting notice was sent to {n} members.").format(n=n))
