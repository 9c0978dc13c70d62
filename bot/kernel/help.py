"""/help and Telegram's "/" menu, built from the features' declarations (one source).

A feature says, in its ``Feature(help=...)``, under which task each of its commands belongs and for which
roles it is one of the few lines of the short /help; the line's text is the command's own ``help``. The rest
sits behind "Xem thêm". The "account" task (leaving a branch, deleting one's data) is never in the short
part: a dangerous command is not listed next to /homnay. ``check_help`` enforces both at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.i18n import _
from bot.kernel.routing import CommandSpec, Registry
from bot.services.actor import Actor
from bot.services.permissions import HelpRole, can_use, help_role

# The tasks, in the order /help shows them. "account" is always last and always behind "Xem thêm".
TOPICS: dict[str, Callable[[], str]] = {
    "learn": lambda: _("📖 Daily study"),
    "deeds": lambda: _("✍️ Pledge and good deeds"),
    "meetings": lambda: _("📅 Branch meetings"),
    "branch": lambda: _("👥 Running the branch"),
    "reports": lambda: _("📊 Reports"),
    "committee": lambda: _("🏛 Party committee"),
    "start": lambda: _("🚪 Getting started"),
    "other": lambda: _("➕ Other"),
    "account": lambda: _("🔐 Data and account"),
}
MORE_ONLY = frozenset({"account"})  # tasks never in the short /help
SHORT_MIN, SHORT_MAX = 5, 8  # lines of the short /help for each role


@dataclass(frozen=True, slots=True)
class HelpLine:
    """One command's place in /help: its task and the roles whose short /help lists it."""

    command: str
    topic: str
    main: tuple[HelpRole, ...] = ()


class HelpError(ValueError):
    """A help declaration that cannot be shown (unknown command or task, a dangerous line in front)."""


def check_help(lines: Sequence[HelpLine], registry: Registry) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.command not in registry.commands:
            raise HelpError(f"help line for /{line.command}, which no feature declares")
        if line.topic not in TOPICS:
            raise HelpError(f"help line for /{line.command} names unknown task {line.topic!r}")
        if line.topic in MORE_ONLY and line.main:
            raise HelpError(f"/{line.command} is in task {line.topic!r}, which is only behind “Xem thêm”")
        if line.command in seen:
            raise HelpError(f"/{line.command} has two help lines")
        seen.add(line.command)


@dataclass(frozen=True, slots=True)
class HelpEntry:
    command: str
    text: str


def _usable(registry: Registry, actor: Actor) -> list[CommandSpec]:
    return [s for s in registry.unique_commands() if s.help is not None and can_use(actor, s.audience)]


def _placed(lines: Iterable[HelpLine]) -> dict[str, HelpLine]:
    return {line.command: line for line in lines}


def sections(registry: Registry, lines: Sequence[HelpLine], actor: Actor,
             part: str) -> list[tuple[str, list[HelpEntry]]]:
    """``part`` "main": the short /help of the actor's role; "more": everything else they may use. Each
    section is (task title, entries), in the order of TOPICS; commands without a declaration go to "other"."""
    role = help_role(actor)
    placed = _placed(lines)
    grouped: dict[str, list[HelpEntry]] = {key: [] for key in TOPICS}
    for spec in _usable(registry, actor):
        line = placed.get(spec.name)
        topic = line.topic if line else "other"
        is_main = line is not None and role in line.main
        if (part == "main") != is_main:
            continue
        assert spec.help is not None
        grouped[topic].append(HelpEntry(spec.name, spec.help()))
    order = {line.command: i for i, line in enumerate(lines)}
    return [(TOPICS[key](), sorted(entries, key=lambda e: order.get(e.command, len(order))))
            for key, entries in grouped.items() if entries]


def menu_commands(registry: Registry, lines: Sequence[HelpLine], actor: Actor | None) -> list[tuple[str, str]]:
    """Telegram's "/" menu for one person (``actor``) or for everyone (None: the default scope, the commands
    of members and newcomers): their short /help first, then the rest, the account task last."""
    placed = _placed(lines)
    role = help_role(actor) if actor is not None else "member"
    specs = [s for s in registry.unique_commands() if s.help is not None and s.in_menu
             and (s.audience in ("all", "member") if actor is None else can_use(actor, s.audience))]
    topics = list(TOPICS)

    def rank(spec: CommandSpec) -> tuple[int, int, int]:
        line = placed.get(spec.name)
        topic = line.topic if line else "other"
        main = 0 if line is not None and role in line.main else 1
        return (1 if topic in MORE_ONLY else 0, main, topics.index(topic))

    return [(s.name, s.help()) for s in sorted(specs, key=rank) if s.help is not None]
