"""📣 Send a notice: compose, choose the audience, preview, confirm with the count; acks, nudges, cancel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import to_utc
from bot.features.broadcasts.acknowledgements import BroadcastAcks
from bot.features.broadcasts.callbacks import (
    AckNotice,
    CancelNotice,
    ConfirmNotice,
    DropNotice,
    NotAckedList,
    NoticeFor,
    NudgeNotice,
    PreviewButton,
    ResendNotice,
)
from bot.features.broadcasts.composing import MAX_PARTS, BroadcastComposing
from bot.features.broadcasts.notices import notice_label
from bot.features.broadcasts.sending import BroadcastSending
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, Form, Invalid, Step
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.errors import InvalidInput
from bot.services.org import OrgService
from bot.services.permissions import can_see_committee_view, committee_org
from bot.services.when import WhenError, read_moment, show, show_time
from bot.text import number

router = Router("broadcasts")

DOC_MIMES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
)


@dataclass
class AskNotice(Step):
    """The notice text, or a photo / PDF / Word document with the text as its caption."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        limit = ctx.channel.caps.max_text
        inbound = ctx.inbound
        text = (inbound.text or "").strip()
        media = None
        if inbound.media:
            m = inbound.media[-1]
            if m.kind == "document" and m.mime not in DOC_MIMES:
                raise Invalid(_("Please attach a photo, a PDF or a Word document."))
            if m.kind not in ("photo", "document"):
                raise Invalid(_("Please attach a photo, a PDF or a Word document."))
            if not text:
                raise Invalid(_("Please send the file again with the notice text as its caption."))
            try:
                media = await store_media(ctx, m)
            except InvalidInput as exc:
                raise Invalid(exc.message) from exc
        if not text:
            raise Invalid(
                _("The notice is empty. Please type its text (at most {n} characters).").format(
                    n=number(limit)
                )
            )
        if len(text) > limit * MAX_PARTS:
            raise Invalid(
                _("The notice is too long ({length} characters). The limit is {n} characters.").format(
                    length=number(len(text)), n=number(limit * MAX_PARTS)
                )
            )
        return {"text": text, "media": media, "long": len(text) > limit}


@dataclass
class AskPick(Step):
    """Members by their numbers in the list, e.g. "1, 3, 5-7"."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        members = data.get("members") or []
        picked: set[int] = set()
        for part in re.split(r"[,\s;]+", ctx.inbound.text or ""):
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not part:
                continue
            if not m:
                raise Invalid(_("Please type the numbers from the list, e.g. 1, 3, 5-7."))
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            for n in range(lo, hi + 1):
                if not 1 <= n <= len(members):
                    raise Invalid(_("There is no number {n} in the list.").format(n=n))
                picked.add(members[n - 1][0])
        if not picked:
            raise Invalid(_("Please type the numbers from the list, e.g. 1, 3, 5-7."))
        return sorted(picked)


@dataclass
class AskWhen(Step):
    """A time and a day in one message, either order: "19h 28/11", "28/11 19:30", "7 giờ tối mai"."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        today = ctx.today
        try:
            moment = read_moment(ctx.inbound.text, today, earliest=today)
        except WhenError as exc:
            raise Invalid(exc.message) from exc
        if moment.day is None or moment.at is None:
            raise Invalid(_("Please type both the time and the day, e.g. {example}.").format(
                example=_when_example(ctx)))
        when = datetime.combine(moment.day, moment.at)
        if to_utc(when, ctx.services.deps.clock.tz) <= ctx.now:
            raise Invalid(_("That time has already passed. Please choose a later time."))
        return when.isoformat()


def _when_example(ctx: Ctx) -> str:
    later = ctx.local_now + timedelta(hours=2)
    return f"{show_time(later.time())} {show(later.date())}"


def _audiences(ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
    if data.get("org_id"):
        return [
            ("org_secretaries", _("Every branch secretary of the Party committee")),
            ("org_members", _("Every member of the Party committee")),
        ]
    return ctx.svc(BroadcastComposing).audience_options()


def _pick_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    lines = [_("Type the numbers of the members to send to, e.g. 1, 3, 5-7:")]
    lines += [f"{i}. {esc(name)}" for i, (_pid, name) in enumerate(data.get("members") or [], 1)]
    return "\n".join(lines)


async def _complete(ctx: Ctx, data: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    notice = data["text"]
    when = data.get("at") if data.get("when") == "later" else None
    scheduled = to_utc(datetime.fromisoformat(when), ctx.services.deps.clock.tz) if when else None
    svc = ctx.svc(BroadcastComposing)
    org_id = data.get("org_id")
    b, count = await svc.create_draft(
        actor,
        scope="branch" if not org_id else data["audience"],
        branch_id=data.get("branch_id"),
        org_id=org_id,
        text=notice["text"],
        media=notice.get("media"),
        audience=data["audience"],
        person_ids=data.get("pick"),
        ack=data.get("ack") == "yes",
        scheduled_at=scheduled,
        max_text=ctx.channel.caps.max_text,
        allow_split=data.get("split") == "yes",
    )
    preview, _n = await svc.preview(actor, b.id)
    await ctx.reply(_("👁 <b>Preview</b> — members will see exactly this:"))
    inert = PreviewButton().pack()  # the preview's buttons do nothing here
    preview.buttons = [[Button(btn.label, inert) for btn in row] for row in preview.buttons]
    await ctx.send(preview)
    if count == 0:
        await ctx.reply(_("Nobody is in that audience right now, so there is nothing to send."))
        return
    question = _("Send to {n} members?").format(n=number(count))
    if scheduled is not None:
        local = scheduled.astimezone(ctx.services.deps.clock.tz)
        question = _("Send to {n} members at {time}?").format(n=number(count), time=local.strftime("%H:%M %d/%m/%Y"))
    await ctx.reply(question, [[Button(_("📣 Send"), ConfirmNotice(b.id).pack()),
                                Button(_("✖️ Cancel"), DropNotice(b.id).pack())]])


YES_NO = lambda _c, _d: [("yes", _("Yes")), ("no", _("No"))]  # noqa: E731

router.form(
    Form(
        "broadcast",
        steps=[
            AskNotice(
                "text",
                lambda c, d: _(
                    "📣 Type the notice (at most {n} characters). You may attach a photo, a PDF "
                    "or a Word document with the text as its caption."
                ).format(n=number(c.channel.caps.max_text)),
                next=lambda d: "split" if d["text"]["long"] else "audience",
            ),
            AskChoice(
                "split",
                lambda c, d: _(
                    "The notice is longer than {n} characters, so members will receive it in "
                    "several messages. Is that all right?"
                ).format(n=number(c.channel.caps.max_text)),
                choices=YES_NO,
                next=lambda d: "text" if d["split"] == "no" else None,
            ),
            AskChoice("audience", lambda c, d: _("Who should receive it?"), choices=_audiences),
            AskPick("pick", _pick_prompt, skip_if=lambda d: d.get("audience") != "pick"),
            AskChoice(
                "when",
                lambda c, d: _("When?"),
                choices=lambda c, d: [("now", _("Send now")), ("later", _("Schedule for later"))],
            ),
            AskWhen(
                "at",
                lambda c, d: _("Type the time and the day to send it, e.g. {example}:").format(
                    example=_when_example(c)),
                skip_if=lambda d: d.get("when") != "later",
            ),
            AskChoice(
                "ack",
                lambda c, d: _("Add a “Received ✓” button so you can see who has read it?"),
                choices=YES_NO,
            ),
        ],
        on_complete=_complete,
    )
)


async def _start(ctx: Ctx, branch_id: int) -> None:
    actor = ctx.require_actor()
    rows = await ctx.svc(OrgService).members(actor, branch_id)
    await ctx.forms.start(
        "broadcast", {"branch_id": branch_id, "members": [[p.id, p.display_name] for _m, p in rows[:200]]}
    )


@router.command("thongbao", "notice", help=lambda: _("send a notice to the branch"), audience="manager",
                phrases=("gui thong bao",))
async def notice(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if can_see_committee_view(actor) and org_id is not None:
        await ctx.forms.start("broadcast", {"org_id": org_id})
        return
    branch_id = await pick_branch(ctx, NoticeFor)
    if branch_id is not None:
        await _start(ctx, branch_id)


@router.button(NoticeFor)
async def notice_for(ctx: Ctx, data: NoticeFor) -> None:
    await _start(ctx, data.branch_id)


@router.button(PreviewButton)
async def preview_button(ctx: Ctx, data: PreviewButton) -> None:
    await ctx.ack(_("This is only the preview."))


@router.button(ConfirmNotice)
async def confirm(ctx: Ctx, data: ConfirmNotice) -> None:
    actor = ctx.require_actor()
    bid = data.broadcast_id
    can_edit = ctx.channel.caps.edit and bool(ctx.inbound.message_id)
    svc = ctx.svc(BroadcastSending)
    b = await svc.confirm(
        actor,
        bid,
        progress_chat=ctx.inbound.chat,
        progress_message_id=ctx.inbound.message_id if can_edit else None,
        can_edit=can_edit,
    )
    if b.scheduled_at is not None:
        local = b.scheduled_at.astimezone(ctx.services.deps.clock.tz)
        text = _("⏰ Notice {notice} will be sent to {n} members at {time}.").format(
            notice=notice_label(b), n=number(b.total), time=local.strftime("%H:%M %d/%m/%Y")
        )
        buttons = [[Button(_("🛑 Cancel this notice"), CancelNotice(b.id).pack())]]
    else:
        text = _("📣 Sending notice {notice}: delivered {sent}/{total} • errors {errors}").format(
            notice=notice_label(b), sent=0, total=number(b.total), errors=0
        )
        buttons = [[Button(_("🛑 Stop sending"), CancelNotice(b.id).pack())]]
    if can_edit:
        await ctx.edit(ctx.inbound.message_id, text, buttons)
    else:
        await ctx.reply(text, buttons)


@router.button(DropNotice)
async def drop(ctx: Ctx, data: DropNotice) -> None:
    text = _("All right, the notice was not sent.")
    if ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text)
    else:
        await ctx.reply(text)


@router.button(CancelNotice)
async def cancel(ctx: Ctx, data: CancelNotice) -> None:
    p = await ctx.svc(BroadcastSending).cancel(ctx.require_actor(), data.broadcast_id)
    await ctx.reply(
        _("🛑 Cancelled. Delivered before cancelling: {sent}; not sent: {cancelled}.").format(
            sent=number(p.sent), cancelled=number(p.cancelled)
        )
    )


@router.button(ResendNotice)
async def resend(ctx: Ctx, data: ResendNotice) -> None:
    n = await ctx.svc(BroadcastSending).resend(ctx.require_actor(), data.broadcast_id)
    if n:
        await ctx.reply(_("🔁 Sending the notice again to {n} members who did not receive it.").format(
            n=number(n)))
    else:
        await ctx.reply(_("This notice is already being sent again, or nobody is left to send it to."))


@router.button(AckNotice)
async def acknowledge(ctx: Ctx, data: AckNotice) -> None:
    new = await ctx.svc(BroadcastAcks).acknowledge(ctx.require_actor(), data.broadcast_id)
    # One feedback per tap: the message (the pop-up said the same thing a second time).
    await ctx.reply(_("✅ Thank you for confirming you received the notice.") if new
                    else _("You have already confirmed."))


@router.button(NotAckedList)
async def not_acknowledged(ctx: Ctx, data: NotAckedList) -> None:
    b, people, acked = await ctx.svc(BroadcastAcks).not_acknowledged(ctx.require_actor(), data.broadcast_id)
    if not people:
        await ctx.reply(_("Everyone who received the notice {notice} has confirmed ({n}).").format(
            notice=notice_label(b), n=number(acked)))
        return
    lines = [_("Notice {notice}: {acked} confirmed, {n} not yet:").format(
        notice=notice_label(b), acked=number(acked), n=number(len(people)))]
    lines += [f"• {esc(p.display_name)}" for p in people[:100]]
    buttons = [[Button(_("🔔 Remind them once"), NudgeNotice(b.id).pack())]] if b.nudged_at is None else []
    await ctx.reply("\n".join(lines), buttons)


@router.button(NudgeNotice)
async def nudge(ctx: Ctx, data: NudgeNotice) -> None:
    n = await ctx.svc(BroadcastAcks).nudge(ctx.require_actor(), data.broadcast_id)
    await ctx.reply(_("🔔 Reminder sent to {n} members who have not confirmed.").format(n=n))
