"""Pledges in chat: /dangky (form, draft, review, submit, amend), /camket, check-ins, self-assessments,
and the secretary's /dangky_tinhhinh and /dangky_caidat.

Buttons on the member's own draft carry no ids (they act on the sender's own draft), so they cannot be
forged onto someone else's pledge; buttons with ids are re-checked by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.features.pledges.assessment import REVIEW_MAX, SelfAssessment
from bot.features.pledges.callbacks import (
    CheckinAnswer,
    CheckinNote,
    DecidePledge,
    MidyearCheck,
    PledgeDeadline,
    PledgeDraft,
    PledgeEditDeed,
    PledgeEditPart,
    PledgeExportFor,
    PledgeFrequency,
    PledgeNudge,
    PledgeRemoveDeed,
    PledgeSettingsFor,
    PledgeStatusFor,
    ViewPledge,
    YearendEdit,
    YearendExportFor,
    YearendLevel,
)
from bot.features.pledges.checkins import PledgeCheckins
from bot.features.pledges.drafting import PledgeDrafting
from bot.features.pledges.exports import XLSX_MIME, PledgeExport
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.reminders import PledgeReminders
from bot.features.pledges.review import PledgeReviewing, StatusView
from bot.features.pledges.settings import PledgeSettings
from bot.features.pledges.texts import (
    LEVELS,
    MAX_ITEMS,
    content_of,
    default_commitment,
    period_label,
    render_card,
    render_checkin,
)
from bot.features.pledges.ticks import checkin_buttons, yearend_buttons, yearend_message
from bot.features.pledges.viewing import PledgeViewing
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.callbacks import StaleButton
from bot.kernel.context import Ctx
from bot.kernel.forms import DONE, AskChoice, AskDate, AskText, Form
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.permissions import is_member

router = Router("pledges")


# --- the form -------------------------------------------------------------------------------------------


def _example(question: str, example: str) -> str:
    return f"{question}\n<i>{_('Example: {example}').format(example=example)}</i>"


def _after_edit(data: dict[str, Any]) -> str | None:
    return DONE if data.get("edit") else None


@dataclass
class AskItemField(AskText):
    """One field of the deed being written (``data['item_idx']``), kept in ``data['items']``."""

    field: str = "what"

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = await super().parse(ctx, data)
        items = data.setdefault("items", [])
        idx = int(data.get("item_idx") or 0)
        while len(items) <= idx:
            items.append({})
        items[idx][self.field] = value
        return value


@dataclass
class AskMore(AskChoice):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = await super().parse(ctx, data)
        if value == "yes":
            data["item_idx"] = len(data.get("items") or [])
        return value


@dataclass
class AskCommitment(AskChoice):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = await super().parse(ctx, data)
        if value == "keep":
            data["commitment"] = default_commitment()
        return value


def _deed_no(data: dict[str, Any]) -> int:
    return int(data.get("item_idx") or 0) + 1


STEPS = [
    AskText(
        "duty",
        lambda _c, _d: _example(
            _("What is your position or duty? One line."), _("teacher; village head; retired")
        ),
        next=_after_edit,
        max_len=FIELD_MAX,
    ),
    AskItemField(
        "item_what",
        lambda _c, d: _example(
            _("Deed {n}: what will you do?").format(n=_deed_no(d)),
            _("Help two poor households in the village apply for loans to raise livestock"),
        ),
        field="what",
        max_len=FIELD_MAX,
    ),
    AskItemField(
        "item_criterion",
        lambda _c, d: _example(
            _("Deed {n}: how will it be measured (criterion)?").format(n=_deed_no(d)),
            _("both households get their loans and keep at least 5 pigs each"),
        ),
        field="criterion",
        max_len=FIELD_MAX,
    ),
    AskItemField(
        "item_when",
        lambda _c, d: _example(
            _("Deed {n}: when? By a month, or monthly/quarterly.").format(n=_deed_no(d)),
            _("by September 2026; monthly"),
        ),
        field="when",
        max_len=FIELD_MAX,
        next=_after_edit,
    ),
    AskMore(
        "more",
        lambda _c, d: _("You have {n} deed(s). Add another? (at most {max})").format(
            n=len(d.get("items") or []), max=MAX_ITEMS
        ),
        choices=lambda _c, _d: [("yes", _("➕ Add another deed")), ("no", _("➡️ Continue"))],
        next=lambda d: "item_what" if d.get("more") == "yes" else None,
        skip_if=lambda d: len(d.get("items") or []) >= MAX_ITEMS,
    ),
    AskText(
        "shortcoming",
        lambda _c, _d: _example(
            _("One shortcoming you will fix in yourself (self-examine, self-correct):"),
            _("I sometimes come late to branch meetings"),
        ),
        max_len=FIELD_MAX,
    ),
    AskText(
        "remedy",
        lambda _c, _d: _example(_("How will you fix it?"), _("set a reminder and arrive 10 minutes early")),
        next=_after_edit,
        max_len=FIELD_MAX,
    ),
    AskCommitment(
        "commitment_choice",
        lambda _c, _d: _("Your commitment sentence:\n<i>{text}</i>").format(text=esc(default_commitment())),
        choices=lambda _c, _d: [("keep", _("✅ Keep this sentence")), ("own", _("✏️ Write my own"))],
        next=lambda d: "commitment" if d.get("commitment_choice") == "own" else DONE,
    ),
    AskText(
        "commitment",
        lambda _c, _d: _example(
            _("Write your commitment sentence:"),
            _("I promise to do what I registered and to be a good example for my neighbours."),
        ),
        max_len=FIELD_MAX,
    ),
]


def resume_step(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Where an unfinished draft picks up (None: complete, show the review)."""
    if not content.get("duty"):
        return "duty", {}
    items = content.get("items") or []
    if not items:
        return "item_what", {"item_idx": 0}
    for i, it in enumerate(items):
        for key, step in (("what", "item_what"), ("criterion", "item_criterion"), ("when", "item_when")):
            if not it.get(key):
                return step, {"item_idx": i}
    for key, step in (
        ("shortcoming", "shortcoming"),
        ("remedy", "remedy"),
        ("commitment", "commitment_choice"),
    ):
        if not content.get(key):
            return step, {}
    return None


async def _form_done(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(PledgeDrafting).save_draft(ctx.require_actor(), data)
    await show_review(ctx)


async def _form_left(ctx: Ctx, data: dict[str, Any]) -> bool:
    # Stopping halfway keeps a draft: next time /dangky offers to continue.
    await ctx.svc(PledgeDrafting).save_draft(ctx.require_actor(), data)
    await ctx.reply(_("💾 I kept your pledge as a draft. Send /dangky any time to continue."))
    return True


router.form(Form("pledge", steps=STEPS, on_complete=_form_done, on_cancel=_form_left))


async def _start_form(ctx: Ctx, draft: dict[str, Any], step: str, **extra: Any) -> None:
    data = content_of(draft) | {"mode": draft.get("mode", "new")} | extra
    await ctx.forms.start("pledge", data, step=step)


# --- entry, review, submit ------------------------------------------------------------------------------


@router.command(
    "dangky", "pledge", help=lambda: _("register or amend my pledge to follow Uncle Hồ"), audience="member"
)
async def register(ctx: Ctx) -> None:
    await _entry(ctx)


async def _entry(ctx: Ctx) -> None:
    mine = await ctx.svc(PledgeDrafting).mine(ctx.require_actor())
    p, draft = mine.pledge, mine.draft
    if draft is not None:
        if draft.get("mode") in ("fix", "amend"):
            await show_review(ctx)
            return
        await ctx.reply(
            _("You have an unfinished pledge draft. Continue the draft?"),
            [[Button(_("▶️ Continue the draft"), PledgeDraft("go").pack())],
             [Button(_("🗑 Start again"), PledgeDraft("new").pack())]],
        )
        return
    if p is None:
        intro = _(
            "📝 <b>Pledge to study and follow Uncle Hồ — {year}</b>\n"
            "I will ask a few short questions, one at a time: your duty, 1 to 3 deeds, one shortcoming "
            "to fix and your commitment. You can stop any time; your draft is kept."
        ).format(year=mine.year)
        if mine.theme:
            intro += "\n" + _("🎯 Theme of the year: {theme}").format(theme=esc(mine.theme))
        await ctx.reply(intro)
        await ctx.forms.start("pledge", {"mode": "new", "item_idx": 0})
        return
    if p.status == "submitted":
        await ctx.reply(
            _("Your pledge is waiting for the secretary's approval.")
            + "\n\n"
            + await ctx.svc(PledgeViewing).card(ctx.require_actor())
        )
        return
    if p.status == "returned":
        await ctx.svc(PledgeDrafting).start_edit(ctx.require_actor(), "fix")
        await show_review(ctx)
        return
    await ctx.reply(
        _("You already have an approved pledge for {year}. View it, or add to it (amend)?").format(
            year=mine.year
        ),
        [[Button(_("👁 View my pledge"), PledgeDraft("view").pack())],
         [Button(_("➕ Amend (Bổ sung)"), PledgeDraft("amend").pack())]],
    )


async def show_review(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    mine = await ctx.svc(PledgeDrafting).mine(actor)
    if mine.draft is None:
        await _entry(ctx)
        return
    content = content_of(mine.draft)
    where = resume_step(content)
    if where is not None:
        step, extra = where
        await _start_form(ctx, mine.draft, step, **extra)
        return
    mode = mine.draft.get("mode", "new")
    head = {
        "amend": _("➕ <b>Amendment — review before sending</b>"),
        "fix": _("✏️ <b>Returned pledge — edit and send again</b>"),
    }.get(mode, _("👀 <b>Review your pledge before sending</b>"))
    comment = mine.pledge.secretary_comment if mine.pledge is not None else None
    text = (
        head
        + "\n"
        + render_card(
            content,
            year=mine.year,
            name=actor.display_name,
            branch=mine.seat.branch_name,
            theme=mine.theme,
            comment=comment,
        )
    )
    items = content["items"]
    buttons = [[Button(_("✏️ Edit duty"), PledgeEditPart("duty").pack())]]
    for i in range(len(items)):
        row = [Button(_("✏️ Edit deed {n}").format(n=i + 1), PledgeEditDeed(i).pack())]
        if len(items) > 1:
            row.append(Button(_("🗑 Remove deed {n}").format(n=i + 1), PledgeRemoveDeed(i).pack()))
        buttons.append(row)
    buttons.append([Button(_("➕ Add a deed"), PledgeDraft("add").pack())])
    buttons.append(
        [
            Button(_("✏️ Edit shortcoming"), PledgeEditPart("short").pack()),
            Button(_("✏️ Edit commitment"), PledgeEditPart("commit").pack()),
        ]
    )
    buttons.append(
        [
            Button(
                _("📨 Send the amendment to the secretary")
                if mode == "amend"
                else _("📨 Send to the secretary"),
                PledgeDraft("send").pack(),
            )
        ]
    )
    await ctx.reply(text, buttons)


@router.button(PledgeDraft)
async def draft_button(ctx: Ctx, data: PledgeDraft) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeDrafting)
    action = data.action
    if action == "open":
        await _entry(ctx)
    elif action == "view":
        await ctx.reply(await ctx.svc(PledgeViewing).card(actor))
    elif action == "go":
        await show_review(ctx)
    elif action == "new":
        await svc.discard_draft(actor)
        await _entry(ctx)
    elif action == "amend":
        await svc.start_edit(actor, "amend")
        await show_review(ctx)
    elif action == "send":
        p = await svc.submit(actor)
        await ctx.reply(
            _(
                "📨 Sent! Your pledge (version {v}) is with the secretary. I will tell you when it is "
                "approved."
            ).format(v=p.version)
        )
    elif action == "add":
        await _add_deed(ctx)


async def _draft(ctx: Ctx) -> dict[str, Any]:
    draft = (await ctx.svc(PledgeDrafting).mine(ctx.require_actor())).draft
    if draft is None:
        raise StaleButton("no pledge draft")
    return draft


async def _add_deed(ctx: Ctx) -> None:
    draft = await _draft(ctx)
    items = list(draft.get("items") or [])
    if len(items) >= MAX_ITEMS:
        await ctx.reply(
            _(
                "A pledge holds at most {n} deeds, so I cannot add a fourth. You can edit or remove "
                "one of them instead."
            ).format(n=MAX_ITEMS)
        )
        return
    await _start_form(ctx, draft, "item_what", edit=True, item_idx=len(items))


@router.button(PledgeRemoveDeed)
async def remove_deed(ctx: Ctx, data: PledgeRemoveDeed) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeDrafting)
    draft = await _draft(ctx)
    items = list(draft.get("items") or [])
    idx = data.index
    if not 0 <= idx < len(items):
        raise StaleButton(f"no deed {idx} in the draft")
    if len(items) == 1:
        await ctx.reply(_("A pledge needs at least one deed."))
        return
    del items[idx]
    await svc.save_draft(actor, draft | {"items": items})
    await ctx.reply(_("🗑 Deed {n} removed.").format(n=idx + 1))
    await show_review(ctx)


@router.button(PledgeEditPart)
async def edit_part(ctx: Ctx, data: PledgeEditPart) -> None:
    step = {"duty": "duty", "short": "shortcoming", "commit": "commitment_choice"}[data.part]
    await _start_form(ctx, await _draft(ctx), step, edit=True)


@router.button(PledgeEditDeed)
async def edit_deed(ctx: Ctx, data: PledgeEditDeed) -> None:
    draft = await _draft(ctx)
    if data.index >= len(draft.get("items") or []):
        raise StaleButton(f"no deed {data.index} in the draft")
    await _start_form(ctx, draft, "item_what", edit=True, item_idx=data.index)


# --- viewing --------------------------------------------------------------------------------------------


@router.command("camket", "mypledge", help=lambda: _("my pledge and its progress"))
async def my_pledge(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeViewing)
    history = await svc.my_pledges(actor)
    shown: int | None = None
    if is_member(actor):
        mine = await ctx.svc(PledgeDrafting).mine(actor)
        if mine.pledge is not None and mine.pledge.version > 0:
            shown = mine.pledge.id
            await ctx.reply(await svc.card(actor))
        else:
            await ctx.reply(
                _("You have not sent a pledge for {year} yet. Send /dangky to register.").format(
                    year=mine.year
                )
            )
    elif history:
        shown = history[0][0]
        await ctx.reply(await svc.card(actor, shown))
    else:
        await ctx.reply(_("You have no pledges yet."))
        return
    past = [(pid, year, branch) for pid, year, branch in history if pid != shown]
    if past:
        await ctx.reply(
            _("Your earlier pledges:"),
            [[Button(f"📁 {year} — {branch}", ViewPledge(pid).pack())] for pid, year, branch in past[:10]],
        )


@router.button(ViewPledge)
async def view_pledge(ctx: Ctx, data: ViewPledge) -> None:
    await ctx.reply(await ctx.svc(PledgeViewing).card(ctx.require_actor(), data.pledge_id))


# --- the secretary's decision ---------------------------------------------------------------------------


@router.button(DecidePledge)
async def decide(ctx: Ctx, data: DecidePledge) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeReviewing)
    pledge_id, version = data.pledge_id, data.version
    if data.verdict == "ok":
        name = await svc.approve(actor, pledge_id, version)
        text = _("✅ Pledge of {name} approved.").format(name=esc(name))
        if ctx.channel.caps.edit and ctx.inbound.message_id:
            await ctx.edit(ctx.inbound.message_id, text)
        else:
            await ctx.reply(text)
        return
    name = await svc.check_decidable(actor, pledge_id, version)
    await ctx.forms.start("pledge_return", {"pledge_id": pledge_id, "version": version, "name": name})


async def _returned(ctx: Ctx, data: dict[str, Any]) -> None:
    name = await ctx.svc(PledgeReviewing).return_pledge(
        ctx.require_actor(), int(data["pledge_id"]), int(data["version"]), data["comment"]
    )
    await ctx.reply(_("↩️ Pledge of {name} returned with your comment.").format(name=esc(name)))


router.form(
    Form(
        "pledge_return",
        steps=[
            AskText(
                "comment",
                lambda _c, d: _example(
                    _("What should {name} change? Your comment goes back with the pledge.").format(
                        name=esc(d.get("name", ""))
                    ),
                    _("deed 2 needs a clear criterion"),
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_returned,
    )
)


# --- check-ins ------------------------------------------------------------------------------------------


@router.button(CheckinAnswer)
async def checkin_answer(ctx: Ctx, data: CheckinAnswer) -> None:
    view = await ctx.svc(PledgeCheckins).answer_checkin(
        ctx.require_actor(), data.checkin_id, data.item_id, data.mark
    )
    text = render_checkin(view.period, view.items, view.answers, view.note)
    buttons = checkin_buttons(view.checkin_id, view.items)
    if ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text, buttons)
    else:
        await ctx.reply(text, buttons)


@router.button(CheckinNote)
async def checkin_note(ctx: Ctx, data: CheckinNote) -> None:
    checkin_id = data.checkin_id
    await ctx.svc(PledgeCheckins).checkin(ctx.require_actor(), checkin_id)  # refuses someone else's
    await ctx.forms.start("pledge_checkin_note", {"checkin_id": checkin_id})


async def _noted(ctx: Ctx, data: dict[str, Any]) -> None:
    view = await ctx.svc(PledgeCheckins).note_checkin(
        ctx.require_actor(), int(data["checkin_id"]), data["note"]
    )
    await ctx.reply(
        render_checkin(view.period, view.items, view.answers, view.note),
        checkin_buttons(view.checkin_id, view.items),
    )


router.form(
    Form(
        "pledge_checkin_note",
        steps=[
            AskText(
                "note",
                lambda _c, _d: _example(
                    _("Your note for this check-in:"), _("deed 1 is waiting for the bank's answer")
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_noted,
    )
)


# --- mid-year and year-end ------------------------------------------------------------------------------


@router.button(MidyearCheck)
async def midyear(ctx: Ctx, data: MidyearCheck) -> None:
    pledge_id = data.pledge_id
    await ctx.svc(SelfAssessment).require_own_pledge(ctx.require_actor(), pledge_id)
    await ctx.forms.start("pledge_midyear", {"pledge_id": pledge_id})


async def _midyear_done(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(SelfAssessment).save_midyear(ctx.require_actor(), int(data["pledge_id"]), data["text"])
    await ctx.reply(_("🌗 Thank you! Your mid-year self-check is saved; it will help your year-end review."))


router.form(
    Form(
        "pledge_midyear",
        steps=[
            AskText(
                "text",
                lambda _c, _d: _example(
                    _("Half a year: how do you assess yourself?"),
                    _("deed 1 is done; deed 2 is behind, I will catch up in autumn"),
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_midyear_done,
    )
)


@router.button(YearendLevel)
async def yearend_level(ctx: Ctx, data: YearendLevel) -> None:
    r = await ctx.svc(SelfAssessment).submit_yearend(ctx.require_actor(), data.review_id, data.level)
    await ctx.reply(
        _("📨 Your year-end self-assessment ({level}) was sent to the secretary.").format(
            level=LEVELS[r.level or "done"]()
        )
    )


@router.button(YearendEdit)
async def yearend(ctx: Ctx, data: YearendEdit) -> None:
    review_id = data.review_id
    r = await ctx.svc(SelfAssessment).yearend_review(ctx.require_actor(), review_id)
    if r.status == "submitted":
        await ctx.reply(_("Your self-assessment was already sent to the secretary."))
        return
    await ctx.reply(f"<blockquote>{esc(r.text)}</blockquote>")
    await ctx.forms.start("pledge_yearend_edit", {"review_id": review_id})


async def _yearend_edited(ctx: Ctx, data: dict[str, Any]) -> None:
    r = await ctx.svc(SelfAssessment).edit_yearend(ctx.require_actor(), int(data["review_id"]), data["text"])
    year = ctx.today.year
    await ctx.reply(yearend_message(year, r.text), yearend_buttons(r.id or 0))


router.form(
    Form(
        "pledge_yearend_edit",
        steps=[
            AskText(
                "text",
                lambda _c, _d: _(
                    "Above is your current draft. Send the whole paragraph as you want it "
                    "(at most {n} characters)."
                ).format(n=REVIEW_MAX),
                max_len=REVIEW_MAX,
            ),
        ],
        on_complete=_yearend_edited,
    )
)


# --- the secretary's view -------------------------------------------------------------------------------


def _status_text(v: StatusView) -> str:
    def names(xs: list[str]) -> str:
        return ", ".join(esc(x) for x in xs) if xs else "—"

    lines = [_("📋 <b>Pledges {year} — {branch}</b>").format(year=v.year, branch=esc(v.branch_name))]
    if v.deadline:
        lines.append(_("Deadline: {date}").format(date=v.deadline.strftime("%d/%m/%Y")))
    lines.append(_("Registered: {n}/{total}").format(n=len(v.approved) + len(v.submitted), total=v.members))
    lines.append(_("✅ Approved ({n}): {names}").format(n=len(v.approved), names=names(v.approved)))
    lines.append(
        _("📨 Waiting for approval ({n}): {names}").format(n=len(v.submitted), names=names(v.submitted))
    )
    lines.append(_("↩️ Returned ({n}): {names}").format(n=len(v.returned), names=names(v.returned)))
    lines.append(
        _("⭕ Not registered ({n}): {names}").format(n=len(v.not_pledged), names=names(v.not_pledged))
    )
    if v.last_round:
        rate = round(100 * v.round_answered / v.round_sent) if v.round_sent else 0
        lines.append(
            _("🔔 Last check-in ({period}): {answered}/{sent} answered ({rate}%)").format(
                period=period_label(v.last_round), answered=v.round_answered, sent=v.round_sent, rate=rate
            )
        )
    else:
        lines.append(_("🔔 No check-in round yet."))
    return "\n".join(lines)


async def _show_status(ctx: Ctx, branch_id: int) -> None:
    view = await ctx.svc(PledgeReviewing).status(ctx.require_actor(), branch_id)
    await ctx.reply(
        _status_text(view),
        [
            [Button(_("🔔 Remind those not registered"), PledgeNudge(branch_id).pack())],
            [Button(_("📊 Export to Excel"), PledgeExportFor(branch_id).pack())],
            [Button(_("📄 Export year-end self-assessments"), YearendExportFor(branch_id).pack())],
            [Button(_("⚙️ Pledge settings"), PledgeSettingsFor(branch_id).pack())],
        ],
    )


@router.command(
    "dangky_tinhhinh", "pledgestatus", help=lambda: _("who has registered a pledge"), audience="manager"
)
async def status(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PledgeStatusFor)
    if branch_id is not None:
        await _show_status(ctx, branch_id)


@router.button(PledgeStatusFor)
async def status_for(ctx: Ctx, data: PledgeStatusFor) -> None:
    await _show_status(ctx, data.branch_id)


@router.button(PledgeNudge)
async def nudge(ctx: Ctx, data: PledgeNudge) -> None:
    queued, skipped = await ctx.svc(PledgeReminders).nudge_unpledged(ctx.require_actor(), data.branch_id)
    text = _("🔔 Reminders queued: {n}.").format(n=queued)
    if skipped:
        text += "\n" + _("{n} member(s) were already reminded in the last 7 days, so not again now.").format(
            n=skipped
        )
    await ctx.reply(text)


async def _send_export(ctx: Ctx, key: str, name: str, caption: str) -> None:
    await ctx.reply(caption, media=MediaRef(kind="document", media_key=key, file_name=name, mime=XLSX_MIME))


@router.button(PledgeExportFor)
async def export_pledges(ctx: Ctx, data: PledgeExportFor) -> None:
    key, name = await ctx.svc(PledgeExport).pledges_xlsx(ctx.require_actor(), data.branch_id)
    await _send_export(ctx, key, name, _("📊 Pledges, one row per deed."))


@router.button(YearendExportFor)
async def export_yearend(ctx: Ctx, data: YearendExportFor) -> None:
    key, name = await ctx.svc(PledgeExport).yearend_xlsx(ctx.require_actor(), data.branch_id)
    await _send_export(ctx, key, name, _("📄 Year-end self-assessments."))


# --- settings -------------------------------------------------------------------------------------------


FREQUENCIES = {"monthly": lambda: _("monthly"), "quarterly": lambda: _("quarterly")}


async def _show_settings(ctx: Ctx, branch_id: int) -> None:
    name, st = await ctx.svc(PledgeSettings).settings_for(ctx.require_actor(), branch_id)
    deadline = st.deadline.strftime("%d/%m/%Y") if st.deadline else _("not set")
    await ctx.reply(
        _(
            "⚙️ <b>Pledge settings — {branch}</b>\nDeadline: {deadline}\nCheck-ins: {freq}\n"
            "Mid-year self-check: month {mid}\nYear-end self-assessment: months {start}–{end}"
        ).format(
            branch=esc(name),
            deadline=deadline,
            freq=FREQUENCIES.get(st.checkin_frequency, lambda: "?")(),
            mid=st.midyear_month,
            start=st.yearend_start_month,
            end=st.yearend_end_month,
        ),
        [
            [Button(_("📅 Set the deadline"), PledgeDeadline(branch_id).pack())],
            [
                Button(_("🗓 Monthly check-ins"), PledgeFrequency("monthly", branch_id).pack()),
                Button(_("🗓 Quarterly check-ins"), PledgeFrequency("quarterly", branch_id).pack()),
            ],
        ],
    )


@router.command(
    "dangky_caidat",
    "pledgesettings",
    help=lambda: _("pledge deadline and check-in frequency"),
    audience="manager",
)
async def settings_cmd(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PledgeSettingsFor)
    if branch_id is not None:
        await _show_settings(ctx, branch_id)


@router.button(PledgeSettingsFor)
async def settings_for(ctx: Ctx, data: PledgeSettingsFor) -> None:
    await _show_settings(ctx, data.branch_id)


@router.button(PledgeFrequency)
async def set_frequency(ctx: Ctx, data: PledgeFrequency) -> None:
    await ctx.svc(PledgeSettings).update_settings(ctx.require_actor(), data.branch_id, frequency=data.frequency)
    await _show_settings(ctx, data.branch_id)


@router.button(PledgeDeadline)
async def set_deadline(ctx: Ctx, data: PledgeDeadline) -> None:
    branch_id = data.branch_id
    await ctx.svc(PledgeSettings).settings_for(ctx.require_actor(), branch_id)  # refuses non-managers first
    await ctx.forms.start("pledge_deadline", {"branch_id": branch_id})


async def _deadline_set(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(PledgeSettings).update_settings(
        ctx.require_actor(), int(data["branch_id"]), deadline=date.fromisoformat(data["deadline"])
    )
    await _show_settings(ctx, int(data["branch_id"]))


router.form(
    Form(
        "pledge_deadline",
        steps=[
            AskDate(
                "deadline",
                lambda _c, _d: _("Pledge deadline for the branch? Type a date as DD/MM/YYYY."),
                max_back_days=0,
                max_ahead_days=400,
                quick=False,
            ),
        ],
        on_complete=_deadline_set,
    )
)
