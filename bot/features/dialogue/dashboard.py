"""Dialogue on the dashboard's branch page: the opinions and proposals sent to the branch still open.

Never who sent an anonymous item: the list shows its number and its words, as the secretary's inbox does."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.dialogue.models import OPEN_STATUSES, DialogueItem, ItemKind, Target
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import PendingItem

SHORT = 80


async def _open_items(s: AsyncSession, deps: Deps, branch_id: int) -> list[PendingItem]:
    rows = (
        await s.execute(
            select(DialogueItem)
            .where(DialogueItem.branch_id == branch_id, DialogueItem.target == Target.BRANCH.value,
                   DialogueItem.status.in_(OPEN_STATUSES))
            .order_by(DialogueItem.created_at, DialogueItem.id)
        )
    ).scalars().all()
    out: list[PendingItem] = []
    for item in rows:
        head = (_("Proposal no. {n}/{y}") if item.kind == ItemKind.PROPOSAL else _("Opinion no. {n}/{y}")).format(
            n=item.number, y=item.year)
        words = "" if item.erased else " ".join(item.text.split())
        if len(words) > SHORT:
            words = words[: SHORT - 1].rstrip() + "…"
        out.append(PendingItem(f"{head}: {words}" if words else head, item.created_at))
    return out
