"""💬 /ykien and /hopthu: a member sends an opinion or a proposal and follows it; the secretary and the
committee see their inbox, mark items "being handled" and answer; the committee's per-branch view, its
Excel export and its setting for anonymous opinions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.features.dialogue.callbacks import (
    AnswerItem,
    BranchInboxFor,
    ExportItems,
    InboxPage,
    MarkHandling,
    MyItems,
    NewItem,
    SetAnonymous,
    ShowItem,
    WithdrawItem,
)
from bot.features.dialogue.exports import DialogueExport
from bot.features.dialogue.models import OPEN_STATUSES, ItemKind, Target
from bot.features.dialogue.service import MAX_TEXT, PAGE, DialogueService, SendInput, handler_buttons
from bot.features.dialogue.texts import handler_card, sender_card, status_label, title
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import DONE, AskChoice, AskPhoto, AskText, Form, Invalid, _Finished, text_prompt
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import DomainError
from bot.services.media import MediaStore
from bot.services.permissions import can_see_committee_view, committee_org, is_member, is_secretary
from bot.services.sheets import XLSX_MIME
from bot.text import branch_title

router = Router("dialogue")

MAX_LISTED = 8  # the sender's latest items shown by /ykien


# --- the member: /ykien ------------------------------------------------------------------------------


@router.command("ykien", "opinion", help=lambda: _("send an opinion or a proposal; follow its answer"),
                audience="member", phrases=("gui y kien", "kien nghi", "gop y", "gui kien nghi"))
async def opinions(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    if is_secretary(actor):
        branch_id = await pick_branch(ctx, BranchInboxFor)
        if branch_id is not None:
            await _show_inbox(ctx, "branch", branch_id, 0)
        return
    await _show_mine(ctx)


@router.button(MyItems)
async def my_items(ctx: Ctx, data: MyItems) -> None:
    await _show_mine(ctx)


async def _show_mine(ctx: Ctx) -> None:
    items = await ctx.svc(DialogueService).mine(ctx.require_actor())
    lines = [_("💬 <b>Opinions and proposals</b>"),
             _("Comrade, you can send an opinion or a proposal to the branch secretary or to the Party "
               "committee, and follow its answer here.")]
    buttons: list[list[Button]] = [[Button(_("✍️ Send an opinion"), NewItem().pack())]]
    if items:
        lines.append("")
        lines.append(_("Your opinions:"))
        for item in items[:MAX_LISTED]:
            lines.append(_("• {title}: {status}").format(title=title(item), status=status_label(item.status)))
        buttons += [[Button(_("📄 {title}").format(title=title(i)), ShowItem(i.id or 0).pack())]
                    for i in items[:3]]
    await ctx.reply("\n".join(lines), buttons)


# --- sending -----------------------------------------------------------------------------------------


def _targets(_ctx: Ctx, d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if d.get("_to_branch"):
        out.append(("branch", _("👤 The branch secretary (with my name)")))
    out.append(("committee", _("🏛 The Party committee (with my name)")))
    if d.get("_anon"):
        out.append(("anonymous", _("🕶 The Party committee (anonymously)")))
    return out


@dataclass
class PhotoStep(AskPhoto):
    """One optional photo, stored in the media store as it arrives; the answer is its key (or None)."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__done__":
            return _Finished(data.get(self.key))
        photos = [m for m in ctx.inbound.media if m.kind == "photo"]
        if not photos:
            raise Invalid(_("Only photos can be attached here.") if ctx.inbound.media
                          else _("Please send a photo, or press the button to go on."))
        try:
            stored = await store_media(ctx, photos[-1])
        except DomainError as exc:
            raise Invalid(exc.message) from exc
        return _Finished(stored["media_key"])

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__done__", _("No photo ⏭"))]


SEND_STEPS = [
    AskChoice("target", text_prompt(lambda: _("✍️ To whom shall the opinion go?")), choices=_targets),
    AskChoice("kind", text_prompt(lambda: _("Is it an opinion or a proposal?")),
              choices=lambda _c, _d: [(ItemKind.OPINION.value, _("💬 Opinion")),
                                      (ItemKind.PROPOSAL.value, _("📌 Proposal"))]),
    AskText("text", text_prompt(lambda: _("Comrade, please write it (up to {n} characters).").format(n=MAX_TEXT)),
            max_len=MAX_TEXT, min_len=3),
    PhotoStep("photo", text_prompt(lambda: _("📷 You may add one photo, or press the button to go on.")),
              max_count=1, next=lambda d: DONE),
]


async def _send_review(ctx: Ctx, data: dict[str, Any]) -> None:
    choice = data["target"]
    anonymous = choice == "anonymous"
    target = Target.BRANCH.value if choice == "branch" else Target.COMMITTEE.value
    if target == Target.BRANCH.value:
        to = _("the secretary of {branch}").format(branch=esc(branch_title(data.get("branch_name", ""))))
        who = _("Who will see it: the secretary and the deputy secretary of your branch.")
    else:
        to = _("the Party committee of {org}").format(org=esc(data.get("org_name", "")))
        who = _("Who will see it: the members of the Party committee.")
    how = (_("🕶 Anonymous: nobody will see your name. The answer still comes back to you here.")
           if anonymous else _("👤 With your name: they will see that you sent it."))
    kind = _("Proposal") if data["kind"] == ItemKind.PROPOSAL.value else _("Opinion")
    lines = [_("📨 <b>Send this {kind} to {to}?</b>").format(kind=kind.lower(), to=to), who, how, "",
             f"<blockquote>{esc(data['text'])}</blockquote>"]
    if data.get("photo"):
        lines.append(_("📷 with a photo"))
    payload = {"target": target, "kind": data["kind"], "anonymous": anonymous, "text": data["text"],
               "photo": data.get("photo")}
    await ask_confirm(ctx, "dialogue_send", "\n".join(lines), payload, yes=_("✅ Send"),
                      edit=Button(_("✏️ Start again"), NewItem().pack()))


router.form(Form("dialogue_send", SEND_STEPS, on_complete=_send_review))


@router.button(NewItem)
async def new_item(ctx: Ctx, data: NewItem) -> None:
    opts = await ctx.svc(DialogueService).options(ctx.require_actor())
    await ctx.forms.start("dialogue_send", {"_to_branch": opts.to_branch, "_anon": opts.anonymous_allowed,
                                            "branch_name": opts.branch_name, "org_name": opts.org_name})


@router.confirmed("dialogue_send")
async def send(ctx: Ctx, payload: dict[str, Any]) -> None:
    item = await ctx.svc(DialogueService).submit(ctx.require_actor(), SendInput(
        target=str(payload["target"]), kind=str(payload["kind"]), anonymous=bool(payload["anonymous"]),
        text=str(payload["text"]), photo_key=payload.get("photo") or None))
    await ctx.reply(_("✅ Sent: {title}, status: {status}. You will be told when it is being handled and when "
                      "it is answered.").format(title=title(item), status=status_label(item.status)),
                    [[Button(_("📄 View"), ShowItem(item.id or 0).pack())]])


# --- one item ----------------------------------------------------------------------------------------


def _photo(key: str | None) -> MediaRef | None:
    return MediaRef(kind="photo", media_key=key, mime="image/jpeg") if key else None


@router.button(ShowItem)
async def show_item(ctx: Ctx, data: ShowItem) -> None:
    view = await ctx.svc(DialogueService).item(ctx.require_actor(), data.item_id)
    item = view.item
    if view.is_sender:
        buttons = ([[Button(_("↩️ Withdraw"), WithdrawItem(item.id or 0).pack())]]
                   if item.status in OPEN_STATUSES else [])
        await ctx.reply(sender_card(item, view.branch_name, view.created), buttons, media=_photo(item.photo_key))
        return
    await ctx.reply(handler_card(item, view.branch_name, view.sender_name, view.created, view.waited),
                    handler_buttons(item), media=_photo(item.photo_key))


@router.button(WithdrawItem)
async def withdraw_ask(ctx: Ctx, data: WithdrawItem) -> None:
    view = await ctx.svc(DialogueService).item(ctx.require_actor(), data.item_id)
    await ask_confirm(ctx, "dialogue_withdraw",
                      _("Withdraw {title}? It stays on record as withdrawn and will not be answered.").format(
                          title=title(view.item)),
                      {"item_id": data.item_id}, yes=_("↩️ Yes, withdraw"), cancel=_("No, keep it"))


@router.confirmed("dialogue_withdraw")
async def withdraw(ctx: Ctx, payload: dict[str, Any]) -> None:
    item = await ctx.svc(DialogueService).withdraw(ctx.require_actor(), int(payload["item_id"]))
    await ctx.reply(_("↩️ {title} is withdrawn.").format(title=title(item)))


@router.button(MarkHandling)
async def mark_handling(ctx: Ctx, data: MarkHandling) -> None:
    item = await ctx.svc(DialogueService).mark_handling(ctx.require_actor(), data.item_id)
    await ctx.reply(_("⏳ {title} is now being handled; the sender has been told.").format(title=title(item)),
                    [[Button(_("✉️ Answer"), AnswerItem(item.id or 0).pack())]])


@router.button(AnswerItem)
async def answer_start(ctx: Ctx, data: AnswerItem) -> None:
    view = await ctx.svc(DialogueService).for_answer(ctx.require_actor(), data.item_id)
    await ctx.forms.start("dialogue_answer", {"item_id": data.item_id, "item_title": title(view.item)})


async def _answer_review(ctx: Ctx, data: dict[str, Any]) -> None:
    await ask_confirm(ctx, "dialogue_answer",
                      _("✉️ <b>Send this answer to the sender of {title}?</b>").format(title=data["item_title"])
                      + f"\n<blockquote>{esc(data['text'])}</blockquote>",
                      {"item_id": int(data["item_id"]), "text": data["text"]}, yes=_("✅ Send the answer"),
                      edit=Button(_("✏️ Edit"), AnswerItem(int(data["item_id"])).pack()))


router.form(Form("dialogue_answer", [
    AskText("text", lambda _c, d: _("✉️ Type the answer to {title} (up to {n} characters).").format(
        title=d.get("item_title", ""), n=MAX_TEXT), max_len=MAX_TEXT, next=lambda d: DONE),
], on_complete=_answer_review))


@router.confirmed("dialogue_answer")
async def answer(ctx: Ctx, payload: dict[str, Any]) -> None:
    item = await ctx.svc(DialogueService).answer(ctx.require_actor(), int(payload["item_id"]),
                                                 str(payload["text"]))
    await ctx.reply(_("✅ The answer to {title} has been sent to its sender.").format(title=title(item)))


# --- inboxes -------------------------------------------------------------------------------------------


@router.command("hopthu", "inbox", help=lambda: _("opinions and proposals received: inbox, answers, Excel"),
                audience="manager", phrases=("hop thu y kien", "xem y kien"))
async def inbox(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if can_see_committee_view(actor) and org_id is not None:
        await _show_overview(ctx, org_id)
        return
    branch_id = await pick_branch(ctx, BranchInboxFor)
    if branch_id is not None:
        await _show_inbox(ctx, "branch", branch_id, 0)


@router.button(BranchInboxFor)
async def branch_inbox(ctx: Ctx, data: BranchInboxFor) -> None:
    await _show_inbox(ctx, "branch", data.branch_id, 0)


@router.button(InboxPage)
async def inbox_page(ctx: Ctx, data: InboxPage) -> None:
    await _show_inbox(ctx, data.scope, data.target_id, data.page)


async def _show_inbox(ctx: Ctx, scope: str, target_id: int, page: int) -> None:
    views, total = await ctx.svc(DialogueService).inbox(ctx.require_actor(), scope, target_id, page)
    head = (_("📥 <b>Opinions to the Party committee</b>: {n}") if scope == "committee"
            else _("📥 <b>Opinions to the branch secretary</b>: {n}")).format(n=total)
    lines = [head]
    if not total:
        lines.append(_("No opinion has been sent yet."))
    for v in views:
        who = _("Anonymous") if v.item.anonymous else esc(v.sender_name or "—")
        line = _("• {title} — {who} — {status}").format(title=title(v.item), who=who,
                                                         status=status_label(v.item.status))
        if v.item.status in OPEN_STATUSES:
            line += " — " + _("waiting {n} days").format(n=v.waited)
        lines.append(line)
    buttons = [[Button(_("📄 {title}").format(title=title(v.item)), ShowItem(v.item.id or 0).pack())]
               for v in views]
    nav = []
    if page > 0:
        nav.append(Button(_("◀️ Previous"), InboxPage(scope, target_id, page - 1).pack()))  # type: ignore[arg-type]
    if (page + 1) * PAGE < total:
        nav.append(Button(_("Next ▶️"), InboxPage(scope, target_id, page + 1).pack()))  # type: ignore[arg-type]
    if nav:
        buttons.append(nav)
    if scope == "branch" and is_member(ctx.require_actor()):
        buttons.append([Button(_("✍️ Send an opinion"), NewItem().pack()),
                        Button(_("📝 My opinions"), MyItems().pack())])
    await ctx.reply("\n".join(lines), buttons)


async def _show_overview(ctx: Ctx, org_id: int) -> None:
    org, branches, committee_open, anon = await ctx.svc(DialogueService).overview(ctx.require_actor(), org_id)
    lines = [_("🏛 <b>Opinions and proposals — {org}</b>").format(org=esc(org.name)),
             _("Open opinions per branch (longest wait):")]
    for b in branches:
        lines.append(_("• {branch}: {n} open ({days} days)").format(branch=esc(branch_title(b.name)), n=b.open,
                                                                    days=b.oldest_days)
                     if b.open else _("• {branch}: none open").format(branch=esc(branch_title(b.name))))
    lines.append(_("Open opinions sent to the committee: {n}").format(n=committee_open))
    lines.append(_("Anonymous opinions: allowed") if anon else _("Anonymous opinions: not allowed"))
    # The branches with open opinions to their secretary: the committee may look in (it is their fallback).
    per_branch = [[Button(_("📥 {branch}").format(branch=branch_title(b.name)), BranchInboxFor(b.branch_id).pack())]
                  for b in branches if b.open][:6]
    await ctx.reply("\n".join(lines), [
        [Button(_("📥 Committee inbox"), InboxPage("committee", org_id, 0).pack())],
        *per_branch,
        [Button(_("📊 Export to Excel"), ExportItems(org_id).pack())],
        [Button(_("🕶 Stop anonymous opinions") if anon else _("🕶 Allow anonymous opinions"),
                SetAnonymous(org_id, not anon).pack())],
    ])


@router.button(SetAnonymous)
async def set_anonymous(ctx: Ctx, data: SetAnonymous) -> None:
    await ctx.svc(DialogueService).set_anonymous(ctx.require_actor(), data.org_id, data.allowed)
    await ctx.reply(_("🕶 Members may now send anonymous opinions to the Party committee.") if data.allowed
                    else _("🕶 Anonymous opinions are no longer accepted; those already sent stay anonymous."))


@router.button(ExportItems)
async def export(ctx: Ctx, data: ExportItems) -> None:
    content, name, branch_ids = await ctx.svc(DialogueExport).workbook(ctx.require_actor(), data.org_id)
    key = ""
    for branch_id in branch_ids or [None]:  # it names people of every branch: erasing any of them deletes it
        key = await ctx.svc(MediaStore).save(content, XLSX_MIME, name, generated_for=branch_id)
    await ctx.reply(_("📊 Opinions and proposals: a summary per branch, then every opinion."),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))
