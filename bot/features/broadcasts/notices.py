"""Broadcasts: what every use case shares — the notice as sent, who is reachable, the author's own notice
and its recipients.

Each recipient is one outbox row keyed ``broadcast:{id}:{person}`` with ref ``broadcast:{id}``, so a restart
never sends twice and cancelling stops what is not yet sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.callbacks import AckNotice
from bot.features.broadcasts.models import Broadcast
from bot.i18n import _
from bot.messages import Button, ChatRef, MediaRef, Reply, esc
from bot.services import outbox
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_member_ids, managed_branch, seated_manager_ids
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import require_org_admin
from storage.models.org import Branch, Organization
from storage.models.people import Identity, Person

PRIORITY = 5


SCOPES = ("branch", "org_members", "org_secretaries")


def notice_reply(b: Broadcast, header: str) -> Reply:
    """The notice exactly as members see it (also used for the author's preview)."""
    text = f"📣 <b>{esc(header)}</b>\n\n{esc(b.text)}"
    buttons = [[Button(_("Received ✓"), AckNotice(b.id).pack())]] if b.ack_requested else []
    media = MediaRef.from_dict(b.media) if b.media else None
    return Reply(text=text, buttons=buttons, media=media)


_LABEL_CHARS = 40


def notice_label(b: Broadcast) -> str:
    """A notice as the secretary recognises it, never its record number: the start of its text in quotes
    and the day it was written, e.g. “Họp chi bộ tháng 12 vào 19:30…” (28/11). HTML-escaped."""
    words = " ".join((b.text or "").split())
    if len(words) > _LABEL_CHARS:
        words = words[:_LABEL_CHARS].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    day = b.created_at.strftime("%d/%m") if b.created_at else ""
    if not words:
        return f"({day})" if day else ""
    return f"“{esc(words)}” ({day})" if day else f"“{esc(words)}”"


async def _header(s: AsyncSession, b: Broadcast) -> str:
    if b.branch_id is not None:
        branch = await s.get(Branch, b.branch_id)
        return _("Notice from {name}").format(name=branch.name if branch else "")
    org = await s.get(Organization, b.org_id)
    return _("Notice from {name}").format(name=org.name if org else "")


async def org_branch_ids(s: AsyncSession, org_id: int) -> list[int]:
    return list((await s.execute(select(Branch.id).where(Branch.org_id == org_id))).scalars().all())


async def _reachable(s: AsyncSession, person_ids: set[int]) -> dict[int, tuple[outbox.Recipient, str]]:
    """person -> (preferred reachable account, locale), in bulk (a broadcast may reach thousands)."""
    found: dict[int, tuple[outbox.Recipient, str]] = {}
    ids = sorted(person_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        people = {
            p.id: p for p in (await s.execute(select(Person).where(Person.id.in_(chunk)))).scalars().all()
        }
        idents = (
            (
                await s.execute(
                    select(Identity)
                    .where(Identity.person_id.in_(chunk), Identity.reachable.is_(True))
                    .order_by(Identity.id)
                )
            )
            .scalars()
            .all()
        )
        by_person: dict[int, list[Identity]] = defaultdict(list)
        for ident in idents:
            by_person[ident.person_id].append(ident)
        for pid, rows in by_person.items():
            person = people.get(pid)
            if person is None or person.erased_at is not None:
                continue
            pref = person.preferred_channel
            ident = sorted(rows, key=lambda r, pref=pref: (r.channel != (pref or r.channel), r.id))[0]
            found[pid] = (
                outbox.Recipient(ChatRef(ident.channel, ident.chat_id, ident.bot), pid, ident.id),
                person.locale,
            )
    return found


class BroadcastUseCase:
    """Shared by the broadcast use cases: built once per App by ``services.get``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _check_scope(
        self, s: AsyncSession, actor: Actor, scope: str, branch_id: int | None, org_id: int | None
    ) -> tuple[int, int | None]:
        if scope not in SCOPES:
            raise InvalidInput(_("Unknown audience."))
        if scope == "branch":
            if branch_id is None:
                raise NotFound(_("That branch does not exist."))
            branch = await managed_branch(s, actor, branch_id, "broadcast")
            return branch.org_id, branch.id
        if org_id is None or await s.get(Organization, org_id) is None:
            raise NotFound(_("That Party committee does not exist."))
        require_org_admin(actor, org_id, "broadcast.org")
        return org_id, None

    async def _own(self, s: AsyncSession, actor: Actor, broadcast_id: int) -> Broadcast:
        b = await s.get(Broadcast, broadcast_id)
        if b is None:
            raise NotFound(_("That notice does not exist."))
        await self._check_scope(s, actor, b.scope, b.branch_id, b.org_id)
        return b

    async def _recipients(self, s: AsyncSession, b: Broadcast, now: datetime) -> set[int]:
        if b.scope == "branch":
            assert b.branch_id is not None
            members = await active_member_ids(s, b.branch_id)
            if b.audience == "pick":
                return members & set(b.person_ids or [])
            aud = self.deps.ext.audiences.get(b.audience)
            return (await aud.members(s, self.deps, b.branch_id, now)) & members if aud else set()
        result: set[int] = set()
        for bid in await org_branch_ids(s, b.org_id):
            result |= (
                set(await seated_manager_ids(s, bid))
                if b.scope == "org_secretaries"
                else await active_member_ids(s, bid)
            )
        return result
