"""The pledges section of a member's year file (/namcuatoi): the pledged deeds and every check-in answer."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.pledges.models import (
    Pledge,
    PledgeCheckin,
    PledgeCheckinAnswer,
    PledgeCheckinRound,
    PledgeItem,
)
from bot.features.pledges.texts import CHECKIN_MARKS, period_label, status_label
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import YearFigure, YearRow, YearSection


async def _year_file_section(
    s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int, tz: ZoneInfo
) -> YearSection:
    pledge = (
        await s.execute(
            select(Pledge).where(Pledge.person_id == person_id, Pledge.branch_id == branch_id, Pledge.year == year)
        )
    ).scalar_one_or_none()
    title = _("Pledge to study and follow Uncle Hồ")
    if pledge is None or pledge.version == 0:
        return YearSection("pledge", title, (YearFigure("items", _("Pledged deeds"), 0, note=_("no pledge")),), 10)
    items = list(
        (
            await s.execute(
                select(PledgeItem)
                .where(PledgeItem.pledge_id == pledge.id, PledgeItem.active.is_(True))
                .order_by(PledgeItem.position, PledgeItem.id)
            )
        ).scalars()
    )
    number = {it.id: n for n, it in enumerate(items, 1)}
    since = pledge.first_approved_at or pledge.first_submitted_at or pledge.created_at
    pledged_on = as_utc(since).astimezone(tz).date()
    item_rows = [
        YearRow(pledged_on, _("{n}. {what} — criterion: {criterion}; when: {when}").format(
            n=number[it.id], what=it.what, criterion=it.criterion, when=it.when_text))
        for it in items
    ]
    answers = (
        await s.execute(
            select(PledgeCheckinAnswer, PledgeCheckin, PledgeCheckinRound.period, PledgeItem.what,
                   PledgeItem.id)
            .join(PledgeCheckin, PledgeCheckin.id == PledgeCheckinAnswer.checkin_id)
            .join(PledgeCheckinRound, PledgeCheckinRound.id == PledgeCheckin.round_id)
            .join(PledgeItem, PledgeItem.id == PledgeCheckinAnswer.item_id)
            .where(PledgeCheckin.pledge_id == pledge.id)
            .order_by(PledgeCheckinAnswer.answered_at, PledgeItem.position)
        )
    ).all()
    asked = (
        await s.execute(select(PledgeCheckin).where(PledgeCheckin.pledge_id == pledge.id))
    ).scalars().all()
    answered = [c for c in asked if c.answered_at is not None]
    answer_rows = []
    done = 0
    for answer, _checkin, period, what, item_id in answers:
        mark = CHECKIN_MARKS[answer.status][1]() if answer.status in CHECKIN_MARKS else answer.status
        done += answer.status == "done"
        n = number.get(item_id)
        answer_rows.append(YearRow(
            as_utc(answer.answered_at).astimezone(tz).date(),
            _("Check-in of {period} — {item}: {mark}").format(
                period=period_label(period), item=f"{n}. {what}" if n else what, mark=mark),
        ))
    return YearSection(
        key="pledge",
        title=title,
        order=10,
        figures=(
            YearFigure("items", _("Pledged deeds"), len(items), item_rows,
                       note=status_label(pledge.status, pledge.approved_version)),
            YearFigure("checkins", _("Check-ins answered"), len(answered), answer_rows,
                       note=_("of {asked} asked; answers “done”: {done}").format(asked=len(asked), done=done)),
        ),
    )
