"""Broadcasts: composing a notice — the audiences on offer, checking the text, the draft and its preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.features.broadcasts.models import Broadcast
from bot.features.broadcasts.notices import BroadcastUseCase, _header, notice_reply
from bot.i18n import _
from bot.messages import Reply
from bot.services.actor import Actor
from bot.services.errors import InvalidInput
from bot.text import number

DEFAULT_MAX_TEXT = 4096  # Telegram's limit; the handler passes the channel's own


MAX_PARTS = 4  # a longer notice is split into at most this many messages, with consent


class BroadcastComposing(BroadcastUseCase):
    def audience_options(self) -> list[tuple[str, str]]:
        """(key, label) of the registered audiences, "all" first, then a hand-picked list."""
        audiences = self.deps.ext.audiences
        keys = sorted(audiences, key=lambda k: (k != "all", k))
        return [(k, audiences[k].label()) for k in keys] + [("pick", _("Choose members by hand"))]

    @staticmethod
    def check_text(text: str, max_text: int, allow_split: bool) -> None:
        if not text.strip():
            raise InvalidInput(
                _("The notice is empty. Please type its text (at most {n} characters).").format(
                    n=number(max_text)
                )
            )
        limit = max_text * (MAX_PARTS if allow_split else 1)
        if len(text) > limit:
            raise InvalidInput(
                _("The notice is too long ({length} characters). The limit is {n} characters.").format(
                    length=number(len(text)), n=number(limit)
                )
            )

    async def create_draft(
        self,
        actor: Actor,
        *,
        scope: str = "branch",
        branch_id: int | None = None,
        org_id: int | None = None,
        text: str,
        media: dict[str, Any] | None = None,
        audience: str = "all",
        person_ids: list[int] | None = None,
        ack: bool = False,
        scheduled_at: datetime | None = None,
        max_text: int = DEFAULT_MAX_TEXT,
        allow_split: bool = False,
    ) -> tuple[Broadcast, int]:
        """Save a draft and return it with the number of members it would reach now."""
        self.check_text(text, max_text, allow_split)
        now = self.deps.clock.now()
        if scheduled_at is not None and scheduled_at <= now:
            raise InvalidInput(_("That time has already passed. Please choose a later time."))
        if scope == "branch" and audience != "pick" and audience not in self.deps.ext.audiences:
            raise InvalidInput(_("Unknown audience."))
        async with self.deps.db.session() as s:
            org_id, branch_id = await self._check_scope(s, actor, scope, branch_id, org_id)
            b = Broadcast(
                author_person_id=actor.person_id,
                org_id=org_id,
                branch_id=branch_id,
                scope=scope,
                text=text.strip(),
                media=media,
                audience=audience if scope == "branch" else scope,
                person_ids=sorted(set(person_ids)) if person_ids else None,
                ack_requested=ack,
                scheduled_at=scheduled_at,
                created_at=now,
            )
            s.add(b)
            await s.flush()
            count = len(await self._recipients(s, b, now))
            return b, count

    async def preview(self, actor: Actor, broadcast_id: int) -> tuple[Reply, int]:
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            return notice_reply(b, await _header(s, b)), len(
                await self._recipients(s, b, self.deps.clock.now())
            )
