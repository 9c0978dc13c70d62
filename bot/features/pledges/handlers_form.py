"""Pledges in chat: /dangky — the member's form, draft review, submit, fix and amend.

Buttons on the member's own draft carry no ids (they act on the sender's own draft), so they cannot be
forged onto someone else's pledge; buttons with ids are re-checked by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.features.pledges.callbacks import PledgeDraft, PledgeEditDeed, PledgeEditPart, PledgeRemoveDeed
from bot.features.pledges.drafting import PledgeDrafting
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.texts import MAX_ITEMS, content_of, default_commitment, render_card, with_example
from bot.features.pledges.viewing import PledgeViewing
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import DONE, AskChoice, AskText, Form, Invalid
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.when import WhenError, check_timetable

router = Router("pledges")


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
class AskItemWhen(AskItemField):
    """A deed's timetable: free words ("hằng tháng", "cả năm") pass; "tháng 13/2026" or a month already
    gone is refused with the reason and an example."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        typed = (ctx.inbound.text or "").strip()
        if typed and not ctx.inbound.choice:
            try:
                check_timetable(typed, ctx.today)
            except WhenError as exc:
                raise Invalid(exc.message) from exc
        return await super().parse(ctx, data)


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
        lambda _c, _d: with_example(
            _("What is your position or duty? One line."), _("teacher; village head; retired")
        ),
        next=_after_edit,
        max_len=FIELD_MAX,
    ),
    AskItemField(
        "item_what",
        lambda _c, d: with_example(
            _("Deed {n}: what will you do?").format(n=_deed_no(d)),
            _("Help two poor households in the village apply for loans to raise livestock"),
        ),
        field="what",
        max_len=FIELD_MAX,
    ),
    AskItemField(
        "item_criterion",
        lambda _c, d: with_example(
            _("Deed {n}: how will it be measured (criterion)?").format(n=_deed_no(d)),
            _("both households get their loans and keep at least 5 pigs each"),
        ),
        field="criterion",
        max_len=FIELD_MAX,
    ),
    AskItemWhen(
        "item_when",
        lambda c, d: with_example(
            _("Deed {n}: when? By a month, or monthly/quarterly.").format(n=_deed_no(d)),
            _("by month {month}/{year}; quarter IV/{year}; monthly").format(
                month=max(c.today.month, 9), year=c.today.year),
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
        lambda _c, _d: with_example(
            _("One shortcoming you will fix in yourself (self-examine, self-correct):"),
            _("I sometimes come late to branch meetings"),
        ),
        max_len=FIELD_MAX,
    ),
    AskText(
        "remedy",
        lambda _c, _d: with_example(_("How will you fix it?"), _("set a reminder and arrive 10 minutes early")),
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
        lambda _c, _d: with_example(
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


@router.command(
    "dangky", "pledge", help=lambda: _("register or amend my pledge to follow Uncle Hồ"), audience="member",
    phrases=("dang ky lam theo", "dang ky lam theo bac"),
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
        await ask_confirm(
            ctx, "pledge_discard",
            _("🗑 <b>Delete your pledge draft and start again?</b>\nComrade, everything written in the draft "
              "will be deleted; this cannot be undone."),
            yes=_("🗑 Yes, delete the draft"), cancel=_("No, keep it"), back=PledgeDraft("go").pack())
    elif action == "amend":
        await svc.start_edit(actor, "amend")
        await show_review(ctx)
    elif action == "send":
        await _review_send(ctx)
    elif action == "add":
        await _add_deed(ctx)


async def _review_send(ctx: Ctx) -> None:
    """The review card before the pledge goes to the secretary."""
    mine = await ctx.svc(PledgeDrafting).mine(ctx.require_actor())
    if mine.draft is None:
        raise StaleButton("no pledge draft")
    n = len(content_of(mine.draft).get("items") or [])
    amend = mine.draft.get("mode") == "amend"
    await ask_confirm(
        ctx, "pledge_send",
        (_("📨 <b>Send the amendment of your {year} pledge to the secretary of {branch}?</b>") if amend
         else _("📨 <b>Send your {year} pledge to the secretary of {branch}?</b>")).format(
            year=mine.year, branch=esc(mine.seat.branch_name))
        + "\n" + _("Comrade, it has {n} deed(s), as shown above. After sending, it waits for the secretary's "
                    "approval.").format(n=n),
        yes=_("✅ Confirm and send"), edit=Button(_("✏️ Edit"), PledgeDraft("go").pack()))


@router.confirmed("pledge_send")
async def send_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    p = await ctx.svc(PledgeDrafting).submit(ctx.require_actor())
    await ctx.reply(
        _(
            "📨 Sent! Your pledge (version {v}) is with the secretary. I will tell you when it is "
            "approved."
        ).format(v=p.version)
    )


@router.confirmed("pledge_discard")
async def discard_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    await ctx.svc(PledgeDrafting).discard_draft(ctx.require_actor())
    await ctx.reply(_("🗑 The draft was deleted."))
    await _entry(ctx)


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
