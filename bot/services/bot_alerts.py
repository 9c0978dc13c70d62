"""Telling the system admins (``ADMIN_IDS``) that one of the bots stopped: its token was refused (401).

Called by the sender (``Sender.on_revoked``, wired in bot.compose) the first time a bot's lane stops. The
message goes through the notify path, addressed through a bot that still works (never the stopped one),
under one outbox key per bot and day: every worker that meets the 401 asks, the admins hear it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from bot.i18n import _
from bot.messages import ChatRef, Reply, esc
from bot.services.deps import Deps
from bot.services.notify import notify_chat
from storage.models.people import Identity, Person

log = logging.getLogger("hocbac.bot_alerts")

KIND = "bot_revoked"

Usable = Callable[[str, str], bool]


def _bot_name(channel: str, bot: str) -> str:
    return f"{channel}:{bot}" if bot else channel


async def tell_admins_bot_revoked(deps: Deps, channel: str, bot: str, reason: str, usable: Usable) -> int:
    """Queue the warning to each system admin on a bot that still sends; returns how many were queued
    (0 too when it was already queued today: the key repeats)."""
    day = deps.clock.now().astimezone(deps.settings.tz).strftime("%Y-%m-%d")
    name = _bot_name(channel, bot)
    queued = 0
    async with deps.db.session() as s:
        for admin in deps.settings.admin_ids:
            admin_channel, _sep, external_id = admin.partition(":")
            rows = (await s.execute(select(Identity, Person.locale).outerjoin(Person, Person.id == Identity.person_id)
                                    .where(Identity.channel == admin_channel, Identity.external_id == external_id,
                                           Identity.reachable.is_(True)))).all()
            # The default bot first, then the others in a stable order; never the stopped bot.
            options = sorted(((i, loc) for i, loc in rows if usable(i.channel, i.bot)),
                             key=lambda r: (r[0].bot != "", r[0].bot))
            if options:
                ident, locale = options[0]
                chat, person_id = ChatRef(ident.channel, ident.chat_id, ident.bot), ident.person_id
            elif admin_channel == "telegram" and usable("telegram", ""):
                # Not known to any working bot yet: a Telegram private chat's id is the user's id.
                chat, person_id, locale = ChatRef("telegram", external_id, ""), None, None
            else:
                log.error("bot %s stopped (%s) and admin %s has no working bot to be told through",
                          name, reason, admin)
                continue

            def render(name: str = name) -> Reply:
                return Reply(text=_(
                    "⛔ <b>Bot {bot} has stopped sending</b>\nThe platform refused its token (401 Unauthorized): "
                    "it was revoked or changed. Its messages are kept in the queue and nothing is lost; the other "
                    "bots keep sending. Put the new token in the settings and restart the bot: it resumes where it "
                    "stopped.").format(bot=esc(name)))

            key = f"{KIND}:{name}:{day}:{admin}"[:200]
            if await notify_chat(s, deps, chat, kind=KIND, key=key, render=render, locale=locale,
                                 person_id=person_id):
                queued += 1
    if queued:
        log.warning("bot %s stopped (%s): told %s system admin(s)", name, reason, queued)
    return queued
