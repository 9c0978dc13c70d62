"""`hocbac zalo check`: ask Zalo about each bot of ZALO_BOTS before going live.

getMe (is the token good, what is the bot called), getWebhookInfo (is a webhook set, and does that fit
ZALO_MODE), testWebhook (when the API offers it; the current reference does not list it, API_NOTES #39)
and the monthly message budget with this month's forecast. Prints one line per finding; exits 2 when a bot
cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from bot.config import Settings, load_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("zalo", help="Zalo bots: `hocbac zalo check` asks Zalo about each bot of ZALO_BOTS")
    zsub = p.add_subparsers(dest="zalo_command", metavar="ACTION")
    check = zsub.add_parser("check", help="getMe, getWebhookInfo, testWebhook and the monthly budget per bot")
    check.set_defaults(func=_check)
    p.set_defaults(func=lambda args: p.print_help() or 0)


def _check(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.zalo_bots:
        print("ZALO_BOTS is empty: no Zalo bot to check (see docs/zalo.md).")
        return 2
    lines, ok = asyncio.run(check_bots(settings))
    print("\n".join(lines))
    return 0 if ok else 2


async def check_bots(settings: Settings) -> tuple[list[str], bool]:
    """The report lines, and whether every bot answered getMe."""
    from bot.channels.zalo.client import ZaloClient
    from bot.channels.zalo.errors import ZaloPermanentError
    from bot.channels.zalo.runtime import WEBHOOK_PATH, get_me_or_stop
    from bot.config import StartupError
    from bot.delivery import DeliveryError

    lines: list[str] = []
    all_ok = True
    for bot in settings.zalo_bots:
        lines.append(f"[{bot.key}] branches {', '.join(map(str, bot.branch_ids))}")
        async with ZaloClient(bot.token, base_url=settings.zalo_api_url) as client:
            try:
                me = await get_me_or_stop(settings, bot.key, client)
            except StartupError as exc:
                lines.append(f"  ✗ getMe: {exc.line}")
                all_ok = False
                continue
            lines.append(f"  ✓ getMe: id {me.get('id', '?')}, name {me.get('account_name', '?')!r}, "
                         f"plan {me.get('account_type', '?')}, groups {'yes' if me.get('can_join_groups') else 'no'}")
            try:
                hook = await client.get_webhook_info()
            except DeliveryError as exc:
                lines.append(f"  ? getWebhookInfo failed: {exc.reason}")
                hook = None
            url = (hook or {}).get("url", "")
            expected = f"{settings.public_base_url}{WEBHOOK_PATH}" if settings.public_base_url else ""
            if settings.zalo_mode == "webhook":
                if not url:
                    lines.append("  ✗ webhook: none set, but ZALO_MODE=webhook (hocbac run sets it at start)")
                elif expected and url != expected:
                    lines.append(f"  ✗ webhook: {url} (expected {expected})")
                else:
                    lines.append(f"  ✓ webhook: {url}")
            else:
                lines.append(f"  ! webhook: {url} is set; polling removes it at start" if url else
                             "  ✓ webhook: none (polling). For production Zalo recommends ZALO_MODE=webhook.")
            if url:
                try:
                    result = await client.call("testWebhook")
                    lines.append(f"  ✓ testWebhook: {result}")
                except ZaloPermanentError as exc:
                    lines.append("  - testWebhook: not offered by this API" if exc.error_code == 404
                                 else f"  ✗ testWebhook: {exc.reason}")
                except DeliveryError as exc:
                    lines.append(f"  ? testWebhook: {exc.reason}")
        lines += ["  " + line for line in await budget_lines(settings, bot.key)]
    return lines, all_ok


async def budget_lines(settings: Settings, bot: str, now: datetime | None = None) -> list[str]:
    """This month's forecast of the bot's messages against its plan, from the database (members who receive on
    the bot, linked groups, the last 30 days of notices), and the warning threshold."""
    from bot.clock import SystemClock
    from bot.features.zalo_quota.forecast import forecast_bot
    from storage.db import Database

    limit, cap = settings.zalo_plan(bot)
    warn = limit * settings.zalo_quota_warn_percent // 100
    head = (f"budget: plan {limit} messages a month, {cap} members per bot; the secretaries are warned when the "
            f"forecast reaches {warn} ({settings.zalo_quota_warn_percent}%)")
    db = Database(settings.database_url)
    try:
        async with db.session() as s:
            f = await forecast_bot(s, settings, bot, now or SystemClock().now())
    except Exception as exc:
        return [head, f"? forecast: the database could not be read ({type(exc).__name__}); run `hocbac migrate`"]
    finally:
        await db.dispose()
    if f is None:
        return [head]
    mark = "✓" if f.percent < settings.zalo_quota_warn_percent else "!"
    return [head, f"{mark} forecast this month: {f.total} of {f.limit} ({f.percent}%) — daily items {f.daily}, "
                  f"read confirmations {f.read_acks}, notices {f.notices}, replies {f.replies}; "
                  f"{f.members} members ({f.group_members} through {f.groups} Zalo group(s))"]
