"""A Zalo bot's month, planned rather than discovered: the forecast of its outgoing messages against its plan.

    messages = daily items  (members reading privately × days + linked Zalo groups × days)
             + read confirmations (weekly on Zalo: at most one a week per member who reads every day)
             + notices and reminders (this bot's non-daily outbox rows of the last 30 days, scaled to the month)
             + direct replies (members × ZALO_FORECAST_REPLIES_PER_MEMBER)

The plan (messages a month, members per bot) is a setting, the free plan by default: 3,000 and 50. Whether Zalo
resets the month at 00:00 Vietnam time or UTC is not documented (API_NOTES.md "Quota and error codes"); we count
calendar months in BOT_TIMEZONE.

Run ``python -m bot.features.zalo_quota.forecast --members 40 [--group] [--paid-read-ack]`` for a what-if.
"""

from __future__ import annotations

import argparse
import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Membership, MembershipStatus, Person

# Kinds that are not notices or reminders: counted separately (or, for replies, estimated).
_NOT_NOTICES = ("daily", "daily_group", "reply")
HISTORY_DAYS = 30
READ_CONFIRM_EVERY = 7  # Zalo confirms a reading streak once a week (days 7, 14, ...): bot/features/daily


@dataclass(frozen=True, slots=True)
class Forecast:
    limit: int  # messages a month in the plan
    member_cap: int
    days: int  # days in the month
    members: int  # members this bot delivers to
    group_members: int  # of them, those who read the daily item in a linked Zalo group instead
    groups: int  # linked Zalo groups that get the daily item
    daily: int
    read_acks: int
    notices: int
    replies: int

    @property
    def total(self) -> int:
        return self.daily + self.read_acks + self.notices + self.replies

    @property
    def percent(self) -> int:
        return round(100 * self.total / self.limit) if self.limit else 100

    def lines(self) -> list[str]:
        """A plain breakdown (the CLI and the note; the chat shows a translated line in /baocao)."""
        return [
            f"plan: {self.limit} messages/month, {self.member_cap} members per bot; month of {self.days} days",
            f"members: {self.members} ({self.group_members} read the daily item in {self.groups} Zalo group(s))",
            f"daily items: {self.daily}",
            f"read confirmations: {self.read_acks}",
            f"notices and reminders: {self.notices}",
            f"direct replies (estimate): {self.replies}",
            f"total: {self.total} of {self.limit} ({self.percent}%)",
        ]


def plan_month(*, members: int, days: int = 30, limit: int = 3000, member_cap: int = 50, group_members: int = 0,
               groups: int = 0, read_ack_per_member: float = 0.0, notices: int = 0,
               replies_per_member: float = 4.0) -> Forecast:
    """The arithmetic alone. ``read_ack_per_member``: read confirmations a member draws a month (Telegram-style
    every day = ``days``; Zalo's weekly confirmation = ``days // 7`` at most; silent = 0)."""
    private = max(0, members - group_members)
    return Forecast(
        limit=limit, member_cap=member_cap, days=days, members=members, group_members=group_members, groups=groups,
        daily=private * days + groups * days,
        read_acks=round(private * read_ack_per_member),
        notices=notices,
        replies=round(members * replies_per_member),
    )


async def zalo_recipients(s: AsyncSession, bot: str, branch_ids: tuple[int, ...]) -> dict[int, int]:
    """person id -> branch id of the active members of ``branch_ids`` whose messages go to Zalo bot ``bot``
    (their preferred reachable identity, as the outbox picks it)."""
    if not branch_ids:
        return {}
    rows = (await s.execute(
        select(Membership.person_id, Membership.branch_id, Person.preferred_channel, Identity.id, Identity.channel,
               Identity.bot)
        .join(Person, Person.id == Membership.person_id)
        .join(Identity, Identity.person_id == Membership.person_id)
        .where(Membership.branch_id.in_(branch_ids), Membership.status == MembershipStatus.ACTIVE.value,
               Person.erased_at.is_(None), Identity.reachable.is_(True))
    )).all()
    best: dict[int, tuple[tuple[bool, int], str, str, int]] = {}
    for person_id, branch_id, preferred, ident_id, channel, ident_bot in rows:
        rank = (channel != (preferred or channel), ident_id)
        if person_id not in best or rank < best[person_id][0]:
            best[person_id] = (rank, channel, ident_bot, branch_id)
    return {pid: b for pid, (_r, channel, ident_bot, b) in best.items() if channel == "zalo" and ident_bot == bot}


async def bot_users(s: AsyncSession, bot: str) -> int:
    """People with an account on Zalo bot ``bot`` who are members of a branch or waiting to be (the plan's cap
    counts the bot's users; someone who left or was refused no longer needs a seat)."""
    q = (select(func.count(func.distinct(Identity.person_id)))
         .join(Membership, Membership.person_id == Identity.person_id)
         .where(Identity.channel == "zalo", Identity.bot == bot,
                Membership.status.in_((MembershipStatus.ACTIVE.value, MembershipStatus.PENDING.value))))
    return int((await s.execute(q)).scalar_one() or 0)


async def forecast_bot(s: AsyncSession, settings: Settings, bot: str, now: datetime) -> Forecast | None:
    """The forecast of Zalo bot ``bot`` for the month of ``now`` (None when no such bot is configured)."""
    config = settings.zalo_bot(bot)
    if config is None:
        return None
    local = now.astimezone(settings.tz)
    days = calendar.monthrange(local.year, local.month)[1]
    limit, cap = settings.zalo_plan(bot)
    recipients = await zalo_recipients(s, bot, config.branch_ids)
    group_branches: set[int] = set()
    if settings.zalo_prefer_group_daily:
        for branch_id in config.branch_ids:
            branch = await s.get(Branch, branch_id)
            if branch is not None and branch.group_chat_id and branch.group_channel == "zalo" \
                    and branch.group_bot == bot:
                group_branches.add(branch_id)
    group_members = sum(1 for b in recipients.values() if b in group_branches)
    o = OutboxMessage
    notices = int((await s.execute(
        select(func.count()).where(o.channel == "zalo", o.bot == bot, o.kind.not_in(_NOT_NOTICES),
                                   o.created_at >= now - timedelta(days=HISTORY_DAYS),
                                   o.status.not_in((OutboxStatus.CANCELLED.value, OutboxStatus.SKIPPED.value,
                                                    OutboxStatus.RESENT.value)))
    )).scalar_one() or 0)
    return plan_month(members=len(recipients), days=days, limit=limit, member_cap=cap, group_members=group_members,
                      groups=len(group_branches), read_ack_per_member=days // READ_CONFIRM_EVERY,
                      notices=round(notices * days / HISTORY_DAYS),
                      replies_per_member=settings.zalo_forecast_replies_per_member)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bot.features.zalo_quota.forecast",
                                 description="What-if forecast of one Zalo bot's month against its plan.")
    ap.add_argument("--members", type=int, required=True, help="members who receive on this bot")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--limit", type=int, default=3000, help="messages a month in the plan (free: 3000)")
    ap.add_argument("--group", action="store_true", help="the branch's Zalo group is linked: daily item there")
    ap.add_argument("--paid-read-ack", action="store_true",
                    help="every 'Read ✓' costs a reply (the old behaviour) instead of a weekly confirmation")
    ap.add_argument("--silent-read-ack", action="store_true", help="no read confirmation at all")
    ap.add_argument("--notices", type=int, default=0, help="notices and reminders a month")
    ap.add_argument("--replies-per-member", type=float, default=4.0)
    args = ap.parse_args(argv)
    if args.paid_read_ack:
        acks = float(args.days)
    elif args.silent_read_ack:
        acks = 0.0
    else:
        acks = float(args.days // READ_CONFIRM_EVERY)
    f = plan_month(members=args.members, days=args.days, limit=args.limit,
                   group_members=args.members if args.group else 0, groups=1 if args.group else 0,
                   read_ack_per_member=acks, notices=args.notices, replies_per_member=args.replies_per_member)
    print("\n".join(f.lines()))


if __name__ == "__main__":
    main()
