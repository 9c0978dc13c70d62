"""A small neutral router: commands, button prefixes, forms and fallbacks, checked at start-up.

Each feature's ``handlers.py`` exposes ``router = Router("name")`` and its ``feature.py`` declares it; the
App builds one Registry from the feature list. A name clash stops the boot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.kernel.callbacks import CallbackData, prefix_of
from bot.kernel.intent import TypedCommands
from bot.services.permissions import CommandAudience as Audience

if TYPE_CHECKING:
    from bot.kernel.context import Ctx
    from bot.kernel.forms import Form
    from bot.kernel.help import HelpLine

Takes = Literal["", "code", "text"]
HandlerFn = Callable[["Ctx"], Awaitable[None]]
ButtonFn = Callable[["Ctx", Any], Awaitable[None]]  # gets the parsed CallbackData value
ConfirmFn = Callable[["Ctx", dict[str, Any]], Awaitable[None]]  # a confirmed action; gets its payload


@dataclass(slots=True)
class CommandSpec:
    name: str
    fn: HandlerFn
    aliases: tuple[str, ...] = ()
    help: Callable[[], str] | None = None  # returns translated help text; None hides it from /help
    audience: Audience = "all"
    in_menu: bool = True  # listed in Telegram's command menu (setMyCommands)
    groups: bool = False  # also answered in group chats
    router: str = ""
    # How people type it without a slash, beyond its name and aliases ("tim", "viec tot cua toi"), and what
    # may follow it then: "" nothing (only polite words), "code" one code ("co mat 1234"), "text" anything.
    phrases: tuple[str, ...] = ()
    takes: Takes = ""


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    kind: type[CallbackData]
    fn: ButtonFn
    router: str


@dataclass(slots=True)
class FallbackSpec:
    fn: HandlerFn
    priority: int
    media: bool
    router: str


@dataclass
class Router:
    name: str
    commands: list[CommandSpec] = field(default_factory=list)
    buttons: dict[str, ButtonSpec] = field(default_factory=dict)
    forms: list[Form] = field(default_factory=list)
    fallbacks: list[FallbackSpec] = field(default_factory=list)
    confirms: dict[str, ConfirmFn] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *aliases: str,
        help: Callable[[], str] | None = None,
        audience: Audience = "all",
        in_menu: bool = True,
        groups: bool = False,
        phrases: tuple[str, ...] = (),
        takes: Takes = "",
    ) -> Callable[[HandlerFn], HandlerFn]:
        """``phrases`` and ``takes``: how the command is typed without a slash (``bot.kernel.intent``)."""

        def deco(fn: HandlerFn) -> HandlerFn:
            self.commands.append(
                CommandSpec(name, fn, aliases, help, audience, in_menu, groups, self.name, phrases, takes)
            )
            return fn

        return deco

    def button(self, kind: type[CallbackData]) -> Callable[[F], F]:
        """Handles presses of one button kind; the handler gets ``(ctx, data)`` with ``data`` already parsed."""

        def deco(fn: F) -> F:
            if not kind.prefix:
                raise ValueError(f"{kind.__name__} has no button prefix")
            if kind.prefix in self.buttons:
                raise ValueError(f"button prefix {kind.prefix!r} registered twice in {self.name}")
            self.buttons[kind.prefix] = ButtonSpec(kind, fn, self.name)
            return fn

        return deco

    def confirmed(self, action: str) -> Callable[[ConfirmFn], ConfirmFn]:
        """The action run when the person presses "confirm" on a review card asked with
        ``bot.kernel.confirm.ask_confirm(ctx, action, ...)``; it gets the payload stored with the card."""

        def deco(fn: ConfirmFn) -> ConfirmFn:
            if action in self.confirms:
                raise ValueError(f"confirm action {action!r} registered twice in {self.name}")
            self.confirms[action] = fn
            return fn

        return deco

    def form(self, form: Form) -> Form:
        self.forms.append(form)
        return form

    def fallback(self, priority: int = 100, media: bool = False) -> Callable[[HandlerFn], HandlerFn]:
        """Private-chat text (or media, when ``media``) that matched nothing else. Lower priority runs first;
        a fallback that does not want the message raises ``Unhandled``."""

        def deco(fn: HandlerFn) -> HandlerFn:
            self.fallbacks.append(FallbackSpec(fn, priority, media, self.name))
            return fn

        return deco


F = TypeVar("F", bound=ButtonFn)


class Unhandled(Exception):
    """Raised by a fallback to pass the message on to the next one."""


class Registry:
    def __init__(self, routers: list[Router]) -> None:
        self.routers = routers
        self.commands: dict[str, CommandSpec] = {}
        self.buttons: dict[str, ButtonSpec] = {}
        self.forms: dict[str, Form] = {}
        self.fallbacks: list[FallbackSpec] = []
        self.help_lines: list[HelpLine] = []  # set by build_registry from the features' declarations
        self.confirms: dict[str, ConfirmFn] = {}
        for router in routers:
            for spec in router.commands:
                for word in (spec.name, *spec.aliases):
                    if word in self.commands:
                        raise ValueError(
                            f"command /{word} registered by {router.name} and {self.commands[word].router}"
                        )
                    self.commands[word] = spec
            for prefix, button in router.buttons.items():
                if prefix in self.buttons or prefix in ("f", "cf"):  # the forms' and review cards' own data
                    raise ValueError(f"button prefix {prefix!r} registered twice ({router.name})")
                self.buttons[prefix] = button
            for form in router.forms:
                if form.name in self.forms:
                    raise ValueError(f"form {form.name!r} registered twice ({router.name})")
                self.forms[form.name] = form
            for action, fn in router.confirms.items():
                if action in self.confirms:
                    raise ValueError(f"confirm action {action!r} registered twice ({router.name})")
                self.confirms[action] = fn
            self.fallbacks.extend(router.fallbacks)
        self.fallbacks.sort(key=lambda f: f.priority)
        self.typed = TypedCommands.build(self.commands)  # a phrase declared twice stops the boot

    def find_button(self, data: str) -> ButtonSpec | None:
        return self.buttons.get(prefix_of(data))

    def unique_commands(self) -> list[CommandSpec]:
        seen: dict[str, CommandSpec] = {}
        for spec in self.commands.values():
            seen.setdefault(spec.name, spec)
        return list(seen.values())
