"""Dialogue: the words and cards shown to senders and to those who answer (one place for each label)."""

from __future__ import annotations

from datetime import date

from bot.features.dialogue.models import DialogueItem, ItemKind, ItemStatus, Target
from bot.i18n import _
from bot.messages import esc
from bot.text import branch_title


def status_label(status: str) -> str:
    return {
        ItemStatus.RECEIVED.value: _("received"),
        ItemStatus.HANDLING.value: _("being handled"),
        ItemStatus.ANSWERED.value: _("answered"),
        ItemStatus.WITHDRAWN.value: _("withdrawn"),
    }.get(status, status)


def kind_label(kind: str) -> str:
    return _("Proposal") if kind == ItemKind.PROPOSAL.value else _("Opinion")


def title(item: DialogueItem) -> str:
    """"Ý kiến số 12/2026"."""
    return _("{kind} no. {n}/{year}").format(kind=kind_label(item.kind), n=item.number, year=item.year)


def target_label(item: DialogueItem, branch_name: str) -> str:
    if item.target == Target.COMMITTEE.value:
        return _("the Party committee")
    return _("the secretary of {branch}").format(branch=esc(branch_title(branch_name)))


def waiting_days(item: DialogueItem, today: date, created_local: date) -> int:
    return max(0, (today - created_local).days)


def handler_card(item: DialogueItem, branch_name: str, sender_name: str | None, created: date,
                 waited: int) -> str:
    """What a secretary or the committee sees. ``sender_name`` is None for an anonymous item: the card is
    built without any way to reach its sender."""
    who = _("Anonymous") if item.anonymous else esc(sender_name or "—")
    lines = [
        f"📨 <b>{title(item)}</b> — " + _("to {target}").format(target=target_label(item, branch_name)),
        _("From: {who} ({branch})").format(who=who, branch=esc(branch_title(branch_name))),
        _("Sent on {day}; status: {status}").format(day=created.strftime("%d/%m/%Y"),
                                                    status=status_label(item.status)),
    ]
    if item.status in (ItemStatus.RECEIVED.value, ItemStatus.HANDLING.value):
        lines.append(_("Waiting: {n} days").format(n=waited))
    lines.append(f"<blockquote>{esc(item.text) or '—'}</blockquote>")
    if item.answer:
        lines.append(_("Answer: {text}").format(text=esc(item.answer)))
    return "\n".join(lines)


def sender_card(item: DialogueItem, branch_name: str, created: date) -> str:
    """What the sender sees of their own item."""
    how = _("anonymously") if item.anonymous else _("with your name")
    lines = [
        f"📝 <b>{title(item)}</b> — " + _("to {target}, {how}").format(target=target_label(item, branch_name),
                                                                       how=how),
        _("Sent on {day}; status: {status}").format(day=created.strftime("%d/%m/%Y"),
                                                    status=status_label(item.status)),
        f"<blockquote>{esc(item.text) or '—'}</blockquote>",
    ]
    if item.answer:
        lines.append(_("Answer: {text}").format(text=esc(item.answer)))
    return "\n".join(lines)
