"""demo: try the bot without a token or internet, in a local web page."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import sys
from pathlib import Path

from bot.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="try the bot in a local web page: fake Telegram and demo data, "
                                    "no token needed")
    p.add_argument("--port", type=int, default=8080, help="web page port on 127.0.0.1 (0 picks a free one)")
    p.add_argument("--db", type=Path, default=None,
                   help="keep the demo database in this SQLite file (default: a temporary one)")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    try:
        asyncio.run(_main(args.port, args.db))
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        print(f"Không mở được cổng {args.port}: {exc.strerror or exc}. Thử --port 0.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _main(port: int, db: Path | None) -> None:
    from bot.devtools.demo.server import run

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers in asyncio
            loop.add_signal_handler(sig, stop.set)
    await run(port, db, stop, announce=lambda line: print(line, flush=True))
