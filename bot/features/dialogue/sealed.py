"""The one reader of the sealed sender link of anonymous items (``DialogueSeal``).

Only two paths may ask who sent an anonymous item: delivering a status change or an answer to that sender
(``sender_of``), and the sender's own list and withdrawal (``sealed_items_of``, ``is_sealed_sender``).
No listing, export, card or log line uses this module; tests/dialogue checks that nothing else imports
``DialogueSeal``.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.dialogue.models import DialogueItem, DialogueSeal


async def seal(s: AsyncSession, item_id: int, person_id: int) -> None:
    s.add(DialogueSeal(item_id=item_id, person_id=person_id))
    await s.flush()


async def sender_of(s: AsyncSession, item: DialogueItem) -> int | None:
    """Whom to deliver this item's news to (the delivery path only)."""
    if not item.anonymous:
        return item.person_id
    row = await s.get(DialogueSeal, item.id)
    return row.person_id if row is not None else None


async def is_sealed_sender(s: AsyncSession, item_id: int, person_id: int) -> bool:
    row = await s.get(DialogueSeal, item_id)
    return row is not None and row.person_id == person_id


async def sealed_item_ids(s: AsyncSession, person_id: int) -> list[int]:
    """The person's own anonymous items (their own list, their erasure)."""
    return list((await s.execute(select(DialogueSeal.item_id).where(DialogueSeal.person_id == person_id)))
                .scalars().all())


async def break_seals(s: AsyncSession, person_id: int) -> None:
    """/xoadulieu: the link goes; nobody (not even the bot) can tell the sender any more."""
    await s.execute(delete(DialogueSeal).where(DialogueSeal.person_id == person_id))
