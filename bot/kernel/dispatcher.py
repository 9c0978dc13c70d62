"""The dispatcher: one neutral entry point for every channel.

For each inbound event it resolves the person, takes that person's lock (so two updates of one person
never interleave), loads their conversation state, routes the event and saves the state. A domain error
becomes a polite reply; any other error is logged and the person gets a short apology, never a trace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from bot.delivery import Channel
from bot.i18n import _, use_locale
from bot.kernel import choices
from bot.kernel.callbacks import StaleButton
from bot.kernel.clean import clean_inbound
from bot.kernel.confirm import PREFIX as CONFIRM_PREFIX
from bot.kernel.confirm import answer_confirm
from bot.kernel.context import Ctx
from bot.kernel.intent import read_intent
from bot.kernel.routing import CommandSpec, Registry, Unhandled
from bot.messages import Inbound, esc
from bot.services.actor import Actor
from bot.services.actor_cache import NOT_READ
from bot.services.deps import Services
from bot.services.errors import DomainError, PermissionDenied
from bot.services.identity import IdentityService
from bot.services.menus import all_labels, menu_for
from bot.services.permissions import can_use, is_waiting_for_approval
from bot.text import fold

log = logging.getLogger("hocbac.core")

CANCEL_WORDS = {"huy", "cancel", "thoi", "dung"}


class UserLocks(Protocol):
    """``lock(key, reads)`` yields ``{read: raw value}`` for the store keys it could read while taking the
    lock (Redis: in the same round trip); a key left out is read by its owner as usual."""

    def lock(self, key: str, reads: Sequence[str] = ()) -> AbstractAsyncContextManager[dict[str, Any]]: ...


class MemoryLocks:
    """Per-person asyncio locks for one process (Redis locks take over in scale mode)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def lock(self, key: str, reads: Sequence[str] = ()) -> AsyncIterator[dict[str, Any]]:
        lk = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lk:
                yield {}
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                self._locks.pop(key, None)


class RecentUpdates:
    """Drops an update id seen in the last ``size`` updates (Telegram resends after timeouts)."""

    def __init__(self, size: int = 20000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    async def first_time(self, channel: str, update_id: str) -> bool:
        key = f"{channel}:{update_id}"
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


class Dispatcher:
    def __init__(self, services: Services, registry: Registry, locks: UserLocks | None = None,
                 dedupe: RecentUpdates | None = None) -> None:
        self.services = services
        self.registry = registry
        self.locks = locks or MemoryLocks()
        self.dedupe = dedupe or RecentUpdates()
        self.handled = 0
        self.latencies: list[float] = []  # for /metrics; trimmed

    def state_key(self, inbound: Inbound) -> str:
        user = inbound.user.user_id if inbound.user else "-"
        return f"{inbound.chat.channel}:{inbound.chat.bot}:{inbound.chat.chat_id}:{user}"

    async def handle(self, inbound: Inbound, channel: Channel) -> None:
        started = time.perf_counter()
        try:
            # Update ids are counted per bot: with several bots the bot is part of the key.
            source = f"{inbound.channel}:{inbound.chat.bot}" if inbound.chat.bot else inbound.channel
            if inbound.update_id and not await self.dedupe.first_time(source, inbound.update_id):
                log.info("dropped repeated update %s", inbound.update_id)
                return
            await self._handle(inbound, channel)
        except Exception:
            # Last line of defence: nothing a user sends may crash the bot.
            log.exception("unhandled error for update %s (%s)", inbound.update_id, inbound.kind)
        finally:
            self.handled += 1
            self.latencies.append(time.perf_counter() - started)
            if len(self.latencies) > 5000:
                del self.latencies[:2500]

    async def _handle(self, inbound: Inbound, channel: Channel) -> None:
        clean_inbound(inbound)  # no control character reaches a feature or the database
        identities = self.services.get(IdentityService)
        if inbound.kind == "blocked" and inbound.user is not None:
            await identities.mark_account_unreachable(inbound.channel, inbound.chat.bot, inbound.user.user_id,
                                                      "blocked by the user")
            return
        if inbound.user is None or inbound.kind in ("member_update", "ignored"):
            return
        if not inbound.is_private:
            spec = self.registry.commands.get(inbound.command or "")
            if spec is None or not spec.groups:
                return  # the bot stays quiet in groups except for its few group commands
        key = self.state_key(inbound)
        # The lock is taken before the person is resolved, so one person's updates keep their order.
        # Taking it also reads the state and the actor-cache version (Redis: one round trip for the three).
        store = self.services.deps.state
        read_key = getattr(store, "read_key", None)
        state_read = read_key(key) if read_key is not None else None
        version_read = identities.cache.version_read_key(
            (inbound.user.channel, inbound.chat.bot, inbound.user.user_id))
        reads = [k for k in (state_read, version_read) if k is not None]
        async with self.locks.lock(key, reads) as read:
            version = read[version_read] if version_read in read else NOT_READ
            actor = await identities.resolve(inbound.user, inbound.chat.chat_id, inbound.chat.bot,
                                             inbound.is_private, version=version)
            with use_locale(actor.locale):
                if state_read in read:
                    state = store.decode(read[state_read])
                else:
                    state = await store.get(key)
                ctx = Ctx(inbound=inbound, channel=channel, services=self.services, registry=self.registry,
                          actor=actor, state=state)
                try:
                    await self._route(ctx)
                except StaleButton as exc:
                    # Old or forged button data is expected input, not a fault: one answer, no traceback.
                    # One feedback per tap: the message; the press itself is acknowledged without a pop-up.
                    log.info("stale button %r: %s", (inbound.choice or "")[:64], exc)
                    await ctx.ack()
                    await ctx.reply("⚠️ " + _("This button is no longer active."))
                except DomainError as exc:
                    await ctx.ack()
                    await ctx.reply("⚠️ " + esc(exc.message))
                except Exception:
                    log.exception("handler failed for %s", inbound.command or inbound.kind)
                    if inbound.kind == "callback":
                        await ctx.ack()
                    await ctx.reply(_("Sorry, something went wrong on our side. Your earlier answers are kept; "
                                      "please try again in a moment."))
                finally:
                    if ctx.state_dirty:
                        await self.services.deps.state.set(key, ctx.state, self.services.deps.clock.now())

    # --- routing ----------------------------------------------------------------------------------

    async def _route(self, ctx: Ctx) -> None:
        inbound = ctx.inbound
        if inbound.kind == "callback" or inbound.choice:
            await self._press(ctx)
            return
        if not ctx.channel.caps.buttons and self._map_typed_choice(ctx):
            await self._press(ctx)
            return
        folded = fold(inbound.text) if not inbound.command else ""
        if inbound.command in ("huy", "cancel") or (folded in CANCEL_WORDS):
            await self._cancel(ctx)
            return
        spec = self._command_for(ctx)
        if spec is not None:
            if ctx.forms.active:
                await ctx.forms.cancel()  # a new command leaves the form (forms may keep a draft on cancel)
            await self._run_command(ctx, spec)
            return
        if inbound.command:
            await ctx.reply(_("I do not know the command /{cmd}. Send /help to see what I can do.").format(
                cmd=esc(inbound.command[:40])))
            return
        if await ctx.forms.handle():
            return
        if await self._answered_again(ctx):
            return
        if not ctx.channel.caps.buttons and (number := choices.is_stale(ctx.state, inbound.text)) is not None:
            await ctx.reply(_("Number {n} is no longer among the choices waiting for you (that list is closed). "
                              "Send the command again to see the current list.").format(n=number))
            return
        await self._fallback(ctx)

    def _map_typed_choice(self, ctx: Ctx) -> bool:
        """On numbered-list channels, "2" or a label's words stand for pressing that choice."""
        if ctx.inbound.command or not ctx.state.get("choices"):
            return False
        picked = choices.take(ctx.state, ctx.inbound.text)
        if picked is None:
            return False
        ctx.inbound.choice = picked["data"]
        if self._answers(picked["data"]):
            # The card is answered: it closes, and a number typed for it later gets "already answered".
            choices.answer(ctx.state, picked)
            ctx.state_dirty = True
        return True

    def _answers(self, data: str) -> bool:
        """Whether pressing ``data`` answers its question (a form's choice, a review card, or a button kind
        declared with ``answers=True``)."""
        if data.startswith(("f:", f"{CONFIRM_PREFIX}:")):
            return True
        button = self.registry.find_button(data)
        return button is not None and button.kind.answers

    async def _answered_again(self, ctx: Ctx) -> bool:
        """On numbered-list channels, a number (or label) for a card already answered changes nothing. Only
        reached when no form, command or live card took the text."""
        if ctx.channel.caps.buttons or ctx.inbound.media:
            return False
        answered = choices.answered(ctx.state, ctx.inbound.text)
        if answered is None:
            return False
        await ctx.reply(_("Comrade, you have already answered this question ({choice}); nothing was "
                          "changed.").format(choice=esc(answered.get("chosen") or "")))
        return True

    async def _press(self, ctx: Ctx) -> None:
        data = ctx.inbound.choice or ""
        if data.startswith("f:"):
            if ctx.forms.active:
                ctx.close_pending = True  # a form's choice answers its question
                if await ctx.forms.handle():
                    await ctx.settle_question()
                    return
                ctx.close_pending = False
            if ctx.inbound.kind == "callback":
                await ctx.ack()
            await ctx.reply(_("This question is closed."))
            return
        if data.startswith(f"{CONFIRM_PREFIX}:"):
            ctx.close_pending = True
            await answer_confirm(ctx, data)
            await ctx.settle_question()
            await ctx.ack()
            return
        button = self.registry.find_button(data)
        if button is None:
            raise StaleButton("unknown prefix")
        value = button.kind.parse(data)  # parsed once, here; handlers never split strings
        ctx.close_pending = button.kind.answers
        await button.fn(ctx, value)
        await ctx.settle_question()
        await ctx.ack()

    def _command_for(self, ctx: Ctx) -> CommandSpec | None:
        inbound = ctx.inbound
        if inbound.command:
            return self.registry.commands.get(inbound.command)
        text = inbound.text or ""
        if not text or inbound.media:
            return None  # a photo's caption is never a typed command
        label_cmd = all_labels().get(text.strip())
        if label_cmd:
            return self.registry.commands.get(label_cmd)
        folded = fold(text)
        if ctx.forms.active or not (folded or text.strip()):
            return None  # an open form gets the message as its answer
        label_folded = {fold(label): cmd for label, cmd in all_labels().items()}
        cmd = label_folded.get(folded)
        if cmd and cmd in self.registry.commands:
            return self.registry.commands[cmd]
        # Zalo and elderly members type commands without slash or diacritics, with their arguments:
        # "hom nay", "co mat 1234", "tim kiem tiet kiem". The reading also tells the fallbacks whether the
        # message is a code, thanks or a greeting, an account of a deed, or something else.
        ctx.intent = read_intent(text, self.registry.typed)
        if ctx.intent.kind != "command":
            return None
        inbound.args = ctx.intent.args
        return self.registry.commands.get(ctx.intent.command)

    async def _run_command(self, ctx: Ctx, spec: CommandSpec) -> None:
        actor = ctx.actor
        assert actor is not None
        denial = audience_denial(actor, spec)
        if denial:
            raise PermissionDenied(denial)
        await spec.fn(ctx)

    async def _cancel(self, ctx: Ctx) -> None:
        cancelled = await ctx.forms.cancel()
        ctx.set_state("choices", None)
        if cancelled == "kept":
            return  # the form already said what it kept
        await ctx.reply(_("Cancelled. Nothing was saved from that form.") if cancelled
                        else _("There is nothing to cancel."), menu=menu_for(ctx.actor))

    async def _fallback(self, ctx: Ctx) -> None:
        inbound = ctx.inbound
        has_media = bool(inbound.media)
        for fb in self.registry.fallbacks:
            if has_media and not fb.media:
                continue
            if not has_media and not inbound.text:
                continue
            try:
                await fb.fn(ctx)
                return
            except Unhandled:
                continue
        if inbound.kind == "unsupported" or (has_media and not inbound.text):
            await ctx.reply(_("I cannot handle this kind of message yet. Send /help to see what I can do."))
            return
        await ctx.reply(_("I did not understand that. Send /help to see what I can do."))


def audience_denial(actor: Actor, spec: CommandSpec) -> str | None:
    """A friendly refusal for a command the person may not use (``permissions.can_use`` decides; the
    services still check everything)."""
    if can_use(actor, spec.audience):
        return None
    if spec.audience == "member":
        if is_waiting_for_approval(actor):
            return _("Your request to join is waiting for the secretary's approval.")
        return _("You have not joined a branch yet. Send the join code from your branch secretary.")
    if spec.audience == "manager":
        return _("This command is only for branch secretaries.")
    if spec.audience == "committee":
        return _("This command is only for Party committee administrators.")
    return _("This command is only for system administrators.")
