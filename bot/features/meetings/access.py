"""Meetings: the base of every use case — a meeting loaded for an actor who manages its branch."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.meetings.models import Meeting
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.errors import NotFound
from storage.models.org import Branch


class MeetingUseCase:
    """Shared by the meeting use cases: built once per App by ``services.get``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _meeting(
        self, s: AsyncSession, actor: Actor, meeting_id: int, action: str
    ) -> tuple[Meeting, Branch]:
        m = await s.get(Meeting, meeting_id)
        if m is None:
            raise NotFound(_("That meeting does not exist."))
        branch = await managed_branch(s, actor, m.branch_id, action)
        return m, branch
