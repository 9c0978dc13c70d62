"""Every table that names a person is declared by a feature as erased by its eraser or kept by reference,
so a new feature cannot forget /xoadulieu (bot.kernel.feature.personal_data_gaps)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlmodel import SQLModel

from bot.installed import FEATURES
from bot.kernel.feature import Feature, all_models, personal_data_gaps
from bot.services.extensions import PersonalData
from storage.models import calendar, joining, org, outbox, people, system

ENGINE_MODULES = (calendar, joining, org, outbox, people, system)


def engine_models() -> list[type]:
    return [obj for mod in ENGINE_MODULES for obj in vars(mod).values()
            if isinstance(obj, type) and hasattr(obj, "__table__") and obj.__module__ == mod.__name__]


def _model(name: str, *columns: Column) -> type:  # type: ignore[type-arg]
    """A table outside SQLModel's metadata (so it never reaches the other tests' schema)."""
    meta = MetaData()
    Table("person", meta, Column("id", Integer, primary_key=True))
    return type(name, (), {"__table__": Table(name.lower(), meta, Column("id", Integer, primary_key=True),
                                              *columns), "__module__": "bot.features.notes.models"})


def test_every_installed_table_naming_a_person_is_declared():
    assert personal_data_gaps(FEATURES, engine_models()) == []
    # The lists above are the whole schema: no table escapes the check by not being listed.
    listed = {m.__table__.name for m in (*engine_models(), *all_models(FEATURES))}
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= listed


def test_a_feature_with_an_undeclared_person_table_is_named():
    note = _model("MemberNote", Column("person_id", Integer, ForeignKey("person.id")), Column("text", String))
    forgot = Feature(name="notes", models=(note,))
    [problem] = personal_data_gaps([*FEATURES, forgot], engine_models())
    assert "membernote" in problem and "'notes'" in problem
    # A plain id without a foreign key is a person too.
    loose = _model("LooseNote", Column("author_person_id", Integer))
    assert personal_data_gaps([*FEATURES, Feature(name="notes", models=(loose,))], engine_models())
    # Declared as erased but with no eraser to erase it: also named.
    no_eraser = Feature(name="notes", models=(note,), personal_data=PersonalData(erased=(note,)))
    [problem] = personal_data_gaps([*FEATURES, no_eraser], engine_models())
    assert "no eraser" in problem and "'notes'" in problem

    async def erase_notes(s, person_id, deps):  # type: ignore[no-untyped-def]
        return None

    fixed = Feature(name="notes", models=(note,), erasers=(erase_notes,), personal_data=PersonalData(erased=(note,)))
    assert personal_data_gaps([*FEATURES, fixed], engine_models()) == []
    kept = Feature(name="notes", models=(note,), personal_data=PersonalData(by_reference=(note,)))
    assert personal_data_gaps([*FEATURES, kept], engine_models()) == []


def test_an_engine_table_naming_a_person_must_be_declared_too():
    privacy = next(f for f in FEATURES if f.name == "privacy")
    others = [f for f in FEATURES if f.name != "privacy"]
    gaps = personal_data_gaps([*others, Feature(name="privacy", routers=privacy.routers)], engine_models())
    assert any("'outbox'" in g for g in gaps) and any("'person'" in g for g in gaps)
