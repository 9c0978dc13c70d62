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

from bot.kernel.help import HelpLine, check_help
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
    Pending,
    PerApp,
    PersonalData,
    ProfileSection,
    RecordSection,
    SendGate,
    Series,
    Tick,
    YearFileSection,
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
    # Its tables about a person: erased or kept by reference (checked by personal_data_gaps).
    personal_data: PersonalData = field(default_factory=PersonalData)
    join_guards: Sequence[JoinGuard] = ()
    outbox_observers: Sequence[OutboxObserver] = ()
    record_sections: Sequence[RecordSection] = ()
    profile_sections: Sequence[ProfileSection] = ()
    # Its sections of a member's year file (/namcuatoi), read by the yearfile feature.
    year_file_sections: Sequence[YearFileSection] = ()
    # Built once per App from its services (a gate needs the App's database and settings).
    send_gates: Sequence[Callable[[Any], SendGate]] = ()
    providers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    cli: Sequence[CliRegister] = ()
    # Run once when an App is built; one raises SystemExit("one clear line") to stop start-up.
    startup_checks: Sequence[Callable[[], None]] = ()
    catalog: str | None = None  # the .po domain in bot/locales/<locale>/<catalog>.po
    # Where its commands sit in /help and the "/" menu: the task, and the roles whose short /help lists them.
    help: Sequence[HelpLine] = ()
    # dash-branch: its charts (figures over time) and pending work on the dashboard's branch page.
    series: Sequence[Series] = ()
    pending: Sequence[Pending] = ()


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
    registry = Registry([router for f in features for router in f.routers])
    registry.help_lines = [line for f in features for line in f.help]
    try:
        check_help(registry.help_lines, registry)
    except ValueError as exc:
        raise FeatureError(str(exc)) from None
    return registry


def build_extensions(features: Sequence[Feature], services: Any) -> Extensions:
    """One App's registries, checked: unique keys everywhere, providers known and declared once."""
    for f in features:
        for check in f.startup_checks:
            check()
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
            setattr(ext.providers, name, fn.make(services) if isinstance(fn, PerApp) else fn)
        ext.erasers.extend((f"{f.name}.{getattr(fn, '__name__', 'eraser')}", fn) for fn in f.erasers)
        ext.join_guards.extend(f.join_guards)
        ext.outbox_observers.extend(f.outbox_observers)
        ext.record_sections.extend(f.record_sections)
        ext.profile_sections.extend(f.profile_sections)
        ext.year_file_sections.extend(f.year_file_sections)
        ext.send_gates.extend(make(services) for make in f.send_gates)
        # dash-branch: series and pending lists, unique names across features
        for ser in f.series:
            _unique("series", owners.setdefault("series", {}), ser.name, f.name)
            ext.series.append(ser)
        for pend in f.pending:
            _unique("pending", owners.setdefault("pending", {}), pend.name, f.name)
            ext.pending.append(pend)
    return ext


def check_menus(registry: Registry, labels: Mapping[str, str]) -> None:
    """Every menu label leads to a command some feature declares."""
    for label, command in labels.items():
        if command not in registry.commands:
            raise FeatureError(f"menu label {label!r} points at /{command}, which no feature declares")


# A column naming a person: a foreign key to person/identity, or one of these names (a plain id, no FK).
_PERSON_COLUMNS = ("person_id", "identity_id", "person_ids")


def _names_a_person(table: Any) -> bool:
    if table.name in ("person", "identity"):
        return True
    for col in table.columns:
        if any(fk.column.table.name in ("person", "identity") for fk in col.foreign_keys):
            return True
        if col.name in _PERSON_COLUMNS or col.name.endswith("_person_id"):
            return True
    return False


def personal_data_gaps(features: Sequence[Feature], engine_models: Sequence[type] = ()) -> list[str]:
    """Every table that names a person must be declared by a feature as erased or kept by reference, and a
    feature declaring erased tables must have an eraser (engine tables, ``storage.models``, are erased by
    the privacy feature's service itself). Returns the problems, each naming the table and the feature."""
    declared: dict[str, str] = {}
    problems: list[str] = []
    for f in features:
        pd = f.personal_data
        for model in (*pd.erased, *pd.by_reference):
            name = model.__table__.name  # type: ignore[attr-defined]
            if name in declared:
                problems.append(f"table {name!r} is declared by both {declared[name]!r} and {f.name!r}")
            declared[name] = f.name
        if not f.erasers and any(not m.__module__.startswith("storage.") for m in pd.erased):
            problems.append(f"feature {f.name!r} declares erased tables but no eraser")
    owners = {m.__table__.name: f"feature {f.name!r}" for f in features for m in f.models}  # type: ignore[attr-defined]
    for model in (*engine_models, *(m for f in features for m in f.models)):
        table = model.__table__  # type: ignore[attr-defined]
        if _names_a_person(table) and table.name not in declared:
            owner = owners.get(table.name, "the engine (storage.models)")
            problems.append(f"table {table.name!r} of {owner} names a person but no feature declares it in "
                            f"personal_data (erased by an eraser, or kept by reference)")
    return problems


def all_models(features: Sequence[Feature]) -> list[type]:
    return [model for f in features for model in f.models]
