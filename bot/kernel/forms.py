"""The form engine: multi-step conversations with validation, re-asking, cancel and resume.

A form is a list of steps. The current form, step and answers live in the chat state (SQL or Redis), so
a restart mid-form loses nothing. Each step validates its input and re-asks politely; `/huy` cancels
anywhere. Button data carries a per-run nonce, so a press on an old form's button is refused.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.i18n import _
from bot.messages import Button, esc
from bot.services.errors import PermissionDenied
from bot.services.when import WhenError, read_day
from bot.text import fold, number

if TYPE_CHECKING:
    from bot.kernel.context import Ctx

log = logging.getLogger("hocbac.forms")

DONE = "__done__"
UPLOADS = "_uploads"  # media keys the form stored (new files only): removed when it ends without saving
Prompt = Callable[["Ctx", dict[str, Any]], str]
Options = Callable[["Ctx", dict[str, Any]], list[tuple[str, str]]]


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _static(text_fn: Callable[[], str]) -> Prompt:
    return lambda _ctx, _data: text_fn()


@dataclass
class Step:
    key: str
    prompt: Prompt
    # Optional explicit next step: returns a step key, DONE, or None for "the next one in order".
    next: Callable[[dict[str, Any]], str | None] | None = None
    skip_if: Callable[[dict[str, Any]], bool] | None = None
    # A hint in the empty input field while the answer is typed ("Ví dụ: 28/11"); channels that have no
    # such field ignore it. None: the step's own default (dates and times have one).
    placeholder: Prompt | None = None

    def hint(self, ctx: Ctx, data: dict[str, Any]) -> str:
        return self.placeholder(ctx, data) if self.placeholder is not None else ""

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return []

    def buttons(self, ctx: Ctx, data: dict[str, Any], nonce: str) -> list[list[Button]]:
        opts = self.options(ctx, data)
        return [[Button(label, f"f:{nonce}:{i}")] for i, (_value, label) in enumerate(opts)]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def pressed(self, ctx: Ctx, data: dict[str, Any], nonce: str) -> str | None:
        """The option value chosen by button (or by typing its label / number), if any."""
        opts = self.options(ctx, data)
        inbound = ctx.inbound
        if inbound.choice:
            m = re.fullmatch(r"f:([A-Za-z0-9]+):(\d+)", inbound.choice)
            if not m or m.group(1) != nonce or int(m.group(2)) >= len(opts):
                raise Invalid(_("That button belongs to an earlier question. Please use the latest one."))
            return opts[int(m.group(2))][0]
        typed = fold(inbound.text)
        if typed:
            for value, label in opts:
                if fold(label) == typed:
                    return value
        return None


@dataclass
class AskText(Step):
    max_len: int = 500
    min_len: int = 1
    optional: bool = False
    accept_voice: bool = False

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__skip__", _("Skip ⏭"))] if self.optional else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        nonce = data.get("_nonce", "")
        if self.pressed(ctx, data, nonce) == "__skip__":
            return None
        inbound = ctx.inbound
        if self.accept_voice and inbound.media and inbound.media[0].kind == "voice":
            return {"voice": inbound.media[0].to_dict()}
        text = (inbound.text or "").strip()
        if not text:
            if inbound.media:
                raise Invalid(_("Please answer with text."))
            raise Invalid(_("The answer is empty. Please type it."))
        if len(text) < self.min_len:
            raise Invalid(_("Please write at least {n} characters.").format(n=self.min_len))
        if len(text) > self.max_len:
            raise Invalid(
                _("That is too long ({length} characters). Please keep it within {n} characters.").format(
                    length=number(len(text)), n=number(self.max_len))
            )
        return text


@dataclass
class AskChoice(Step):
    choices: Options | None = None

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return self.choices(ctx, data) if self.choices else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = self.pressed(ctx, data, data.get("_nonce", ""))
        if value is None:
            raise Invalid(_("Please choose one of the options."))
        return value


@dataclass
class AskDate(Step):
    max_back_days: int | None = 60
    max_ahead_days: int | None = 0  # 0: not in the future; None: no limit
    quick: bool = True  # today / yesterday buttons

    def hint(self, ctx: Ctx, data: dict[str, Any]) -> str:
        if self.placeholder is not None:
            return self.placeholder(ctx, data)
        return example_hint(ctx.today.strftime("%d/%m"))

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        if not self.quick:
            return []
        today = ctx.today
        return [(today.isoformat(), _("Today")), ((today - timedelta(days=1)).isoformat(), _("Yesterday"))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = self.pressed(ctx, data, data.get("_nonce", ""))  # a button's ISO date goes through the checks too
        today = ctx.today
        try:
            day = read_day(
                value or ctx.inbound.text, today,
                earliest=None if self.max_back_days is None else today - timedelta(days=self.max_back_days),
                latest=None if self.max_ahead_days is None else today + timedelta(days=self.max_ahead_days),
            )
        except WhenError as exc:
            raise Invalid(exc.message) from exc
        return day.isoformat()


@dataclass
class AskPhoto(Step):
    """Collects up to ``max_count`` photos; the person presses "Done" (or skips) to go on."""

    max_count: int = 3
    optional: bool = True

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        have = data.get(self.key) or []
        return [("__done__", _("Done ✅") if have else _("No photo ⏭"))] if self.optional or have else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        have: list[dict[str, Any]] = list(data.get(self.key) or [])
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__done__":
            return _Finished(have)
        photos = [m for m in ctx.inbound.media if m.kind == "photo"]
        if not photos:
            if ctx.inbound.media:
                raise Invalid(_("Only photos can be attached here."))
            raise Invalid(_("Please send a photo, or press the button to go on."))
        have.append(photos[-1].to_dict())  # Telegram sends several sizes; the adapter puts the largest last
        if len(have) >= self.max_count:
            return _Finished(have[: self.max_count])
        return _More(have)


@dataclass
class _Finished:
    value: Any


@dataclass
class _More:
    value: Any


@dataclass
class Form:
    name: str
    steps: list[Step]
    on_complete: Callable[[Ctx, dict[str, Any]], Awaitable[None]]
    # Returns True when it kept something (a draft) and told the person so; the core then says no more.
    on_cancel: Callable[[Ctx, dict[str, Any]], Awaitable[bool | None]] | None = None
    _index: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._index = {s.key: i for i, s in enumerate(self.steps)}
        if len(self._index) != len(self.steps):
            raise ValueError(f"form {self.name}: duplicate step keys")

    def step(self, key: str) -> Step:
        return self.steps[self._index[key]]

    def following(self, key: str, data: dict[str, Any]) -> str:
        step = self.step(key)
        if step.next is not None:
            target = step.next(data)
            if target is not None:
                return target
        i = self._index[key] + 1
        while i < len(self.steps):
            nxt = self.steps[i]
            if nxt.skip_if is None or not nxt.skip_if(data):
                return nxt.key
            i += 1
        return DONE

    def first(self, data: dict[str, Any]) -> str:
        for s in self.steps:
            if s.skip_if is None or not s.skip_if(data):
                return s.key
        return DONE


class FormRunner:
    """Drives the active form kept in ``ctx.state['form']``."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    @property
    def active(self) -> str | None:
        form = self.ctx.state.get("form")
        return form["name"] if form else None

    @property
    def data(self) -> dict[str, Any]:
        form = self.ctx.state.get("form")
        return form["data"] if form else {}

    def _form(self, name: str) -> Form:
        return self.ctx.registry.forms[name]

    def track_upload(self, key: str) -> None:
        """A file the active form just stored (``media_intake``); it is removed if the form ends unsaved."""
        state = self.ctx.state.get("form")
        if not state:
            return
        uploads = state["data"].setdefault(UPLOADS, [])
        if key not in uploads:
            uploads.append(key)
        self.ctx.set_state("form", state)

    async def _discard_uploads(self, data: dict[str, Any]) -> None:
        keys = data.get(UPLOADS) or []
        if not keys:
            return
        from bot.services.media import MediaStore

        store = self.ctx.svc(MediaStore)
        for key in keys:
            try:
                await store.delete(key)
            except Exception:  # a file that cannot be removed must not turn a cancel into an error
                log.warning("could not remove upload %s of an unsaved form", key, exc_info=True)

    async def start(self, name: str, data: dict[str, Any] | None = None, step: str | None = None) -> None:
        form = self._form(name)
        data = dict(data or {})
        data["_nonce"] = secrets.token_hex(3)
        first = step or form.first(data)
        self.ctx.set_state("form", {"name": name, "step": first, "data": data})
        if first == DONE:
            await self._complete(form, data)
            return
        await self.ask()

    async def goto(self, step: str) -> None:
        state = self.ctx.state["form"]
        state["step"] = step
        state["data"]["_nonce"] = secrets.token_hex(3)
        self.ctx.set_state("form", state)
        await self.ask()

    async def ask(self, problem: str | None = None) -> None:
        state = self.ctx.state["form"]
        form = self._form(state["name"])
        step = form.step(state["step"])
        data = state["data"]
        text = step.prompt(self.ctx, data)
        if problem:
            text = f"⚠️ {esc(problem)}\n\n{text}"
        text += "\n\n<i>" + _("(Send /huy to cancel.)") + "</i>"
        buttons = step.buttons(self.ctx, data, data.get("_nonce", ""))
        if not buttons:
            # A typed answer is due: an older numbered list must not catch it ("5" for 05:00 is no choice).
            self.ctx.set_state("choices", None)
        await self.ctx.reply(text, buttons, placeholder=step.hint(self.ctx, data))

    async def handle(self) -> bool:
        """Feed the inbound message to the active form. Returns False when no form is active."""
        state = self.ctx.state.get("form")
        if not state:
            return False
        if state["name"] not in self.ctx.registry.forms:
            self.ctx.set_state("form", None)  # a form removed by an upgrade: drop it, politely
            await self._discard_uploads(state["data"])
            return False
        form = self._form(state["name"])
        step_key = state["step"]
        data = state["data"]
        try:
            step = form.step(step_key)
        except KeyError:
            self.ctx.set_state("form", None)
            await self._discard_uploads(data)
            return False
        try:
            value = await step.parse(self.ctx, data)
        except Invalid as exc:
            await self.ask(exc.message)
            return True
        if self.ctx.inbound.choice:
            await self.ctx.ack()
        if isinstance(value, _More):
            data[step.key] = value.value
            self.ctx.set_state("form", state)
            await self.ctx.reply(
                _("Got it ({n}/{max}). Send another photo, or press the button to go on.").format(
                    n=len(value.value), max=getattr(step, "max_count", 1)),
                step.buttons(self.ctx, data, data.get("_nonce", "")),
            )
            return True
        data[step.key] = value.value if isinstance(value, _Finished) else value
        nxt = form.following(step_key, data)
        if nxt == DONE:
            await self._complete(form, data)
            return True
        state["step"] = nxt
        data["_nonce"] = secrets.token_hex(3)
        self.ctx.set_state("form", state)
        await self.ask()
        return True

    async def _complete(self, form: Form, data: dict[str, Any]) -> None:
        # Cleared before on_complete so a failure there cannot trap the person in a loop; on_complete
        # saves the answers in one transaction, or raises and the person is told.
        self.ctx.set_state("form", None)
        clean = {k: v for k, v in data.items() if not k.startswith("_")}
        try:
            await form.on_complete(self.ctx, clean)
        except PermissionDenied:
            await self._discard_uploads(data)  # refused: trying again cannot help, so the form ends unsaved
            raise
        except Exception:
            # Keep the answers: put the form back at its last step so nothing typed is lost.
            self.ctx.set_state("form", {"name": form.name, "step": form.steps[-1].key, "data": data})
            raise

    async def cancel(self) -> bool | str:
        """False: no form was active; True: cancelled; "kept": the form's on_cancel kept a draft."""
        state = self.ctx.state.get("form")
        if not state:
            return False
        self.ctx.set_state("form", None)
        form = self.ctx.registry.forms.get(state["name"])
        if form and form.on_cancel:
            kept = await form.on_cancel(self.ctx, {k: v for k, v in state["data"].items() if not k.startswith("_")})
            if kept:
                return "kept"  # the kept draft may point at the uploads: they stay
        await self._discard_uploads(state["data"])
        return True


def example_hint(example: str) -> str:
    """The input placeholder of a step: "Ví dụ: 28/11"."""
    return _("E.g. {example}").format(example=example)


def text_prompt(fn: Callable[[], str]) -> Prompt:
    """A prompt that does not depend on the answers so far."""
    return _static(fn)
