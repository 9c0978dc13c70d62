"""List user-facing msgids in the code that have no Vietnamese translation.

`python -m bot.devtools.i18n_check [--po FILE]` prints missing msgids (or appends empty entries to FILE
for a translator). The test suite runs ``missing()`` and fails on any untranslated string.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from bot.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]


def extract(root: Path = ROOT) -> dict[str, str]:
    """msgid -> first file:line that uses it, for every literal ``_("...")`` call."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if "devtools" in path.parts and path.name != "demo.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def missing(locale: str = "vi") -> dict[str, str]:
    cat = catalog(locale)
    return {msgid: where for msgid, where in extract().items() if msgid not in cat}


def unused(locale: str = "vi") -> dict[str, str]:
    """msgid -> catalog file, for translations no code uses any more (a reworded string leaves its old
    entry behind; kept, it could one day be read for a msgid that comes back with another meaning)."""
    from babel.messages.pofile import read_po

    used = extract()
    out: dict[str, str] = {}
    for po in sorted((ROOT / "locales" / locale).glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and isinstance(message.id, str) and message.id not in used:
                    out[message.id] = po.name
    return out


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def main(argv: list[str]) -> int:
    todo = missing()
    if "--po" in argv:
        target = Path(argv[argv.index("--po") + 1])
        with target.open("a", encoding="utf-8") as fh:
            for msgid, where in todo.items():
                fh.write(f'\n#: {where}\nmsgid "{_po_escape(msgid)}"\nmsgstr ""\n')
        print(f"appended {len(todo)} entries to {target}")
        return 0
    for msgid, where in todo.items():
        print(f"{where}: {msgid!r}")
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
