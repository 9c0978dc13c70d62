"""`hocbac zalo check`: ask Zalo about each bot of ZALO_BOTS before going live.

getMe (is the token good, what is the bot called), getWebhookInfo (is a webhook set, and does that fit
ZALO_MODE), testWebhook (when the API offers it; the current reference does not list it, API_NOTES #39)
and the monthly message budget. Prints one line per finding; exits 2 when a bot cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio

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
        lines.append("  " + budget_line(settings))
    return lines, all_ok


def budget_line(settings: Settings) -> str:
    """The monthly budget. PLACEHOLDER until the message-budget forecast lands (issue #14 part 1): it only
    prints the configured limits, no forecast."""
    warn = settings.zalo_monthly_quota * settings.zalo_quota_warn_percent // 100
    return (f"[placeholder, no forecast yet] budget: {settings.zalo_monthly_quota} messages a month per bot "
            f"(ZALO_MONTHLY_QUOTA), warning at {warn} ({settings.zalo_quota_warn_percent}%); Zalo's free plan: "
            "50 users per bot, 3,000 messages a month")
