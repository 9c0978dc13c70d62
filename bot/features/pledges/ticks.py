"""Pledge ticks: check-in rounds, the mid-year prompt, the year-end draft, deadline and returned reminders.

Each tick looks at the local date, finds what is due and enqueues it with a unique outbox key, so running
a tick twice (or after a restart) sends nothing twice. Messages to members wait for their delivery time
and never fall in the quiet hours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.pledges.assessment import SelfAssessment, ensure_draft, review_window
from bot.features.pledges.assessment_card import CardData, card_buttons, card_data, card_text
from bot.features.pledges.callbacks import (
    CheckinAnswer,
    CheckinNote,
    MidyearCheck,
    PledgeStatusFor,
)
from bot.features.pledges.checkins import PledgeCheckins, checkin_view
from bot.features.pledges.models import (
    Pledge,
    PledgeBranchSettings,
    PledgeCheckin,
    PledgeCheckinRound,
    PledgeStatus,
)
from bot.features.pledges.reads import active_items, branch_settings, not_pledged
from bot.features.pledges.reminders import PledgeReminders
from bot.features.pledges.texts import render_checkin
from bot.i18n import _, use_locale
from bot.messages import Button, Reply, esc
from bot.services.deps import Services
from bot.services.directory import manager_ids, reviewer_ids
from bot.services.notify import notify
from storage.models.org import Branch
from storage.models.people import Person


def checkin_buttons(checkin_id: int, items: list[tuple[int, str]]) -> list[list[Button]]:
    rows = [
        [
            Button(f"✓ {_('Deed {n}').format(n=i)}", CheckinAnswer(checkin_id, item_id, "done").pack()),
            Button(f"⏳ {_('Deed {n}').format(n=i)}", CheckinAnswer(checkin_id, item_id, "doing").pack()),
            Button(f"✗ {_('Deed {n}').format(n=i)}", CheckinAnswer(checkin_id, item_id, "not").pack()),
        ]
        for i, (item_id, _what) in enumerate(items, 1)
    ]
    rows.append([Button(_("📝 Add a note"), CheckinNote(checkin_id).pack())])
    return rows


def _period_ending(local: date, frequency: str) -> tuple[str, datetime] | None:
    """The period a check-in round asks about, when one is due this month: the month (or quarter) just
    ended. December / Q4 is left to the year-end self-assessment. Returns (period, its local end)."""
    first = local.replace(day=1)
    prev_end = first - timedelta(days=1)
    if prev_end.year != local.year or prev_end.month == 12:
        return None
    if frequency == "quarterly":
        if local.month not in (4, 7, 10):
            return None
        return f"{prev_end.year}-Q{prev_end.month // 3}", datetime.combine(first, datetime.min.time())
    return f"{prev_end.year}-{prev_end.month:02d}", datetime.combine(first, datetime.min.time())


async def _approved_pledges(s: AsyncSession, year: int, branch_id: int | None = None) -> list[Pledge]:
    query = select(Pledge).where(Pledge.year == year, Pledge.approved_version.is_not(None))
    if branch_id is not None:
        query = query.where(Pledge.branch_id == branch_id)
    return list((await s.execute(query.order_by(Pledge.id))).scalars().all())


async def _person(s: AsyncSession, person_id: int) -> Person | None:
    person = await s.get(Person, person_id)
    return None if person is None or person.erased_at is not None else person


async def checkin_round(services: Services, now: datetime, since: datetime | None) -> None:
    svc = services.get(PledgeCheckins)
    tz = svc.tz
    local = now.astimezone(tz).date()
    async with services.deps.db.session() as s:
        pledges = await _approved_pledges(s, local.year)
        by_branch: dict[int, list[Pledge]] = {}
        for p in pledges:
            by_branch.setdefault(p.branch_id, []).append(p)
        for branch_id, rows in by_branch.items():
            settings = await branch_settings(s, branch_id)
            due = _period_ending(local, settings.checkin_frequency)
            if due is None:
                continue
            period, ends_local = due
            ends = to_utc(ends_local, tz)
            # Pledges approved after the period ended have nothing to report for it yet.
            due_pledges = [p for p in rows if p.first_approved_at and as_utc(p.first_approved_at) < ends]
            if not due_pledges:
                continue
            rnd = await _round(s, branch_id, local.year, period, now)
            for p in due_pledges:
                await _send_checkin(s, svc, rnd, p, now)


async def _round(
    s: AsyncSession, branch_id: int, year: int, period: str, now: datetime
) -> PledgeCheckinRound:
    insert = pg_insert if s.bind is not None and s.bind.dialect.name == "postgresql" else sqlite_insert
    await s.execute(
        insert(PledgeCheckinRound)
        .values(branch_id=branch_id, year=year, period=period, created_at=now)
        .on_conflict_do_nothing(index_elements=["branch_id", "period"])
    )
    return (
        await s.execute(
            select(PledgeCheckinRound).where(
                PledgeCheckinRound.branch_id == branch_id, PledgeCheckinRound.period == period
            )
        )
    ).scalar_one()


async def _send_checkin(
    s: AsyncSession, svc: PledgeCheckins, rnd: PledgeCheckinRound, p: Pledge, now: datetime
) -> None:
    exists = (
        await s.execute(
            select(PledgeCheckin.id).where(PledgeCheckin.round_id == rnd.id, PledgeCheckin.pledge_id == p.id)
        )
    ).scalar_one_or_none()
    if exists is not None:
        return
    person = await _person(s, p.person_id)
    if person is None or not await active_items(s, p.id or 0):
        return
    c = PledgeCheckin(round_id=rnd.id, pledge_id=p.id, person_id=p.person_id, created_at=now)
    s.add(c)
    await s.flush()
    view = await checkin_view(s, c)
    await notify(
        s,
        svc.deps,
        p.person_id,
        key=f"pledge_checkin:{c.id}",
        kind="pledge_checkin",
        render=lambda: Reply(
            text=render_checkin(view.period, view.items, {}, None),
            buttons=checkin_buttons(c.id or 0, view.items),
        ),
        branch_id=p.branch_id,
        priority=5,
        ref=f"pledge_round:{rnd.id}",
    )


async def midyear_prompt(services: Services, now: datetime, since: datetime | None) -> None:
    svc = services.get(SelfAssessment)
    local = now.astimezone(svc.tz).date()
    async with services.deps.db.session() as s:
        for p in await _approved_pledges(s, local.year):
            settings = await branch_settings(s, p.branch_id)
            if local.month != settings.midyear_month:
                continue
            person = await _person(s, p.person_id)
            if person is None:
                continue
            await notify(
                s,
                svc.deps,
                p.person_id,
                key=f"pledge_midyear:{p.id}",
                kind="pledge_midyear",
                render=partial(_midyear_reply, p),
                branch_id=p.branch_id,
                priority=5,
            )


async def yearend_draft_tick(services: Services, now: datetime, since: datetime | None) -> None:
    """Inside each branch's review window, draft every approved pledge's year-end self-assessment once and
    send it to the member (the card with "Gửi" and "Sửa")."""
    svc = services.get(SelfAssessment)
    local = now.astimezone(svc.tz).date()
    async with services.deps.db.session() as s:
        for p in await _approved_pledges(s, local.year):
            start, end = review_window(await branch_settings(s, p.branch_id), p.year)
            if not start <= local <= end:
                continue
            person = await _person(s, p.person_id)
            if person is None:
                continue
            with use_locale(person.locale):
                review, created = await ensure_draft(s, svc.deps.ext, p, svc.tz, now)
            if not created:
                continue  # the draft was made once; the member's edits are never overwritten
            await notify(
                s,
                svc.deps,
                p.person_id,
                key=f"pledge_yearend:{p.id}",
                kind="pledge_yearend",
                render=partial(_yearend_reply, card_data(review, p.year)),
                branch_id=p.branch_id,
                priority=5,
            )


def _midyear_reply(p: Pledge) -> Reply:
    return Reply(
        text=_(
            "🌗 <b>Half a year: how do you assess yourself?</b>\n"
            "Look back at the deeds you registered for {year} and write a few lines: "
            "what went well, what you will do better."
        ).format(year=p.year),
        buttons=[[Button(_("✍️ Write my mid-year self-check"), MidyearCheck(p.id).pack())]],
    )


def _yearend_reply(d: CardData) -> Reply:
    return Reply(
        text=_("Built only from what you recorded this year. Edit any part, give your points and propose your "
               "level, then send it to the secretary.") + "\n\n" + card_text(d),
        buttons=card_buttons(d),
    )


async def deadline_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    svc = services.get(PledgeReminders)
    local = now.astimezone(svc.tz).date()
    async with services.deps.db.session() as s:
        rows = (
            (await s.execute(select(PledgeBranchSettings).where(PledgeBranchSettings.deadline.is_not(None))))
            .scalars()
            .all()
        )
        for st in rows:
            deadline = st.deadline
            assert deadline is not None
            branch = await s.get(Branch, st.branch_id)
            if branch is None:
                continue
            if deadline - timedelta(days=3) <= local < deadline:
                for pid, _name in await not_pledged(s, branch.id or 0, deadline.year):
                    await svc.remind(
                        s,
                        pid,
                        branch,
                        "deadline",
                        key=f"pledge_deadline:{branch.id}:{deadline}:{pid}",
                        deadline=deadline,
                        year=deadline.year,
                    )
            elif deadline < local <= deadline + timedelta(days=7):
                missing = await not_pledged(s, branch.id or 0, deadline.year)
                for manager_id in await manager_ids(s, branch):
                    def render(deadline: date = deadline, missing: list[tuple[int, str]] = missing,
                               branch: Branch = branch) -> Reply:
                        if missing:
                            text = _(
                                "📋 The pledge deadline ({date}) has passed. "
                                "Not registered yet ({n}):\n{names}"
                            ).format(
                                date=deadline.strftime("%d/%m/%Y"),
                                n=len(missing),
                                names="\n".join(f"• {esc(n)}" for _p, n in missing),
                            )
                        else:
                            text = _(
                                "📋 The pledge deadline ({date}) has passed. Every member has registered. 🎉"
                            ).format(date=deadline.strftime("%d/%m/%Y"))
                        return Reply(
                            text=text, buttons=[[Button(_("📋 Pledge status"), PledgeStatusFor(branch.id).pack())]]
                        )

                    await notify(
                        s,
                        svc.deps,
                        manager_id,
                        key=f"pledge_deadline_list:{branch.id}:{deadline}:{manager_id}",
                        kind="pledge_digest",
                        render=render,
                        branch_id=branch.id,
                    )


RETURNED_STALE = timedelta(days=7)


async def returned_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    svc = services.get(PledgeReminders)
    async with services.deps.db.session() as s:
        rows = (
            (
                await s.execute(
                    select(Pledge).where(
                        Pledge.status == PledgeStatus.RETURNED.value, Pledge.decided_at.is_not(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        for p in rows:
            assert p.decided_at is not None
            if as_utc(p.decided_at) > now - RETURNED_STALE:
                continue
            branch = await s.get(Branch, p.branch_id)
            person = await s.get(Person, p.person_id)
            if branch is None or person is None:
                continue
            days = (now - as_utc(p.decided_at)).days
            name = person.display_name
            for manager_id in await reviewer_ids(s, branch, p.person_id):
                await notify(
                    s,
                    svc.deps,
                    manager_id,
                    key=f"pledge_returned_stale:{p.id}:v{p.version}:{manager_id}",
                    kind="pledge_digest",
                    render=lambda name=name, days=days: Reply(
                        text=_(
                            "↩️ {name}'s pledge was returned {days} days ago and has not been sent "
                            "again. You may want to talk with them."
                        ).format(name=esc(name), days=days)
                    ),
                    branch_id=branch.id,
                )
