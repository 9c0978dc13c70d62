"""Build bot/content/library/*.yaml and HELD.md from shared/content/hcm-quotes-v2.yaml.

Run from the repo root:  python -m bot.content.tools.import_v2 [--check]
Re-running must give byte-identical files (a reviewer diffs them); --check only reports differences.

What it does, and nothing more:
- ships exactly the ``status: ship`` entries; text, work, date, citation, via, occasions, source_url,
  source_outlet and confidence are copied verbatim by code (never retyped); ``theme`` becomes ``themes``;
- leaves out ``note`` and ``also_seen`` (internal: never shown to members; the shared corpus keeps them for
  reviewers) and ``status``/``hold_reason`` (every shipped item is ``ship``);
- adds our own ``reflection`` questions from the small reviewed table below (rendered with the label
  "Câu hỏi gợi mở (của hocbac)", after the source, never inside the quotation marks);
- writes library/HELD.md: every held entry with its hold_reason;
- validates everything with the loader's rules before writing anything: a bad entry stops the run with
  its line and reason, and no file is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import LIBRARY_DIR, read_yaml, validate_items
from bot.content.model import SHIP, ContentError

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_FILE = "content/hcm-quotes-v2.yaml"
COPIED = ("id", "kind", "text", "work", "date", "citation", "via")
ORDER = ("id", "kind", "text", "work", "date", "citation", "via", "themes", "occasions", "source_url",
         "source_outlet", "confidence", "reflection")
HELD_FILE = "HELD.md"

# Our own questions (rendered with the label "Câu hỏi gợi mở (của hocbac)"), never part of the quote.
REFLECTIONS: dict[str, str] = {
    "bon-duc-can-kiem-liem-chinh": "Hôm nay tôi đã thực hành chữ “Kiệm” bằng việc cụ thể nào?",
    "sao-cho-duoc-long-dan": "Tuần này tôi đã giải quyết được việc gì có lợi cho bà con nơi mình ở?",
    "hoc-nhan-dan": "Hôm nay tôi đã học được điều gì từ một người dân quanh mình?",
    "giai-thich-cho-dan-hieu": "Việc sắp làm của chi bộ, tôi đã giải thích cho bà con hiểu rõ chưa?",
    "dan-van-oc-nghi-mat-trong": "Hôm nay tôi đã đến tận nơi, nghe tận tai ý kiến của ai?",
}


def shared_dir() -> Path | None:
    """The project's shared/ directory: $HOCBAC_SHARED_DIR, else the repo's ../shared.

    In a git worktree (``.git`` is a file) ../shared is taken beside the main checkout.
    """
    env = os.environ.get("HOCBAC_SHARED_DIR")
    if env:
        return Path(env)
    candidates = [REPO_ROOT.parent / "shared"]
    git = REPO_ROOT / ".git"
    if git.is_file():
        gitdir = git.read_text(encoding="utf-8").partition("gitdir:")[2].strip()
        if gitdir:  # <main>/.git/worktrees/<name>
            candidates.append(Path(gitdir).resolve().parents[2].parent / "shared")
    return next((c for c in candidates if c.is_dir()), None)


def shared_file() -> Path | None:
    base = shared_dir()
    path = base / SHARED_FILE if base else None
    return path if path is not None and path.is_file() else None


def convert(entry: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {k: entry.get(k) for k in COPIED}
    item["themes"] = list(entry.get("theme") or [])
    if entry.get("occasions"):
        item["occasions"] = list(entry["occasions"])
    item["source_url"] = entry.get("source_url")
    item["source_outlet"] = entry.get("source_outlet")
    item["confidence"] = entry.get("confidence")
    if entry.get("id") in REFLECTIONS:
        item["reflection"] = REFLECTIONS[entry["id"]]
    if item["via"] is None:
        del item["via"]
    return {k: item[k] for k in ORDER if k in item}


def build(entries: Any, lines: list[int | None], source: str) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Library files (name -> items) and the HELD.md text. Raises ContentError naming line and reason."""
    if not isinstance(entries, list):
        raise ContentError(f"{source}: expected a list of entries")
    # The corpus itself, with every field, must pass the loader's rules (held entries are checked
    # for their status only: their words are not shipped).
    ship: list[dict[str, Any]] = []
    ship_lines: list[int | None] = []
    held: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        if not isinstance(entry, dict):
            raise ContentError(f"{source}:{line}: entry is not a mapping of field: value")
        status = entry.get("status")
        if status == SHIP:
            ship.append(entry)
            ship_lines.append(line)
        elif status == "hold":
            if not entry.get("hold_reason"):
                raise ContentError(f"{source}:{line} (id {entry.get('id')!r}): held without a hold_reason")
            held.append(entry)
        else:
            raise ContentError(f"{source}:{line} (id {entry.get('id')!r}): status must be ship or hold, "
                               f"not {status!r}")
    for entry, line in zip(ship, ship_lines, strict=True):
        unknown = sorted(set(entry) - {*COPIED, "theme", "occasions", "source_url", "source_outlet",
                                       "confidence", "status", "also_seen", "note", "kind"})
        if unknown:
            raise ContentError(f"{source}:{line} (id {entry.get('id')!r}): unknown field(s) {', '.join(unknown)}")
    converted = [convert(e) for e in ship]
    # Same rules as the bot applies at start-up, with the corpus's own line numbers.
    validate_items(converted, source, ship_lines)
    files: dict[str, list[dict[str, Any]]] = {}
    for item in converted:
        files.setdefault(f"{item['themes'][0]}.yaml", []).append(item)
    return files, held_report(held, len(ship))


def held_report(held: list[dict[str, Any]], shipped: int) -> str:
    out = [
        f"# Held entries (generated by bot/content/tools/import_v2.py from shared/{SHARED_FILE})",
        "",
        "Only `status: ship` entries of the shared corpus are in the library. These entries are on hold",
        "and are never sent; the reason is the corpus's own `hold_reason` (copied, put on one line).",
        "",
        f"Shipped: {shipped}; held: {len(held)}.",
        "",
    ]
    out += [f"- `{e['id']}`: {' '.join(str(e['hold_reason']).split())}" for e in held]
    return "\n".join(out) + "\n"


HEADER = (
    "# Generated by bot/content/tools/import_v2.py from shared/{src} -- do not edit by hand.\n"
    "# Only status: ship entries; text/work/date/citation/via/source_url/source_outlet are copied verbatim.\n"
    "# Each entry's internal note is in the shared corpus (never shown to members): read it before changing.\n"
)


def dump(items: list[dict[str, Any]]) -> str:
    body = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return HEADER.format(src=SHARED_FILE) + body


def wanted_files(path: Path) -> dict[str, str]:
    entries, lines = read_yaml(path)
    files, report = build(entries, lines, path.name)
    wanted = {name: dump(items) for name, items in sorted(files.items())}
    wanted[HELD_FILE] = report
    return wanted


def main(argv: list[str], library_dir: Path = LIBRARY_DIR) -> int:
    path = shared_file()
    if path is None:
        print(f"shared/{SHARED_FILE} not found (set HOCBAC_SHARED_DIR)")
        return 1
    try:
        wanted = wanted_files(path)
    except ContentError as exc:
        print(f"Không nhập được: {exc}")
        return 1
    current = {p.name for p in library_dir.iterdir() if p.suffix in (".yaml", ".yml", ".md")}
    changed = sorted(n for n in wanted if not (library_dir / n).is_file()
                     or (library_dir / n).read_text(encoding="utf-8") != wanted[n])
    stale = sorted(current - set(wanted))
    if "--check" in argv:
        for name in changed + stale:
            print(f"differs: {name}")
        return 1 if changed or stale else 0
    for name in stale:
        (library_dir / name).unlink()
    for name, text in wanted.items():
        (library_dir / name).write_text(text, encoding="utf-8")
    total = sum(text.count("\n- id: ") for name, text in wanted.items() if name.endswith(".yaml"))
    print(f"wrote {total} items in {len(wanted) - 1} files; changed: {', '.join(changed + stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
