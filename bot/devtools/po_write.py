"""Write a Vietnamese .po catalog from a {msgid: msgstr} dict (used when adding a feature's strings)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def write_catalog(path: Path, translations: dict[str, str], locale: str = "vi") -> None:
    """Merge ``translations`` into the .po file at ``path`` (created if absent), sorted by msgid."""
    catalog = Catalog(locale=locale, project="hocbac", charset="utf-8")
    if path.exists():
        with path.open("rb") as fh:
            for msg in read_po(fh, locale=locale):
                if msg.id:
                    catalog.add(msg.id, msg.string)
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, omit_header=False)
