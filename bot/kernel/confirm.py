"""Review cards: one confirm step before anything sent to someone else or that cannot be undone.

A handler that is about to do such a thing shows the summary instead and asks::

    await ask_confirm(ctx, "pledge_send", summary_html, {"version": 3},
                      yes=_("✅ Confirm and send"), edit=Button(_("✏️ Edit"), PledgeDraft("go").pack()))

and the feature's router declares what "confirm" does::

    @router.confirmed("pledge_send")
    async def send(ctx: Ctx, payload: dict[str, Any]) -> None: ...

The pending card lives in the person's conversation state (so a restart loses nothing) under a random
token; its buttons are ``cf:<token>:y``, ``cf:<token>:e`` (edit: runs the feature's own button given as
``edit``) and ``cf:<token>:n`` on every channel (a numbered list on Zalo).
A token is used once: pressing the card again, or an old card after a newer answer, changes nothing and
gets a polite reply. The card itself is closed by the dispatcher like every answered question.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import Button

if TYPE_CHECKING:
    from bot.kernel.context import Ctx

PREFIX = "cf"
MAX_PENDING = 8  # review cards kept per person; the oldest is dropped first
_DATA = re.compile(r"cf:([0-9a-f]{8}):([yne])")


async def ask_confirm(
    ctx: Ctx,
    action: str,
    summary: str,
    payload: dict[str, Any] | None = None,
    *,
    yes: str | None = None,
    edit: Button | None = None,
    cancel: str | None = None,
    back: str | None = None,
) -> None:
    """Send the review card ``summary`` (Reply HTML) with "confirm", an optional "edit" and "cancel".
    ``back``: the data of a feature's button run after "cancel", to show the question again (on Zalo only
    the latest numbered list answers, so the one that led here must be offered anew)."""
    if action not in ctx.registry.confirms:
        raise ValueError(f"no router declares the confirm action {action!r}")
    token = secrets.token_hex(4)
    pending = dict(ctx.state.get("confirms") or {})
    pending[token] = {"action": action, "payload": payload or {}, "edit": edit.data if edit else None,
                      "back": back}
    while len(pending) > MAX_PENDING:
        pending.pop(next(iter(pending)))
    ctx.set_state("confirms", pending)
    second = [Button(edit.label, f"{PREFIX}:{token}:e")] if edit is not None else []
    second.append(Button(cancel or _("✖️ Cancel"), f"{PREFIX}:{token}:n"))
    await ctx.reply(summary, [[Button(yes or _("✅ Confirm and send"), f"{PREFIX}:{token}:y")], second])


async def answer_confirm(ctx: Ctx, data: str) -> None:
    """A press on a review card: run the declared action once, or cancel."""
    m = _DATA.fullmatch(data)
    if m is None:
        raise StaleButton("bad review card data")
    token, verdict = m.groups()
    pending = dict(ctx.state.get("confirms") or {})
    entry = pending.pop(token, None)
    if entry is None:
        await ctx.reply(_("Comrade, this question has already been answered; nothing was changed."))
        return
    ctx.set_state("confirms", pending or None)
    if verdict == "n":
        await ctx.reply(_("Cancelled, comrade. Nothing was sent or changed."))
        if entry.get("back"):
            await _run_button(ctx, str(entry["back"]))
        return
    if verdict == "e":  # "edit": the card is closed and its token spent, then the feature's own button runs
        await _run_button(ctx, str(entry.get("edit") or ""))
        return
    fn = ctx.registry.confirms.get(str(entry.get("action")))
    if fn is None:
        raise StaleButton("confirm action no longer exists")
    await fn(ctx, dict(entry.get("payload") or {}))


async def _run_button(ctx: Ctx, data: str) -> None:
    button = ctx.registry.find_button(data)
    if button is None:
        raise StaleButton("review card without that button")
    await button.fn(ctx, button.kind.parse(data))
