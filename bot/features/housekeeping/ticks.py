"""The engine's housekeeping ticks: expire outbox rows that can no longer go out, forget old update ids, and
drop the payload of old final outbox rows (OUTBOX_RETENTION_DAYS, bot/services/outbox_purge.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update

from bot.services import outbox_purge
from bot.services.deps import Services
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.system import ProcessedUpdate


async def housekeeping(services: Services, now: datetime, since: datetime | None) -> None:
    async with services.deps.db.session() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.expires_at.is_not(None),
                   OutboxMessage.expires_at < now)
            .values(status=OutboxStatus.SKIPPED.value, last_error="expired before it could be sent")
        )
        await s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - timedelta(days=2)))


async def outbox_retention(services: Services, now: datetime, since: datetime | None) -> None:
    """A few bounded batches a minute: the outbox keeps its rows but not their old payloads."""
    deps = services.deps
    await outbox_purge.purge(deps.db, now=now, retention_days=deps.settings.outbox_retention_days)
