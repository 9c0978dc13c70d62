"""Audit log: who did what, when, to whom (broadcasts, exports, approvals, erasures)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.system import AuditLog


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_person_id: int | None,
    action: str,
    org_id: int | None = None,
    branch_id: int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(AuditLog(at=at, actor_person_id=actor_person_id, action=action, org_id=org_id,
                         branch_id=branch_id, target=target, details=details))
