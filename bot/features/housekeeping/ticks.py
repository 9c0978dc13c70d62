"""The engine's housekeeping tick: expire outbox rows that can no longer go out, forget old update ids."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update

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
