"""`hocbac bench daily`: the daily delivery benchmark (bot/devtools/bench_daily.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    # Other features may add their own benchmarks under "bench": share the parser if it exists.
    bench = sub.choices.get("bench") or sub.add_parser("bench", help="benchmarks (see docs)")
    bsub = getattr(bench, "hocbac_sub", None)
    if bsub is None:
        bsub = bench.add_subparsers(dest="bench_command", metavar="NAME")
        bench.hocbac_sub = bsub  # type: ignore[attr-defined]
        bench.set_defaults(func=lambda _a: bench.print_help())
    p = bsub.add_parser("daily", help="seed N members, time the minute tick, drain a sample at 30 msg/s")
    from bot.devtools.bench_daily import add_arguments, run_args

    add_arguments(p)
    p.set_defaults(func=run_args)
