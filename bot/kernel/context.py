"""What a handler gets: the inbound message, the actor, services, and ways to answer."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.clock import local_now
from bot.delivery import Channel, DeliveryError, PermanentError, QuotaExhaustedError, RetryableError, SentMessage
from bot.i18n import _
from bot.kernel import choices
from bot.messages import Button, MediaRef, Reply, esc
from bot.services import outbox
from bot.services.actor import Actor
from bot.services.deps import Services
from bot.services.errors import PermissionDenied

if TYPE_CHECKING:
    from bot.kernel.forms import FormRunner
    from bot.kernel.intent import Intent
    from bot.kernel.routing import Registry
    from bot.messages import Inbound

log = logging.getLogger("hocbac.handlers")
T = TypeVar("T")

# 429s waited out inside the request before a reply goes to the outbox: the person's lock and a web slot
# are held meanwhile, and under a burst the sender paces the rest better than hundreds of sleeping requests.
REPLY_WAIT_SECONDS = 5.0
REPLY_ATTEMPTS = 4


@dataclass
class Ctx:
    inbound: Inbound
    channel: Channel
    services: Services
    registry: Registry
    actor: Actor | None
    state: dict[str, Any] = field(default_factory=dict)
    state_dirty: bool = False
    sent: list[SentMessage] = field(default_factory=list)
    replies: int = 0  # replies sent so far for this update: the index in a queued reply's outbox key
    reply_queued: bool = False  # one went to the outbox; the later ones follow it there, in order
    intent: Intent | None = None  # how a typed message without slash was read (bot.kernel.intent)
    origin_edited: bool = False  # the handler edited the pressed message itself (the kernel leaves it)
    keep_question: bool = False  # set by a handler whose press did not settle the question (e.g. asks more)
    close_pending: bool = False  # the press answers its question: close it before the first reply

    # --- access ---

    def svc(self, cls: type[T]) -> T:
        return self.services.get(cls)

    @property
    def now(self) -> datetime:
        return self.services.deps.clock.now()

    @property
    def local_now(self) -> datetime:
        return local_now(self.services.deps.clock)

    @property
    def today(self) -> date:
        return self.local_now.date()

    @property
    def forms(self) -> FormRunner:
        from bot.kernel.forms import FormRunner

        return FormRunner(self)

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise PermissionDenied(_("Please write to me in a private chat."))
        return self.actor

    def set_state(self, key: str, value: Any) -> None:
        if value is None:
            self.state.pop(key, None)
        else:
            self.state[key] = value
        self.state_dirty = True

    # --- answering (direct replies only; anything for someone else goes through the outbox) ---

    async def reply(
        self,
        text: str = "",
        buttons: list[list[Button]] | None = None,
        *,
        menu: list[list[str]] | None = None,
        remove_menu: bool = False,
        media: MediaRef | None = None,
        placeholder: str = "",
    ) -> SentMessage | None:
        return await self.send(Reply(text=text, buttons=buttons or [], menu=menu, remove_menu=remove_menu,
                                     media=media, placeholder=placeholder))

    async def edit(self, message_id: str, text: str, buttons: list[list[Button]] | None = None) -> SentMessage | None:
        return await self.send(Reply(text=text, buttons=buttons or [], edit_of=message_id))

    async def send(self, reply: Reply) -> SentMessage | None:
        """Deliver at once to this chat. A short run of 429s is waited out here; past that, and on a 5xx or a
        network fault, the reply goes to the outbox (highest priority, keyed by update and reply index) for
        the sender, and this returns None. A permanent failure (the person blocked the bot, a bad request) is
        logged at WARNING with its reason. Nothing is raised: the person's action is saved by then."""
        if reply.edit_of and reply.edit_of == self.inbound.message_id:
            self.origin_edited = True
            self.close_pending = False  # the handler shows the outcome in the question itself
        elif self.close_pending:
            await self.settle_question()  # first the question shows its answer, then the replies follow
        self.replies += 1
        index = self.replies
        if self.reply_queued:
            # An earlier reply of this update is waiting in the outbox: queue this one too, to keep the order.
            await self._queue(reply, index, "an earlier reply is queued")
            return None
        self.number_choices(reply)
        waited = 0.0
        for _attempt in range(REPLY_ATTEMPTS):
            try:
                sent = await self.channel.deliver(self.inbound.chat, reply)
            except RetryableError as exc:
                if exc.retry_after is not None and waited + exc.retry_after <= REPLY_WAIT_SECONDS:
                    waited += exc.retry_after
                    await asyncio.sleep(exc.retry_after)
                    continue
                await self._queue(reply, index, exc.reason)
                return None
            except QuotaExhaustedError as exc:
                # The bot's month is used up. Kept in the outbox: the quota gate holds it for next month if it
                # still matters then (information), or drops it (a menu, a list of choices).
                actor = self.actor
                log.warning("direct reply not sent, quota exhausted (person %s, identity %s, update %s): %s",
                            actor.person_id if actor else None, actor.identity_id if actor else None,
                            self.inbound.update_id, exc.reason)
                await self._queue(reply, index, exc.reason)
                return None
            except PermanentError as exc:
                why = "unreachable" if exc.unreachable else "refused"
                log.warning("direct reply dropped (%s, update %s): %s", why, self.inbound.update_id, exc.reason)
                return None
            except DeliveryError as exc:
                log.warning("direct reply dropped (update %s): %s", self.inbound.update_id, exc.reason)
                return None
            self.sent.append(sent)
            return sent
        await self._queue(reply, index, f"rate limited {REPLY_ATTEMPTS} times")
        return None

    async def _queue(self, reply: Reply, index: int, reason: str) -> None:
        """Hand a reply the channel could not take now to the outbox (see ``send``)."""
        chat = self.inbound.chat
        actor = self.actor if self.inbound.is_private else None  # a group reply belongs to no one person
        to = outbox.Recipient(chat, actor.person_id if actor else None, actor.identity_id if actor else None)
        key = outbox.reply_key(chat, self.inbound.update_id or uuid.uuid4().hex, index)
        try:
            async with self.services.deps.db.session() as s:
                await outbox.enqueue_reply(s, key=key, to=to, reply=reply, now=self.now)
        except Exception:
            log.exception("direct reply dropped (update %s): not delivered (%s) and not queued",
                          self.inbound.update_id, reason)
            return
        self.reply_queued = True
        log.info("direct reply queued for the sender (update %s): %s", self.inbound.update_id, reason)

    def number_choices(self, reply: Reply) -> None:
        """On channels without buttons, number the choices after the chat's live ones and keep them, so "4"
        maps back (bot.kernel.choices). Done before delivery: the numbers are part of the text."""
        if self.channel.caps.buttons:
            return
        buttons = reply.choices()
        if buttons:
            reply.choice_start = choices.add_group(self.state, buttons)
            self.state_dirty = True

    async def settle_question(self) -> None:
        """Close the answered question (once, if the press answers it): edit the pressed message to show
        the choice made, without its buttons. Channels that cannot edit get nothing here; their numbered
        list is marked answered by the dispatcher instead. Kept as it is when the handler set
        ``keep_question`` or edited the message itself."""
        if not self.close_pending:
            return
        self.close_pending = False
        inbound = self.inbound
        if self.keep_question or self.origin_edited or inbound.kind != "callback" or not inbound.message_id:
            return
        label = inbound.extras.get("pressed_label")
        if not self.channel.caps.edit or not label or "origin_html" not in inbound.extras:
            return  # the channel did not tell us what the question looked like: leave it
        origin = inbound.extras["origin_html"]
        choice = "→ <b>" + esc(label) + "</b>"
        await self.send(Reply(text=f"{origin}\n\n{choice}" if origin else choice, edit_of=inbound.message_id,
                              edit_only=True))

    async def ack(self, text: str = "") -> None:
        try:
            await self.channel.ack(self.inbound, text)
        except DeliveryError as exc:
            log.debug("ack failed: %s", exc.reason)
