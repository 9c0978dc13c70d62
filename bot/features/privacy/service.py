"""Leaving and erasing (/xoadulieu). Each feature declares an eraser for the personal data it holds;
this service runs them all in one transaction, then erases the engine's copies (docs/PRIVACY.md)."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Text, cast, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit, outbox
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.erasure import Erased, fragments, redact
from bot.services.identity import invalidate
from bot.services.media import MediaStore
from bot.services.org import OrgService
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity, Membership, MembershipStatus, Person
from storage.models.system import ConversationState

log = logging.getLogger("hocbac.privacy")

# The notice telling secretaries who left: it names the person, so its payload is blanked once delivered.
ERASED_NOTICE_PREFIX = "erased:"


class PrivacyService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def erase(self, actor: Actor) -> int:
        """Anonymise the person, end their memberships, erase every feature's data about them and the copies
        of it in messages and other people's open forms, tell secretaries. Branch totals keep an anonymous
        row so past figures stay right. Returns the branches notified."""
        now = self.deps.clock.now()
        org = OrgService(self.deps)
        placeholder = _("(deleted)")
        async with self.deps.db.session() as s:
            person = await s.get(Person, actor.person_id)
            assert person is not None
            rows = (
                await s.execute(
                    select(Membership, Branch).join(Branch, Branch.id == Membership.branch_id)
                    .where(Membership.person_id == person.id)
                )
            ).all()
            old_name = person.display_name
            idents = (await s.execute(select(Identity).where(Identity.person_id == person.id))).scalars().all()
            accounts = [(i.channel, i.bot, i.external_id) for i in idents]  # rewritten below
            found = Erased()
            found.add(old_name, *(i.display_name for i in idents), *(i.username for i in idents))
            for _name, fn in self.deps.ext.erasers:
                found.merge(await fn(s, person.id, self.deps))
            # Exports generated for their branches (deed pack, workbooks) hold their name, texts and photos
            # inside zip containers: deleted; copies still queued lose the attachment. A secretary asks again.
            found.media |= await MediaStore(self.deps).delete_generated({m.branch_id for m, _b in rows})
            needles = fragments(found.texts)
            await outbox.erase_person(s, person.id, needles=needles, media_keys=found.media, placeholder=placeholder)
            await _redact_states(s, needles, placeholder)
            for ident in idents:
                # The account is detached, so writing again starts afresh as a new person.
                ident.external_id = f"erased:{ident.id}"
                ident.chat_id = ""
                ident.display_name = ident.username = ""
                ident.reachable, ident.unreachable_reason = False, "erased"
                s.add(ident)
            person.display_name = placeholder
            person.erased_at = now
            s.add(person)
            # Told after the copies are erased, so this one notice keeps the name; blanked once delivered.
            for m, branch in rows:
                if m.status in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
                    m.status, m.left_at = MembershipStatus.LEFT.value, now
                    s.add(m)
                    await org.notify_managers(
                        s, branch, key=f"{ERASED_NOTICE_PREFIX}{person.id}:{branch.id}",
                        text_factory=lambda b=branch: _(
                            "ℹ️ {name} has left branch {branch} and asked for their data to be deleted."
                        ).format(name=esc(old_name), branch=esc(branch_title(b.name))),
                    )
            await audit.record(s, at=now, actor_person_id=None, action="person.erase", target=f"person:{person.id}")
        # Every worker drops the actor (and the name it holds); the old accounts start afresh as new people.
        await invalidate(self.deps, [actor.person_id], accounts=accounts)
        await _compact(self.deps)
        return len(rows)


async def _redact_states(s: AsyncSession, needles: list[str], placeholder: str) -> None:
    """Other people's open forms may hold the person's name (a secretary's pick list): redact it there too.
    (The Redis state store in scale mode keeps forms 30 days at most; it is not walked.)"""
    if not needles:
        return
    as_text = cast(ConversationState.data, Text)
    probes = {json.dumps(n)[1:-1] for n in needles} | set(needles)  # JSON text escapes non-ASCII
    rows = (
        await s.execute(select(ConversationState).where(or_(*(as_text.contains(p, autoescape=True)
                                                              for p in probes))))
    ).scalars().all()
    for row in rows:
        data, changed = redact(row.data, needles, placeholder)
        if changed:
            await s.execute(update(ConversationState).where(ConversationState.key == row.key).values(data=data))


async def _blank_delivered_notice(services: Any, row: OutboxMessage, status: str, message_ids: list[str]) -> None:
    """Outbox observer: the "X left and asked for erasure" notice is blanked once it is final."""
    if not row.key.startswith(ERASED_NOTICE_PREFIX):
        return
    deps = services.deps
    async with deps.db.session() as s:
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                        .values(payload=Reply(text=_("(deleted)")).to_dict()))
    await _compact(deps)


async def _compact(deps: Deps) -> None:
    """SQLite keeps deleted text in free pages and the WAL until the file is rebuilt. The erasure itself is
    committed already: a busy database (another process reading) is logged, and retried at the next one."""
    try:
        await deps.db.compact()
    except Exception:
        log.warning("could not compact the SQLite file after an erasure", exc_info=True)
