"""`hocbac` command line: the engine's commands, then each feature's (``Feature.cli``)."""

from __future__ import annotations

import argparse
import gc
import sys


def build_parser() -> argparse.ArgumentParser:
    from bot.commands import bench_daily, core, demo, scale, zalo
    from bot.installed import FEATURES

    parser = argparse.ArgumentParser(
        prog="hocbac",
        description="Học Bác mỗi ngày — chat bot for Party branches (Directive 05).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (core, scale, demo, bench_daily, zalo):
        module.register(sub)
    for feature in FEATURES:
        for register in feature.cli:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The imports create a few hundred thousand objects that live as long as the process (model classes,
    # dataclasses, the features' routers): collections while they load free nothing and cost ~10% of the
    # start-up's CPU. The long-running commands freeze that heap afterwards (bot/heap.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        from bot.compose import open_services, telegram_username
    finally:
        if collecting:
            gc.enable()

    args.open_services = open_services  # features' commands open an App through the composition root
    args.telegram_username = telegram_username  # printed invites name the bot of the đảng bộ
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from bot.config import StartupError

    try:
        result = args.func(args)
    except KeyboardInterrupt:
        return 130
    except StartupError as exc:  # the database, Redis or Telegram refused a setting: one line, no trace
        print(exc.line, file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
