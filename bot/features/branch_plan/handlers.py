"""📑 /kehoach: the branch's yearly plan and its six-month and year-end reports; the committee's answer."""

from __future__ import annotations

from typing import Any

from bot.features.branch_plan.callbacks import DocDecision, DocFile, DocOpen, PlanFor
from bot.features.branch_plan.models import DocStatus
from bot.features.branch_plan.service import KINDS, BranchPlanService, kind_label, parts, status_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form, Step
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.media import MediaStore
from bot.text import branch_title

router = Router("branch_plan")
EDITABLE = (None, DocStatus.DRAFT.value, DocStatus.RETURNED.value)


async def _overview(ctx: Ctx, branch_id: int) -> None:
    branch, year, docs = await ctx.svc(BranchPlanService).overview(ctx.require_actor(), branch_id)
    lines = [_("📑 <b>Plan and reports {year}</b> — {branch}").format(year=year, branch=esc(branch_title(branch.name)))]
    buttons = []
    for kind in KINDS:
        doc = docs[kind]
        lines.append(f"• {kind_label(kind, year)}: {status_label(doc.status if doc else None)}")
        if doc is not None and doc.comment and doc.status == DocStatus.RETURNED.value:
            lines.append("   " + _("Comment: {comment}").format(comment=esc(doc.comment)))
        buttons.append([Button(kind_label(kind, year), DocOpen(kind, branch_id).pack())])
    await ctx.reply("\n".join(lines), buttons)


@router.command("kehoach", "plan", help=lambda: _("the branch's plan and six-month / year-end reports"),
                audience="manager", phrases=("ke hoach chi bo", "bao cao so ket", "bao cao tong ket"))
async def plan(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PlanFor)
    if branch_id is not None:
        await _overview(ctx, branch_id)


@router.button(PlanFor)
async def plan_for(ctx: Ctx, data: PlanFor) -> None:
    await _overview(ctx, data.branch_id)


async def _send_file(ctx: Ctx, doc_id: int, caption: str) -> None:
    content, name, branch_id = await ctx.svc(BranchPlanService).document(ctx.require_actor(), doc_id)
    key = await ctx.svc(MediaStore).save(content, DOCX_MIME, name, generated_for=branch_id)
    await ctx.reply(caption, media=MediaRef(kind="document", media_key=key, mime=DOCX_MIME, file_name=name))


@router.button(DocOpen)
async def open_doc(ctx: Ctx, data: DocOpen) -> None:
    _b, year, docs = await ctx.svc(BranchPlanService).overview(ctx.require_actor(), data.branch_id)
    doc = docs[data.kind]
    if doc is not None and doc.status not in EDITABLE:
        assert doc.id is not None
        await _send_file(ctx, doc.id, _("📑 {title}: {status}.").format(title=kind_label(data.kind, year),
                                                                        status=status_label(doc.status)))
        return
    current = dict(doc.fields) if doc is not None else {}
    await ctx.forms.start("branch_doc", {"kind": data.kind, "branch_id": data.branch_id, "current": current})


def _prompt(key: str) -> Any:
    def prompt(_ctx: Ctx, d: dict[str, Any]) -> str:
        part = next(p for p in parts(d["kind"]) if p.key == key)
        text = part.ask()
        if d["current"].get(key):
            text += "\n" + _("Now: {text}\nSkip to keep it.").format(text=esc(d["current"][key][:500]))
        return text
    return prompt


def _steps() -> list[Step]:
    keys = {p.key: p for kind in KINDS for p in parts(kind)}
    return [AskText(key, _prompt(key), max_len=3000, optional=True,
                    skip_if=lambda d, key=key: key not in {p.key for p in parts(d["kind"])})
            for key in keys]


def _texts(data: dict[str, Any]) -> dict[str, str | None]:
    return {p.key: data.get(p.key) for p in parts(data["kind"])}


async def _doc_done(ctx: Ctx, data: dict[str, Any]) -> None:
    svc = ctx.svc(BranchPlanService)
    doc = await svc.save(ctx.require_actor(), int(data["branch_id"]), data["kind"], _texts(data))
    assert doc.id is not None
    title = kind_label(doc.kind, doc.year)
    await _send_file(ctx, doc.id, _("📑 The draft of the {title}, from the bot's figures and your text.").format(
        title=title))
    await ask_confirm(ctx, "branch_doc_send", _("<b>Send the {title} to the Party committee?</b>\n"
                                                "Until then it stays a draft you can edit.").format(title=title),
                      {"doc_id": doc.id}, yes=_("📤 Send to the Party committee"))


async def _doc_cancel(ctx: Ctx, data: dict[str, Any]) -> bool:
    """A half-done paper is a draft: what was typed is kept."""
    texts = _texts(data)
    if not any(texts.values()):
        return False
    await ctx.svc(BranchPlanService).save(ctx.require_actor(), int(data["branch_id"]), data["kind"], texts)
    await ctx.reply(_("The draft is kept; /kehoach continues it."))
    return True


router.form(Form("branch_doc", _steps(), on_complete=_doc_done, on_cancel=_doc_cancel))


@router.confirmed("branch_doc_send")
async def send(ctx: Ctx, payload: dict[str, Any]) -> None:
    doc = await ctx.svc(BranchPlanService).send(ctx.require_actor(), int(payload["doc_id"]))
    await ctx.reply(_("📤 The {title} was sent to the Party committee.").format(title=kind_label(doc.kind, doc.year)))


@router.button(DocFile)
async def doc_file(ctx: Ctx, data: DocFile) -> None:
    await _send_file(ctx, data.doc_id, _("📑 The paper as sent."))


@router.button(DocDecision)
async def decision(ctx: Ctx, data: DocDecision) -> None:
    svc = ctx.svc(BranchPlanService)
    if data.acknowledge:
        doc = await svc.decide(ctx.require_actor(), data.doc_id, True)
        await ctx.reply(_("✅ Acknowledged: {title}; the branch is told.").format(title=kind_label(doc.kind, doc.year)))
        return
    await ctx.forms.start("branch_doc_return", {"doc_id": data.doc_id})


async def _return_done(ctx: Ctx, data: dict[str, Any]) -> None:
    doc = await ctx.svc(BranchPlanService).decide(ctx.require_actor(), int(data["doc_id"]), False, data["comment"])
    await ctx.reply(_("↩️ Returned to the branch with your comment: {title}.").format(
        title=kind_label(doc.kind, doc.year)))


router.form(Form("branch_doc_return", [
    AskText("comment", lambda _c, _d: _("What should the branch change? Write a short comment."), max_len=1000),
], on_complete=_return_done))
