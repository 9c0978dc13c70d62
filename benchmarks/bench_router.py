"""The typed-message router against its labelled list (issue #20): accuracy per label and overall.

    .venv/bin/python benchmarks/bench_router.py [--old] [--heldout] [--misses]

Reads tests/data/router_messages.yaml (text -> expected route), reads each message with
``bot.kernel.intent.read_intent`` over the commands the installed features declare, and prints the share
routed right per label (a command with the arguments the list expects) and overall against the 95%
target, and how many command-labelled messages were taken for a good deed (the target is none). ``--old``
also scores the routing before this change, reproduced from the old dispatcher: a whole message equal to
a command's name or alias with the spaces taken out was that command (its arguments were never passed),
six digits were a link code, and any other message of three words or more was offered as a good deed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.installed import FEATURES
from bot.kernel.feature import build_registry
from bot.kernel.intent import read_intent
from bot.kernel.routing import Registry
from bot.text import fold

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "router_messages.yaml"
HELDOUT = DATA.with_name("router_messages_heldout.yaml")  # written after the word lists were settled
TARGET = 0.95


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


Route = Callable[[str], tuple[str, str]]  # text -> (label, arguments)


def new_route(registry: Registry) -> Route:
    def route(text: str) -> tuple[str, str]:
        intent = read_intent(text, registry.typed)
        return intent.label, intent.args

    return route


def old_route(registry: Registry) -> Route:
    def route(text: str) -> tuple[str, str]:
        folded = fold(text)
        spec = registry.commands.get(folded.replace(" ", "")) if folded and len(text) <= 40 else None
        if spec is not None:
            return f"command:{spec.name}", ""  # no arguments were ever passed without a slash
        digits = "".join(ch for ch in text if ch not in " -.")
        if digits.isdigit() and len(digits) == 6:
            return "code", digits  # the old link-code fallback (it took six digits only, and for linking)
        if len(folded.split()) >= 3:
            return "deed", ""
        return "other", ""  # "I did not understand that" / "cannot handle this kind of message"

    return route


def score(rows: list[dict[str, Any]], route: Route) -> tuple[float, int, dict[str, list[int]],
                                                                            list[tuple[str, str, str]]]:
    per: dict[str, list[int]] = {}
    misses: list[tuple[str, str, str]] = []
    commands_as_deeds = 0
    for row in rows:
        want = row["route"]
        got, args = route(row["text"])
        group = "command" if want.startswith("command:") else want
        ok = got == want and ("args" not in row or args == str(row["args"]))
        per.setdefault(group, [0, 0])
        per[group][0] += ok
        per[group][1] += 1
        if not ok:
            misses.append((row["text"], want, f"{got} {args!r}" if args else got))
        if want.startswith("command:") and got == "deed":
            commands_as_deeds += 1
    right = sum(v[0] for v in per.values())
    return right / len(rows), commands_as_deeds, per, misses


def report(name: str, rows: list[dict[str, Any]], route: Route, show_misses: bool) -> float:
    overall, as_deeds, per, misses = score(rows, route)
    print(f"\n{name}: {len(rows)} messages")
    for group, (ok, n) in sorted(per.items()):
        print(f"  {group:<9} {ok:>3}/{n:<3} {ok / n:6.1%}")
    verdict = "meets" if overall >= TARGET and as_deeds == 0 else "misses"
    print(f"  overall   {overall:6.1%}  (target {TARGET:.0%}: {verdict});"
          f" command-labelled messages taken for a deed: {as_deeds}")
    if show_misses:
        for text, want, got in misses:
            print(f"    {text!r}: want {want}, got {got}")
    return overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", action="store_true", help="also score the routing before issue #20")
    parser.add_argument("--misses", action="store_true", help="list the messages routed wrong")
    parser.add_argument("--heldout", action="store_true", help="also score the held-out list (not tuned on)")
    args = parser.parse_args()
    rows = load()
    registry = build_registry(FEATURES)
    counts = Counter("command" if r["route"].startswith("command:") else r["route"] for r in rows)
    print("labels:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.old:
        report("before (old dispatcher rules)", rows, old_route(registry), args.misses)
    report("after (bot.kernel.intent)", rows, new_route(registry), args.misses)
    if args.heldout:
        held = load(HELDOUT)
        if args.old:
            report("held-out list, before", held, old_route(registry), args.misses)
        report("held-out list, after", held, new_route(registry), args.misses)


if __name__ == "__main__":
    main()
