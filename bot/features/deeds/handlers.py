"""Members report good deeds: the guided form (/viectot), plain messages (#viectot, a captioned photo,
free text) confirmed with one yes/no question, /cuatoi with edit and withdraw, nominations and the
featured examples of the branch."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot.features.deeds.callbacks import (
    EditDeed,
    KeepDeed,
    LinkDeed,
    LinkDeedTo,
    NominationVerdict,
    RecordDraft,
    ResubmitDeed,
    ShareDeed,
    WithdrawConfirmed,
    WithdrawDeed,
)
from bot.features.deeds.cards import deed_card, status_icon, status_label
from bot.features.deeds.categories import DeedCategories
from bot.features.deeds.intake import (
    DeedPhotoStep,
    DeedTextStep,
    as_photo,
    send_receipt,
    store_incoming,
    store_incoming_fresh,
)
from bot.features.deeds.models import DeedStatus, NominationStatus, ShareConsent
from bot.features.deeds.nominations import NominationReview, nomination_status_label
from bot.features.deeds.reporting import MAX_BACK_DAYS, MAX_PHOTOS, MAX_TEXT, DeedInput, DeedReporting, cut_text
from bot.features.deeds.sharing import DeedSharing
from bot.features.deeds.viewing import DeedViewing
from bot.features.deeds.yearfile import MESSAGE_SOURCES
from bot.i18n import _
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import DONE, UPLOADS, AskChoice, AskDate, AskText, Form, Step, example_hint
from bot.kernel.routing import Router, Unhandled
from bot.messages import Button, esc
from bot.services.actor import Actor
from bot.services.errors import DomainError
from bot.services.permissions import is_member
from bot.services.when import show_short
from bot.text import fold, number

router = Router("deeds")

def _ask(text_fn: Callable[[dict[str, Any]], str]) -> Callable[[Ctx, dict[str, Any]], str]:
    return lambda _ctx, data: text_fn(data)


def _text_prompt(data: dict[str, Any]) -> str:
    if data.get("for_name"):
        return _("✍️ What good deed did {name} do? Write it briefly.").format(name=esc(data["for_name"]))
    return _("✍️ What good deed did you do? Write it briefly (or send a voice note).")


def _day_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    return _("📅 When was it? Press a button, or type the day, e.g. “hôm kia”, “thứ hai tuần trước” or "
             "{example}, up to {n} days back.").format(
        example=show_short(ctx.today - timedelta(days=2)), n=MAX_BACK_DAYS
    )


def _share_options(ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (ShareConsent.YES.value, _("Yes, it may be shared")),
        (ShareConsent.NO.value, _("No, keep it private")),
        (ShareConsent.ASK.value, _("Ask me if it is commended")),
    ]


def _summary(data: dict[str, Any]) -> str:
    text = data.get("text")
    what = _("🎙 voice note") if isinstance(text, dict) else esc(text or "")
    lines = [_("<b>Please check your good deed:</b>")]
    if data.get("for_name"):
        lines.append(_("Member: {name}").format(name=esc(data["for_name"])))
    lines.append(_("What: {what}").format(what=what))
    lines.append(_("Date: {day}").format(day=date.fromisoformat(data["day"]).strftime("%d/%m/%Y")))
    lines.append(_("Category: {category}").format(category=esc(data.get("category") or "")))
    lines.append(_("Photos: {n}").format(n=len(data.get("photos") or [])))
    pledge = data.get("pledge")
    if pledge and pledge != "none":
        label = dict((str(i), lab) for i, lab in data.get("_pledges") or []).get(pledge, "")
        lines.append(_("Fulfils pledge: {item}").format(item=esc(label)))
    share = {o[0]: o[1] for o in _share_options(None, data)}.get(data.get("share", ""), "")  # type: ignore[arg-type]
    lines.append(_("Share with the branch group: {answer}").format(answer=share))
    return "\n".join(lines)


def _quick_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    """Right after the text: send it as it is (today, no photo), or add the details. Two taps in all."""
    text = data.get("text")
    what = _("🎙 voice note") if isinstance(text, dict) else esc(text or "")
    return "\n".join([
        _("📝 <b>Send this good deed?</b>"),
        "",
        what,
        "",
        _("Date: today ({day})").format(day=ctx.today.strftime("%d/%m/%Y")),
        *([_("Photos: {n}").format(n=len(data["photos"]))] if data.get("photos") else []),
        _("You may also add photos, another date or the kind of deed."),
    ])


def _deed_steps() -> list[Step]:
    return [
        DeedTextStep("text", _ask(_text_prompt), max_len=MAX_TEXT, accept_voice=True,
                     placeholder=lambda _ctx, _d: example_hint(_("helped Mrs. Tư fix her kitchen roof"))),
        AskChoice(
            "quick",
            _quick_prompt,
            choices=lambda _ctx, d: [("send", _("✅ Send now")), ("details", _("📝 Add photos, date, kind"))],
            skip_if=lambda d: bool(d.get("for_person")),  # on a member's behalf: every detail is asked
            next=lambda d: DONE if d.get("quick") == "send" else None,
        ),
        AskDate("day", _day_prompt, max_back_days=MAX_BACK_DAYS, max_ahead_days=0),
        AskChoice(
            "category",
            _ask(lambda d: _("🏷 Which kind of good deed is it?")),
            choices=lambda _ctx, d: [(c, c) for c in d.get("_cats") or []],
        ),
        DeedPhotoStep(
            "photos",
            _ask(lambda d: _("📷 Send up to {n} photos, or press the button to go on.").format(n=MAX_PHOTOS)),
            max_count=MAX_PHOTOS,
        ),
        AskChoice(
            "pledge",
            _ask(lambda d: _("🎯 Does it fulfil one of your pledged deeds?")),
            choices=lambda _ctx, d: (
                [(str(i), lab) for i, lab in d.get("_pledges") or []] + [("none", _("No, not linked"))]
            ),
            skip_if=lambda d: not d.get("_pledges"),
        ),
        AskChoice(
            "share",
            _ask(lambda d: _("👥 If the secretary commends it, may it be shared in the branch group?")),
            choices=_share_options,
        ),
        AskChoice(
            "confirm",
            _ask(_summary),
            choices=lambda _ctx, d: [("send", _("✅ Send")), ("restart", _("✏️ Start again"))],
            next=lambda d: "text" if d.get("confirm") == "restart" else None,
        ),
    ]


def _input_from(data: dict[str, Any], source: str = "form") -> DeedInput:
    text = data.get("text")
    pledge = data.get("pledge")
    return DeedInput(
        day=date.fromisoformat(data["day"]),
        text="" if isinstance(text, dict) else (text or ""),
        voice_key=text.get("voice_key") if isinstance(text, dict) else None,
        category=data.get("category") or "",
        photo_keys=list(data.get("photos") or []),
        pledge_item_id=int(pledge) if pledge and pledge.isdigit() else None,
        share=data.get("share") or ShareConsent.ASK.value,
        source=source,
    )


async def _deed_done(ctx: Ctx, data: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    data.setdefault("day", ctx.today.isoformat())  # "Send now": today, the rest left to its defaults
    svc = ctx.svc(DeedReporting)
    if data.get("for_person"):
        deed = await svc.record_for(actor, int(data["for_person"]), int(data["branch_id"]), _input_from(data))
        await send_receipt(ctx, deed, data.get("for_name") or "?", behalf=True)
        return
    deed = await svc.report(actor, _input_from(data))
    await send_receipt(ctx, deed, actor.display_name)


router.form(Form("deed", _deed_steps(), on_complete=_deed_done))


async def start_deed_form(ctx: Ctx, extra: dict[str, Any] | None = None) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(DeedReporting)
    extra = dict(extra or {})
    cats = await ctx.svc(DeedCategories).categories_for(actor, extra.get("branch_id"))
    pledges = [] if extra.get("for_person") else await svc.pledge_options(actor)
    await ctx.forms.start("deed", {**extra, "_cats": cats, "_pledges": [[i, lab] for i, lab in pledges]})


@router.command("viectot", "gooddeed", help=lambda: _("report a good deed"), audience="member",
                phrases=("bao viec tot", "gui viec tot", "ghi viec tot", "bao cao viec tot", "ke viec tot",
                         "viet viec tot", "ghi nhan viec tot", "nop viec tot", "them viec tot", "khai viec tot"))
async def report(ctx: Ctx) -> None:
    await start_deed_form(ctx)


# --- plain messages: #viectot, a captioned photo, free text -----------------------------------------------


def _member(ctx: Ctx) -> Actor:
    actor = ctx.actor
    if actor is None or not ctx.inbound.is_private or not is_member(actor):
        raise Unhandled
    return actor


def _hashtag_body(text: str) -> str | None:
    """The text after a leading #viectot (also typed with diacritics: #việctốt), or None."""
    stripped = text.lstrip()
    if not stripped.startswith("#"):
        return None
    head, _sep, rest = stripped[1:].partition(" ")
    head2, _sep2, rest2 = stripped[1:].partition("\n")
    if fold(head) == "viectot":
        return rest.strip()
    if fold(head2) == "viectot":
        return rest2.strip()
    return None


async def _ask_to_record(ctx: Ctx, text: str, photos: list[str], source: str) -> None:
    body, was_cut = cut_text(text)
    nonce = secrets.token_hex(3)
    ctx.set_state(
        "deed_draft",
        {"text": body, "photos": photos, "day": ctx.today.isoformat(), "source": source, "n": nonce},
    )
    preview = esc(body) + (("\n" + _("📷 with {n} photo(s)").format(n=len(photos))) if photos else "")
    lines = [
        _("📝 <b>Record this as a good deed?</b>"),
        "",
        preview,
        "",
        _("Date: today ({day})").format(day=ctx.today.strftime("%d/%m/%Y")),
    ]
    if was_cut:
        lines.append(_("⚠️ The text was too long, so it was cut to {n} characters.").format(n=number(MAX_TEXT)))
    await ctx.reply(
        "\n".join(lines),
        [[Button(_("Yes, record it"), RecordDraft(True, nonce).pack()),
          Button(_("No, do not record"), RecordDraft(False, nonce).pack())]],
    )


@router.fallback(priority=30, media=True)
async def hashtag_or_photo(ctx: Ctx) -> None:
    _member(ctx)
    inbound = ctx.inbound
    text = inbound.text or ""
    body = _hashtag_body(text)
    media = inbound.media
    if media and not text.strip() and as_photo(media[-1]):
        await _photo_first(ctx)
        return
    if body is None and not (media and text.strip() and as_photo(media[-1])):
        raise Unhandled  # free text is asked about later, after other features had their turn
    if body is None:
        body = text.strip()
    photos: list[str] = []
    if media:
        try:
            photos = [await store_incoming(ctx, media[-1], "photo")]
        except DomainError as exc:
            await ctx.reply("⚠️ " + esc(exc.message) + "\n" + _("Nothing was recorded."))
            return
    if not body:
        await ctx.reply(
            _(
                "Please write what you did after #viectot, e.g. “#viectot Helped Mrs. Tư carry rice "
                "home”. Nothing was recorded."
            )
        )
        return
    await _ask_to_record(ctx, body, photos, "hashtag" if _hashtag_body(text) is not None else "photo")


async def _photo_first(ctx: Ctx) -> None:
    """A photo sent without a caption starts the good-deed form with the photo already attached: the form
    asks what was done, then goes on as usual (the photo step shows it counted)."""
    try:
        key, fresh = await store_incoming_fresh(ctx, ctx.inbound.media[-1], "photo")
    except DomainError as exc:
        await ctx.reply("⚠️ " + esc(exc.message) + "\n" + _("Nothing was recorded."))
        return
    await ctx.reply(_("📷 Photo received. It will be attached to your good deed."))
    # A new file is the form's: if the form is left unsaved (/huy, another command), it is removed again.
    await start_deed_form(ctx, {"photos": [key], UPLOADS: [key] if fresh else []})


@router.fallback(priority=80)
async def free_text(ctx: Ctx) -> None:
    _member(ctx)
    text = (ctx.inbound.text or "").strip()
    intent = ctx.intent
    if ctx.inbound.media or intent is None or intent.kind != "deed":
        # Only what reads like something the person did is offered: a question, a request, a command or
        # chit-chat is not a deed, and asking about it would be a nuisance (bot.kernel.intent).
        raise Unhandled
    await _ask_to_record(ctx, text, [], "text")


@router.button(RecordDraft)
async def draft_answer(ctx: Ctx, answer: RecordDraft) -> None:
    actor = ctx.require_actor()
    draft = ctx.state.get("deed_draft")
    if not draft or draft.get("n") != answer.nonce:
        await ctx.reply(_("This question is closed."))  # one feedback per tap: the message, no pop-up too
        return
    ctx.set_state("deed_draft", None)
    if not answer.record:
        await ctx.reply(_("All right, nothing was recorded."))
        return
    data = DeedInput(
        day=date.fromisoformat(draft["day"]),
        text=draft["text"],
        photo_keys=draft["photos"],
        source=draft["source"],
    )
    deed = await ctx.svc(DeedReporting).report(actor, data)
    await send_receipt(ctx, deed, actor.display_name)


# --- /cuatoi, edit, withdraw ---------------------------------------------------------------------------

_TAG_CHARS = 18


def _short(text: str) -> str:
    """The first words of a deed for a button: "Giúp cháu học sinh…"."""
    words = " ".join(text.split())
    return words if len(words) <= _TAG_CHARS else words[:_TAG_CHARS + 1].rsplit(" ", 1)[0] + "…"


@router.command("cuatoi", "mine", help=lambda: _("my good deeds this month and this year"), audience="member",
                phrases=("viec tot cua toi", "xem viec tot", "ket qua cua toi", "thanh tich cua toi",
                         "cac viec tot cua toi", "danh sach viec tot", "viec tot da gui", "viec tot toi da gui",
                         "ho so viec tot"))
async def mine(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    month, year = await ctx.svc(DeedReporting).mine(actor)
    today = ctx.today
    lines = [
        _("📋 <b>My good deeds</b>"),
        "",
        _("<b>This month ({month})</b>: {n}").format(month=today.strftime("%m/%Y"), n=len(month)),
    ]
    buttons: list[list[Button]] = []
    for d in month[:15]:
        snippet = d.text[:70] + ("…" if len(d.text) > 70 else "") if d.text else _("🎙 voice note")
        lines.append(
            f"{status_icon(d.status)} {d.day.strftime('%d/%m')} · {esc(snippet)} — "
            f"<i>{status_label(d.status)}</i>"
        )
        if d.status == DeedStatus.RETURNED.value and d.return_reason:
            lines.append("   " + _("Reason: {reason}").format(reason=esc(d.return_reason)))
    pending = [d for d in year if d.status == DeedStatus.PENDING.value][:5]
    for d in pending:
        # The day and the first words tell two deeds apart, never the record number.
        tag = d.day.strftime("%d/%m") + " · " + (_short(d.text) if d.text else _("🎙 voice note"))
        buttons.append(
            [
                Button(_("✏️ Edit {tag}").format(tag=tag), EditDeed(d.id).pack()),
                Button(_("🗑 Withdraw {tag}").format(tag=tag), WithdrawDeed(d.id).pack()),
            ]
        )
    # A deed reported by a plain message or a photo skipped the form's pledge question: offer to link it now.
    pledged = await ctx.svc(DeedReporting).pledge_options(actor)
    unlinked = [d for d in year if d.source in MESSAGE_SOURCES and d.pledge_item_id is None] if pledged else []
    for d in unlinked[:3]:
        what = _short(d.text) if d.text else _("🎙 voice note")
        label = _("🎯 Link {day} · {deed}").format(day=d.day.strftime("%d/%m"), deed=what)
        buttons.append([Button(label, LinkDeed(d.id).pack())])
    counts = {
        s: sum(1 for d in year if d.status == s)
        for s in (DeedStatus.ACCEPTED, DeedStatus.FEATURED, DeedStatus.PENDING, DeedStatus.RETURNED)
    }
    lines += [
        "",
        _(
            "<b>This year ({year})</b>: {n} — {accepted} recorded, {featured} commended, {pending} waiting, "
            "{returned} returned"
        ).format(
            year=today.year,
            n=len(year),
            accepted=counts[DeedStatus.ACCEPTED],
            featured=counts[DeedStatus.FEATURED],
            pending=counts[DeedStatus.PENDING],
            returned=counts[DeedStatus.RETURNED],
        ),
    ]
    if not year:
        lines += ["", _("No good deeds yet. Report one with /viectot — small things count too.")]
    # Other features may add lines to /cuatoi (Feature.record_sections) without editing this module.
    for section in ctx.services.deps.ext.record_sections:
        extra = await section(ctx, actor)
        if extra:
            lines += ["", extra]
    await ctx.reply("\n".join(lines), buttons)


def _edit_steps() -> list[Step]:
    return [
        AskChoice(
            "field",
            _ask(lambda d: _("What do you want to change?")),
            choices=lambda _ctx, d: [
                ("text", _("What I did")),
                ("day", _("The date")),
                ("category", _("The category")),
            ],
            next=lambda d: d.get("field"),
        ),
        DeedTextStep("text", _ask(lambda d: _("Type the new text:")), max_len=MAX_TEXT, next=lambda d: DONE),
        AskDate("day", _day_prompt, max_back_days=MAX_BACK_DAYS, max_ahead_days=0, next=lambda d: DONE),
        AskChoice(
            "category",
            _ask(lambda d: _("🏷 Which kind of good deed is it?")),
            choices=lambda _ctx, d: [(c, c) for c in d.get("_cats") or []],
        ),
    ]


async def _edit_done(ctx: Ctx, data: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    field = data.get("field")
    deed = await ctx.svc(DeedReporting).update(
        actor,
        int(data["deed_id"]),
        text=data.get("text") if field == "text" else None,
        day=date.fromisoformat(data["day"]) if field == "day" else None,
        category=data.get("category") if field == "category" else None,
    )
    await ctx.reply(_("✏️ Updated.") + "\n\n" + deed_card(deed, actor.display_name, with_status=True))


router.form(Form("deed_edit", _edit_steps(), on_complete=_edit_done))


@router.button(EditDeed)
async def edit(ctx: Ctx, data: EditDeed) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(DeedReporting)
    deed = await svc.own_deed(actor, data.deed_id)
    cats = (
        await ctx.svc(DeedCategories).categories_for(actor, deed.branch_id)
        if actor.seat(deed.branch_id)
        else [deed.category]
    )
    await ctx.forms.start("deed_edit", {"deed_id": deed.id, "_cats": cats})


@router.button(WithdrawDeed)
async def withdraw_ask(ctx: Ctx, data: WithdrawDeed) -> None:
    actor = ctx.require_actor()
    deed = await ctx.svc(DeedReporting).own_deed(actor, data.deed_id)
    await ask_confirm(
        ctx, "deed_withdraw",
        _("Withdraw this good deed? The secretary will no longer see it.")
        + "\n\n"
        + deed_card(deed, actor.display_name),
        {"deed_id": deed.id},
        yes=_("🗑 Yes, withdraw"), cancel=_("No, keep it"),
    )


@router.confirmed("deed_withdraw")
async def withdraw_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    await ctx.svc(DeedReporting).withdraw(ctx.require_actor(), int(payload["deed_id"]))
    await ctx.reply(_("🗑 Withdrawn. It will not be reviewed or counted."))


@router.button(WithdrawConfirmed)
async def withdraw(ctx: Ctx, data: WithdrawConfirmed) -> None:
    """The confirm button of cards sent before review cards moved to the kernel (still honoured)."""
    await ctx.svc(DeedReporting).withdraw(ctx.require_actor(), data.deed_id)
    await ctx.reply(_("🗑 Withdrawn. It will not be reviewed or counted."))


@router.button(LinkDeed)
async def link_ask(ctx: Ctx, data: LinkDeed) -> None:
    """"Gắn với việc đã đăng ký": which pledged deed does this good deed fulfil?"""
    deed, items = await ctx.svc(DeedReporting).link_options(ctx.require_actor(), data.deed_id)
    what = deed.text or _("🎙 voice note")
    await ctx.reply(
        _("🎯 <b>Link to a pledged deed</b>\n{day} · {deed}\n\nWhich pledged deed does it fulfil?").format(
            day=deed.day.strftime("%d/%m/%Y"), deed=esc(what[:200])
        ),
        [[Button(label, LinkDeedTo(data.deed_id, item_id).pack())] for item_id, label in items],
    )


@router.button(LinkDeedTo)
async def link_to(ctx: Ctx, data: LinkDeedTo) -> None:
    _deed, label = await ctx.svc(DeedReporting).link_to_pledge(ctx.require_actor(), data.deed_id, data.item_id)
    await ctx.reply(_("🎯 Linked to the pledged deed “{item}”. It counts in comrade's year file.").format(
        item=esc(label)))


@router.button(KeepDeed)
async def withdraw_no(ctx: Ctx, data: KeepDeed) -> None:
    await ctx.reply(_("All right, it stays as it is."))


# --- a returned deed: edit and send again ----------------------------------------------------------------


@router.button(ResubmitDeed)
async def resubmit_start(ctx: Ctx, data: ResubmitDeed) -> None:
    actor = ctx.require_actor()
    deed = await ctx.svc(DeedReporting).returned_deed(actor, data.deed_id)
    await ctx.reply(_("✏️ The good deed as you wrote it:") + f"\n<blockquote>{esc(deed.text)}</blockquote>")
    await ctx.forms.start("deed_resubmit", {"deed_id": deed.id, "reason": deed.return_reason or ""})


def _resubmit_prompt(d: dict[str, Any]) -> str:
    text = _("Comrade, type the corrected text of the good deed (the whole text, as it should be).")
    if d.get("reason"):
        text = _("The secretary's reason: {reason}").format(reason=esc(d["reason"])) + "\n" + text
    return text


async def _resubmit_review(ctx: Ctx, data: dict[str, Any]) -> None:
    await ask_confirm(
        ctx, "deed_resubmit",
        _("📨 <b>Send this good deed to the secretary again?</b>")
        + f"\n<blockquote>{esc(data['text'])}</blockquote>",
        {"deed_id": int(data["deed_id"]), "text": data["text"]},
        yes=_("✅ Confirm and send"), edit=Button(_("✏️ Edit"), ResubmitDeed(int(data["deed_id"])).pack()))


@router.confirmed("deed_resubmit")
async def resubmit_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    await ctx.svc(DeedReporting).resubmit(ctx.require_actor(), int(payload["deed_id"]), str(payload["text"]))
    await ctx.reply(_("📨 Sent again, comrade. The secretary will review it with the next good deeds."))


router.form(
    Form(
        "deed_resubmit",
        [AskText("text", _ask(_resubmit_prompt), max_len=MAX_TEXT, next=lambda d: DONE)],
        on_complete=_resubmit_review,
    )
)


@router.button(ShareDeed)
async def share_answer(ctx: Ctx, data: ShareDeed) -> None:
    yes = data.share
    await ctx.svc(DeedSharing).answer_share(ctx.require_actor(), data.deed_id, yes)
    await ctx.reply(
        _("Thank you, it will be shared in the branch group.") if yes else _("All right, it stays private.")
    )


# --- nominations and featured examples ---------------------------------------------------------------------


async def _nomination_done(ctx: Ctx, data: dict[str, Any]) -> None:
    if data.get("confirm") != "send":
        await ctx.reply(_("All right, nothing was sent."))
        return
    await ctx.svc(DeedSharing).nominate(ctx.require_actor(), data["name"], data["what"], data.get("contact"))
    await ctx.reply(_("🌱 Thank you! Your nomination has been sent to the branch secretary."))


def _nomination_summary(data: dict[str, Any]) -> str:
    lines = [
        _("<b>Please check your nomination:</b>"),
        _("Name: {name}").format(name=esc(data["name"])),
        _("What they did: {what}").format(what=esc(data["what"])),
    ]
    if data.get("contact"):
        lines.append(_("Contact: {contact}").format(contact=esc(data["contact"])))
    return "\n".join(lines)


router.form(
    Form(
        "deed_nominate",
        [
            AskText(
                "name",
                _ask(
                    lambda d: _(
                        "🌱 Who is the good example? Type their full name (they may be inside or "
                        "outside the Party)."
                    )
                ),
                max_len=200,
            ),
            AskText("what", _ask(lambda d: _("What did they do?")), max_len=MAX_TEXT),
            AskText(
                "contact",
                _ask(lambda d: _("How can the branch reach them (phone, address)? Optional.")),
                max_len=200,
                optional=True,
            ),
            AskChoice(
                "confirm",
                _ask(_nomination_summary),
                choices=lambda _ctx, d: [("send", _("✅ Send")), ("drop", _("✖️ Do not send"))],
            ),
        ],
        on_complete=_nomination_done,
    )
)


@router.command(
    "neguong", "nominate", help=lambda: _("nominate a “gương người tốt” example"), audience="member",
    phrases=("neu guong", "de cu guong tot"),
)
async def nominate(ctx: Ctx) -> None:
    await ctx.forms.start("deed_nominate")


@router.command(
    "dsneguong", "nominations", help=lambda: _("“gương người tốt” nominations: recognise or not"),
    audience="manager", phrases=("danh sach neu guong", "xet neu guong"),
)
async def nominations(ctx: Ctx) -> None:
    rows = await ctx.svc(NominationReview).listing(ctx.require_actor())
    if not rows:
        await ctx.reply(_("No “gương người tốt” nomination yet."))
        return
    pending = sum(r.nom.status == NominationStatus.PENDING.value for r in rows)
    await ctx.reply(_("🌱 <b>“Gương người tốt” nominations</b>: {n}, of which {pending} waiting.").format(
        n=len(rows), pending=pending))
    for r in rows:
        nom = r.nom
        lines = [
            f"<b>{esc(nom.name)}</b> — {esc(nom.what)}",
            _("Put forward by {by} ({branch}), {day}").format(
                by=esc(r.by_name), branch=esc(r.branch_name),
                day=nom.day.strftime("%d/%m/%Y") if nom.day else nom.created_at.strftime("%d/%m/%Y")),
            _("Status: {status}").format(status=nomination_status_label(nom.status)),
        ]
        if nom.contact:
            lines.append(_("Contact: {contact}").format(contact=esc(nom.contact)))
        if nom.comment:
            lines.append(_("Comment: {comment}").format(comment=esc(nom.comment)))
        buttons = None
        if nom.status == NominationStatus.PENDING.value:
            assert nom.id is not None
            buttons = [[Button(_("✅ Recognise"), NominationVerdict(True, nom.id).pack()),
                        Button(_("✖️ Do not recognise"), NominationVerdict(False, nom.id).pack())]]
        await ctx.reply("\n".join(lines), buttons)


@router.button(NominationVerdict)
async def nomination_verdict(ctx: Ctx, data: NominationVerdict) -> None:
    await ctx.forms.start("deed_nomination_verdict", {"id": data.nomination_id, "accept": data.accept})


async def _verdict_done(ctx: Ctx, data: dict[str, Any]) -> None:
    accept = bool(data["accept"])
    comment = data.get("comment_yes") if accept else data.get("comment_no")
    nom = await ctx.svc(NominationReview).decide(ctx.require_actor(), int(data["id"]), accept, comment)
    if accept:
        await ctx.reply(_("✅ Recognised: {name}. It goes into the month's pack and the commendation "
                          "shortlist.").format(name=esc(nom.name)))
    else:
        await ctx.reply(_("The nomination of {name} was not recognised; the one who sent it is told.").format(
            name=esc(nom.name)))


router.form(
    Form(
        "deed_nomination_verdict",
        [
            AskText("comment_yes", _ask(lambda d: _("A comment for the one who sent it? (optional)")),
                    max_len=500, optional=True, skip_if=lambda d: not d["accept"]),
            AskText("comment_no", _ask(lambda d: _("Why is it not recognised? Write a short comment.")),
                    max_len=500, skip_if=lambda d: bool(d["accept"])),
        ],
        on_complete=_verdict_done,
    )
)


@router.command(
    "guongtot", "examples", help=lambda: _("commended good deeds of my branch"), audience="member",
    phrases=("guong tot chi bo", "viec tot duoc bieu duong"),
)
async def examples(ctx: Ctx) -> None:
    rows = await ctx.svc(DeedViewing).featured(ctx.require_actor())
    if not rows:
        await ctx.reply(_("No commended good deeds to show yet."))
        return
    lines = [_("🌟 <b>Commended good deeds of the branch</b>")]
    lines += ["\n" + deed_card(d, name) for d, name in rows]
    await ctx.reply("\n".join(lines))
