"""Run the fake Telegram Bot API on its own: ``python -m bot.devtools.emulator --port 8081``.

Prints the base URL to point a bot at (``TelegramAPIServer.from_base(url)``); Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.devtools.emulator.ratelimit import RateLimits
from bot.devtools.emulator.telegram import FakeTelegram


async def serve(host: str, port: int, username: str, limits: bool) -> None:
    fake = FakeTelegram(host=host, port=port, bot_username=username, limits=RateLimits(enabled=limits))
    await fake.start()
    print(fake.base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bot-username", default="hocbac_test_bot")
    parser.add_argument("--no-rate-limits", action="store_true")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.bot_username, not args.no_rate_limits))


if __name__ == "__main__":
    main()
