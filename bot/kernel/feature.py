"""A feature declares itself in one object; the App builds its registries from the list of them.

``bot/features/installed.py`` names every feature. Nothing registers itself on import: a feature's
``feature.py`` builds a :class:`Feature` from its router, ticks, models and providers, and
:func:`build_extensions` checks the whole set at boot, so a clash or a typo stops start-up with the
feature's name instead of showing up later as an empty report.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.kernel.routing import Registry, Router
from bot.services.extensions import (
    PROVIDER_NAMES,
    Audience,
    Eraser,
    ExportSheet,
    Extensions,
    Figures,
    JoinGuard,
    OutboxObserver,
    ProfileSection,
    RecordSection,
    SendGate,
    Tick,
)

CliRegister = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds to the bot. Only ``name`` is required."""

    name: str
    routers: Sequence[Router] = ()
    ticks: Sequence[Tick] = ()
    models: Sequence[type] = ()  # SQLModel tables owned by this feature (migrations: docs/ARCHITECTURE.md)
    audiences: Sequence[Audience] = ()
    figures: Sequence[Figures] = ()
    export_sheets: Sequence[ExportSheet] = ()
    erasers: Sequence[Eraser] = ()
    join_guards: Sequence[JoinGuard] = ()
    outbox_observers: Sequence[OutboxObserver] = ()
    record_sections: Sequence[RecordSection] = ()
    profile_sections: Sequence[ProfileSection] = ()
    # Built once per App from its services (a gate needs the App's database and settings).
    send_gates: Sequence[Callable[[Any], SendGate]] = ()
    providers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    cli: Sequence[CliRegister] = ()
    catalog: str | None = None  # the .po domain in bot/locales/<locale>/<catalog>.po


class FeatureError(ValueError):
    """A feature list that cannot boot: the message names the feature(s) and the clash."""


def _unique(kind: str, seen: dict[str, str], key: str, owner: str) -> None:
    if key in seen:
        raise FeatureError(f"{kind} {key!r} is declared by both {seen[key]!r} and {owner!r}")
    seen[key] = owner


def build_registry(features: Sequence[Feature]) -> Registry:
    """The conversation registry (commands, buttons, forms, fallbacks) of these features' routers."""
    names: dict[str, str] = {}
    for f in features:
        _unique("feature", names, f.name, f.name)
    return Registry([router for f in features for router in f.routers])


def build_extensions(features: Sequence[Feature], services: Any) -> Extensions:
    """One App's registries, checked: unique keys everywhere, providers known and declared once."""
    ext = Extensions()
    owners: dict[str, dict[str, str]] = {k: {} for k in ("audience", "figure", "sheet", "tick", "provider")}
    for f in features:
        for aud in f.audiences:
            _unique("audience", owners["audience"], aud.key, f.name)
            ext.audiences[aud.key] = aud
        for fig in f.figures:
            for key in fig.keys:
                _unique("figure key", owners["figure"], key, f"{f.name}.{fig.name}")
            ext.figures.append(fig)
        for sheet in f.export_sheets:
            _unique("export sheet", owners["sheet"], sheet.key, f.name)
            ext.export_sheets[sheet.key] = sheet
        for t in f.ticks:
            _unique("tick", owners["tick"], t.name, f.name)
            ext.ticks[t.name] = t
        for name, fn in f.providers.items():
            if name not in PROVIDER_NAMES:
                raise FeatureError(f"feature {f.name!r} declares unknown provider {name!r}")
            _unique("provider", owners["provider"], name, f.name)
            setattr(ext.providers, name, fn)
        ext.erasers.extend((f"{f.name}.{getattr(fn, '__name__', 'eraser')}", fn) for fn in f.erasers)
        ext.join_guards.extend(f.join_guards)
        ext.outbox_observers.extend(f.outbox_observers)
        ext.record_sections.extend(f.record_sections)
        ext.profile_sections.extend(f.profile_sections)
        ext.send_gates.extend(make(services) for make in f.send_gates)
    return ext


def check_menus(registry: Registry, labels: Mapping[str, str]) -> None:
    """Every menu label leads to a command some feature declares."""
    for label, command in labels.items():
        if command not in registry.commands:
            raise FeatureError(f"menu label {label!r} points at /{command}, which no feature declares")


def all_models(features: Sequence[Feature]) -> list[type]:
    return [model for f in features for model in f.models]
