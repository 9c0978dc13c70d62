"""Several Telegram bots in one installation (TELEGRAM_BOTS): which bot serves a person, the links that name
it, and what happens to queued messages when a member moves to a đảng bộ served by another bot.

A đảng bộ is served by exactly one Telegram bot: its TELEGRAM_BOTS entry, else BOT_TOKEN's default bot
(key ""). A person's *home* bot is the bot of their current đảng bộ (their first active membership's, else the
đảng bộ they administer). A Telegram user id is the same on every bot, so one person may have an identity on
several bots; proactive messages go to the identity on the home bot. With TELEGRAM_BOTS empty nothing here
changes anything (every function returns early), so a single-bot installation behaves exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.messages import ChatRef, esc
from storage.models.org import Branch, Organization
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Membership, MembershipStatus, OrgRole

if TYPE_CHECKING:
    from bot.services.deps import Deps
    from bot.services.outbox import Recipient

log = logging.getLogger("hocbac.bots")

TELEGRAM = "telegram"
MOVED_REASON = "moved to a đảng bộ served by another Telegram bot, which the person has not opened yet"


def several(deps: Deps) -> bool:
    return bool(deps.settings.telegram_bots)


# --- the home bot -------------------------------------------------------------------------------------


async def home_orgs(s: AsyncSession, person_ids: Sequence[int]) -> dict[int, int]:
    """person -> their current đảng bộ: the first active membership's, else the first one they administer."""
    found: dict[int, int] = {}
    ids = sorted(set(person_ids))
    for i in range(0, len(ids), 500):  # SQLite caps bound parameters per statement
        chunk = ids[i:i + 500]
        rows = (await s.execute(
            select(Membership.person_id, Branch.org_id).join(Branch, Branch.id == Membership.branch_id)
            .where(Membership.person_id.in_(chunk), Membership.status == MembershipStatus.ACTIVE.value)
            .order_by(Membership.id))).all()
        for pid, org_id in rows:
            found.setdefault(pid, org_id)
        rest = [p for p in chunk if p not in found]
        if rest:
            for pid, org_id in (await s.execute(select(OrgRole.person_id, OrgRole.org_id).where(
                    OrgRole.person_id.in_(rest)).order_by(OrgRole.id))).all():
                found.setdefault(pid, org_id)
    return found


async def home_bot(s: AsyncSession, deps: Deps, person_id: int) -> str | None:
    """The key of the bot of the person's đảng bộ; None with a single bot or when they belong nowhere."""
    if not several(deps):
        return None
    org_id = (await home_orgs(s, [person_id])).get(person_id)
    return deps.settings.telegram_bot_key(org_id) if org_id is not None else None


def _recipient(ident: Identity) -> Recipient:
    from bot.services.outbox import Recipient

    return Recipient(ChatRef(ident.channel, ident.chat_id, ident.bot), ident.person_id, ident.id)


async def home_recipient(s: AsyncSession, deps: Deps, to: Recipient) -> Recipient:
    """``to`` (a person's Telegram account on some bot), moved to their account on their đảng bộ's bot when
    they have a reachable one there. Zalo recipients and single-bot installations are left as they are; a
    person who has not opened their đảng bộ's bot yet is still reached where they are (nothing is lost)."""
    if not several(deps) or to.person_id is None or to.chat.channel != TELEGRAM:
        return to
    bot = await home_bot(s, deps, to.person_id)
    if bot is None or bot == to.chat.bot:
        return to
    ident = (await s.execute(select(Identity).where(
        Identity.person_id == to.person_id, Identity.channel == TELEGRAM, Identity.bot == bot,
        Identity.reachable.is_(True)).order_by(Identity.id).limit(1))).scalar_one_or_none()
    return _recipient(ident) if ident is not None else to


async def home_recipients(s: AsyncSession, deps: Deps, people: dict[int, Recipient]) -> dict[int, Recipient]:
    """Bulk :func:`home_recipient` (the daily tick, broadcasts): person -> recipient, in a few queries."""
    if not several(deps):
        return people
    tg = [pid for pid, to in people.items() if to.chat.channel == TELEGRAM]
    if not tg:
        return people
    orgs = await home_orgs(s, tg)
    want = {pid: deps.settings.telegram_bot_key(org) for pid, org in orgs.items()}
    moving = [pid for pid in tg if pid in want and want[pid] != people[pid].chat.bot]
    out = dict(people)
    for i in range(0, len(moving), 500):
        chunk = moving[i:i + 500]
        idents = (await s.execute(select(Identity).where(
            Identity.person_id.in_(chunk), Identity.channel == TELEGRAM, Identity.reachable.is_(True))
            .order_by(Identity.id))).scalars().all()
        for ident in idents:
            if ident.bot == want[ident.person_id] and out[ident.person_id].chat.bot != ident.bot:
                out[ident.person_id] = _recipient(ident)
    return out


# --- links ----------------------------------------------------------------------------------------------


def bot_username(deps: Deps, org_id: int | None) -> str:
    """The @username (without @) of the bot serving đảng bộ ``org_id``, as getMe told at start-up."""
    usernames: dict[str, str] = deps.extras.get("telegram_usernames") or {}
    return usernames.get(deps.settings.telegram_bot_key(org_id), "")


def join_link(deps: Deps, org_id: int | None, payload: str, channel: Any = None) -> str | None:
    """The t.me link that opens the bot of đảng bộ ``org_id`` with ``/start payload``. With a single bot (or
    outside Telegram) it is the current channel's own deep link, as before."""
    own = getattr(channel, "deep_link", None)
    if not several(deps) or getattr(channel, "name", TELEGRAM) != TELEGRAM:
        return own(payload) if own is not None else None
    name = bot_username(deps, org_id)
    return f"https://t.me/{name}?start={payload}" if name else (own(payload) if own is not None else None)


# --- a code typed to the wrong bot ---------------------------------------------------------------------


async def wrong_bot(s: AsyncSession, deps: Deps, identity_id: int, org_id: int | None, code: str) -> str | None:
    """A polite refusal when a Telegram code of đảng bộ ``org_id`` is typed to a bot that does not serve it
    (the member would otherwise hear from their đảng bộ through a bot that is not theirs), with the link of
    the right bot; None when it is the right bot."""
    if not several(deps) or org_id is None:
        return None
    ident = await s.get(Identity, identity_id)
    if ident is None or ident.channel != TELEGRAM:
        return None
    want = deps.settings.telegram_bot_key(org_id)
    if ident.bot == want:
        return None
    org = await s.get(Organization, org_id)
    name = bot_username(deps, org_id)
    where = f"@{name}: https://t.me/{name}?start={code}" if name else _("your đảng bộ's bot")
    return _("This code is for {org}, which has its own Học Bác bot. Please open {bot} and send the code there "
             "(the link sends it for you).").format(org=esc(org.name if org else "?"), bot=esc(where))


# --- a member who moved to a đảng bộ of another bot ------------------------------------------------------


async def rebind_pending(s: AsyncSession, deps: Deps, person_id: int) -> tuple[int, int]:
    """After a membership change: the person's queued Telegram rows addressed to another bot than their
    đảng bộ's are re-addressed to their account on that bot, or, when they have none there yet, finished as
    skipped with the reason (never sent by the old bot, never twice: only ``pending`` rows move, in the
    caller's transaction; a row being sent right now is left to its sender). Returns (moved, skipped)."""
    bot = await home_bot(s, deps, person_id)
    if bot is None:
        return 0, 0
    stale = (OutboxMessage.person_id == person_id, OutboxMessage.channel == TELEGRAM, OutboxMessage.bot != bot,
             OutboxMessage.status == OutboxStatus.PENDING.value)
    ident = (await s.execute(select(Identity).where(
        Identity.person_id == person_id, Identity.channel == TELEGRAM, Identity.bot == bot,
        Identity.reachable.is_(True)).order_by(Identity.id).limit(1))).scalar_one_or_none()
    if ident is not None:
        result = await s.execute(update(OutboxMessage).where(*stale).values(
            bot=bot, chat_id=ident.chat_id, identity_id=ident.id).execution_options(synchronize_session=False))
        moved, skipped = int(result.rowcount or 0), 0
    else:
        result = await s.execute(update(OutboxMessage).where(*stale).values(
            status=OutboxStatus.SKIPPED.value, last_error=MOVED_REASON).execution_options(synchronize_session=False))
        moved, skipped = 0, int(result.rowcount or 0)
    if moved or skipped:
        log.info("person %s moved to bot %r: %s queued messages re-addressed, %s skipped", person_id, bot or "default",
                 moved, skipped)
    return moved, skipped
