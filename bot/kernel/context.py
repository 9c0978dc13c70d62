"""What a handler gets: the inbound message, the actor, services, and ways to answer."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.clock import local_now
from bot.delivery import Channel, DeliveryError, RetryableError, SentMessage
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply
from bot.services.actor import Actor
from bot.services.deps import Services
from bot.services.errors import PermissionDenied

if TYPE_CHECKING:
    from bot.kernel.forms import FormRunner
    from bot.kernel.routing import Registry
    from bot.messages import Inbound

log = logging.getLogger("hocbac.handlers")
T = TypeVar("T")


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
    ) -> SentMessage | None:
        return await self.send(Reply(text=text, buttons=buttons or [], menu=menu, remove_menu=remove_menu,
                                     media=media))

    async def edit(self, message_id: str, text: str, buttons: list[list[Button]] | None = None) -> SentMessage | None:
        return await self.send(Reply(text=text, buttons=buttons or [], edit_of=message_id))

    async def send(self, reply: Reply) -> SentMessage | None:
        """Deliver at once to this chat. 429s are waited out (up to 10 s in all: the sender may be spending
        the same chat's budget, e.g. on a broadcast's progress edits); other failures are logged, not
        raised, because the person's action has already been saved by then."""
        waited = 0.0
        for _attempt in range(4):
            try:
                sent = await self.channel.deliver(self.inbound.chat, reply)
                self.sent.append(sent)
                self.remember_choices(reply)
                return sent
            except RetryableError as exc:
                if exc.retry_after is not None and waited + exc.retry_after <= 10:
                    waited += exc.retry_after
                    await asyncio.sleep(exc.retry_after)
                    continue
                log.warning("direct reply not delivered: %s", exc.reason)
                return None
            except DeliveryError as exc:
                log.warning("direct reply not delivered: %s", exc.reason)
                return None
        return None

    def remember_choices(self, reply: Reply) -> None:
        """On channels without buttons, remember the numbered choices so "1", "2" map back."""
        if self.channel.caps.buttons:
            return
        choices = reply.choices()
        if choices:
            self.set_state("choices", [{"label": b.label, "data": b.data} for b in choices])

    async def ack(self, text: str = "") -> None:
        try:
            await self.channel.ack(self.inbound, text)
        except DeliveryError as exc:
            log.debug("ack failed: %s", exc.reason)
