"""Pledges: draft, submit, approve or return, amend, check-ins, self-assessments, the secretary's view.

Every use case re-checks who may do it: a member acts only on their own pledge; approve, return, the
status view, reminders and exports need the member's own branch secretary/deputy or its committee admin
(``require_branch_manager``), so a forged or replayed button ends in a logged PermissionDenied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now
from bot.features.pledges.callbacks import DecidePledge, PledgeDraft
from bot.features.pledges.models import (
    FIELD_MAX,
    Pledge,
    PledgeBranchSettings,
    PledgeCheckin,
    PledgeCheckinAnswer,
    PledgeCheckinRound,
    PledgeItem,
    PledgeReminder,
    PledgeReview,
    PledgeStatus,
    PledgeVersion,
)
from bot.features.pledges.texts import (
    CHECKIN_MARKS,
    ITEM_KEYS,
    LEVELS,
    MAX_ITEMS,
    ItemProgress,
    YearRecord,
    content_of,
    is_complete,
    render_card,
    status_label,
    yearend_draft,
)
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import Button, Reply, esc
from bot.services import audit
from bot.services.actor import Actor, BranchSeat
from bot.services.deps import Deps
from bot.services.directory import active_members, manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.extensions import Extensions
from bot.services.notify import notify
from bot.services.permissions import require_active_member, require_branch_manager
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.pledges")

NUDGE_COOLDOWN = timedelta(days=7)
REVIEW_MAX = 3000


def local_year(now: datetime, tz: ZoneInfo) -> int:
    return now.astimezone(tz).year


# --- reads shared with ticks, exports and hooks --------------------------------------------------------


async def active_items(session: AsyncSession, pledge_id: int) -> list[PledgeItem]:
    rows = await session.execute(
        select(PledgeItem)
        .where(PledgeItem.pledge_id == pledge_id, PledgeItem.active.is_(True))
        .order_by(PledgeItem.position, PledgeItem.id)
    )
    return list(rows.scalars().all())


def item_content(items: list[PledgeItem]) -> list[dict[str, Any]]:
    return [{"id": it.id, "what": it.what, "criterion": it.criterion, "when": it.when_text} for it in items]


async def pledge_content(session: AsyncSession, p: Pledge) -> dict[str, Any]:
    return {
        "duty": p.duty,
        "items": item_content(await active_items(session, p.id or 0)),
        "shortcoming": p.shortcoming,
        "remedy": p.remedy,
        "commitment": p.commitment,
    }


async def item_progress(session: AsyncSession, ext: Extensions, item_ids: list[int]) -> dict[int, ItemProgress]:
    progress = {i: ItemProgress() for i in item_ids}
    if not item_ids:
        return progress
    rows = await session.execute(
        select(PledgeCheckinAnswer.item_id, PledgeCheckinAnswer.status)
        .where(PledgeCheckinAnswer.item_id.in_(item_ids))
        .order_by(PledgeCheckinAnswer.answered_at, PledgeCheckinAnswer.id)
    )
    for item_id, status in rows.all():
        prog = progress[item_id]
        if status == "done":
            prog.done += 1
        elif status == "doing":
            prog.doing += 1
        else:
            prog.not_yet += 1
        prog.last = status
    if ext.providers.deeds_for_pledge_items is not None:
        linked = await ext.providers.deeds_for_pledge_items(session, item_ids)
        for item_id, deeds in linked.items():
            if item_id in progress:
                progress[item_id].deeds = sorted(deeds)
    return progress


async def theme_for(session: AsyncSession, ext: Extensions, org_id: int, year: int) -> str | None:
    if ext.providers.year_theme is None:
        return None
    theme = await ext.providers.year_theme(session, org_id, year)
    return theme[0] if theme else None


def counts_as_pledged(p: Pledge) -> bool:
    return p.approved_version is not None or p.status in (PledgeStatus.SUBMITTED, PledgeStatus.APPROVED)


async def branch_pledges(session: AsyncSession, branch_id: int, year: int) -> list[Pledge]:
    rows = await session.execute(select(Pledge).where(Pledge.branch_id == branch_id, Pledge.year == year))
    return list(rows.scalars().all())


async def not_pledged(session: AsyncSession, branch_id: int, year: int) -> list[tuple[int, str]]:
    pledged = {p.person_id for p in await branch_pledges(session, branch_id, year) if counts_as_pledged(p)}
    return [(pid, name) for pid, name in await active_members(session, branch_id) if pid not in pledged]


async def branch_settings(session: AsyncSession, branch_id: int) -> PledgeBranchSettings:
    row = await session.get(PledgeBranchSettings, branch_id)
    return row or PledgeBranchSettings(branch_id=branch_id)


# --- views ---------------------------------------------------------------------------------------------


@dataclass
class MyPledge:
    seat: BranchSeat
    year: int
    pledge: Pledge | None
    draft: dict[str, Any] | None
    theme: str | None = None


@dataclass
class StatusView:
    branch_name: str
    year: int
    deadline: date | None
    approved: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    not_pledged: list[str] = field(default_factory=list)
    members: int = 0
    last_round: str | None = None
    round_sent: int = 0
    round_answered: int = 0


class PledgeService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def tz(self) -> ZoneInfo:
        return self.deps.settings.tz

    def now(self) -> datetime:
        return self.deps.clock.now()

    def year(self) -> int:
        return local_now(self.deps.clock).year

    def _seat(self, actor: Actor) -> BranchSeat:
        seat = actor.primary_branch
        if seat is None:
            raise PermissionDenied(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        return seat

    async def _mine(self, s: AsyncSession, actor: Actor, seat: BranchSeat, year: int) -> Pledge | None:
        return (
            await s.execute(
                select(Pledge).where(
                    Pledge.person_id == actor.person_id,
                    Pledge.branch_id == seat.branch_id,
                    Pledge.year == year,
                )
            )
        ).scalar_one_or_none()

    # --- the member's own pledge ---

    async def mine(self, actor: Actor) -> MyPledge:
        seat = self._seat(actor)
        year = self.year()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, year)
            theme = await theme_for(s, self.deps.ext, seat.org_id, year)
            return MyPledge(seat, year, p, dict(p.draft) if p and p.draft else None, theme)

    async def save_draft(self, actor: Actor, data: dict[str, Any], mode: str | None = None) -> None:
        """Keep the form's answers so the member can resume later (a new pledge, a fix or an amendment)."""
        seat = self._seat(actor)
        year = self.year()
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, year)
            if p is None:
                p = Pledge(
                    person_id=actor.person_id,
                    branch_id=seat.branch_id,
                    org_id=seat.org_id,
                    year=year,
                    created_at=now,
                )
            elif p.status == PledgeStatus.SUBMITTED:
                raise Conflict(_("Your pledge is waiting for the secretary; it cannot be changed now."))
            old_mode = (p.draft or {}).get("mode")
            p.draft = content_of(data) | {"mode": mode or data.get("mode") or old_mode or "new"}
            p.updated_at = now
            s.add(p)

    async def discard_draft(self, actor: Actor) -> None:
        seat = self._seat(actor)
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None:
                return
            if p.version == 0:
                await s.delete(p)
            else:
                p.draft = None
                s.add(p)

    async def start_edit(self, actor: Actor, mode: str) -> dict[str, Any]:
        """Copy the pledge into a draft: ``fix`` a returned pledge or ``amend`` an approved one."""
        seat = self._seat(actor)
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None:
                raise NotFound(_("You have no pledge this year yet. Send /dangky to register."))
            if p.draft:
                return dict(p.draft)
            if mode == "amend" and p.status != PledgeStatus.APPROVED:
                raise Conflict(_("Only an approved pledge can be amended."))
            if mode == "fix" and p.status != PledgeStatus.RETURNED:
                raise Conflict(_("This pledge was not returned for changes."))
            p.draft = await pledge_content(s, p) | {"mode": mode}
            s.add(p)
            return dict(p.draft)

    async def submit(self, actor: Actor) -> Pledge:
        """Send the draft to the branch's managers as one notice with approve/return buttons."""
        seat = self._seat(actor)
        require_active_member(actor, seat.branch_id, "pledge_submit")
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None or not p.draft:
                raise NotFound(_("There is no draft to send. Send /dangky to start."))
            content = content_of(p.draft)
            validate(content)
            await self._apply_content(s, p, content)
            p.version += 1
            p.status = PledgeStatus.SUBMITTED.value
            p.draft = None
            p.secretary_comment = None
            p.submitted_at = p.updated_at = now
            p.first_submitted_at = p.first_submitted_at or now
            s.add(p)
            await s.flush()
            saved = await pledge_content(s, p)
            s.add(PledgeVersion(pledge_id=p.id, version=p.version, content=saved, submitted_at=now))
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.submit",
                org_id=seat.org_id,
                branch_id=seat.branch_id,
                target=f"pledge:{p.id}:v{p.version}",
            )
            await self._notify_submitted(s, p, saved, actor.display_name, seat.branch_name)
            return p

    async def _apply_content(self, s: AsyncSession, p: Pledge, content: dict[str, Any]) -> None:
        p.duty, p.shortcoming = content["duty"], content["shortcoming"]
        p.remedy, p.commitment = content["remedy"], content["commitment"]
        if p.id is None:
            s.add(p)
            await s.flush()
        existing = {
            it.id: it
            for it in (await s.execute(select(PledgeItem).where(PledgeItem.pledge_id == p.id)))
            .scalars()
            .all()
        }
        kept: set[int] = set()
        for pos, it in enumerate(content["items"]):
            row = existing.get(it.get("id")) if it.get("id") else None
            if row is None:
                row = PledgeItem(pledge_id=p.id, created_version=p.version + 1)
            row.position, row.what, row.criterion, row.when_text = (
                pos,
                it["what"],
                it["criterion"],
                it["when"],
            )
            row.active = True
            s.add(row)
            if row.id is not None:
                kept.add(row.id)
        for item_id, row in existing.items():
            if item_id not in kept:
                row.active = False  # removed by an amendment: kept so linked deeds and history stay
                s.add(row)
        await s.flush()

    async def _notify_submitted(
        self, s: AsyncSession, p: Pledge, content: dict[str, Any], name: str, branch_name: str
    ) -> None:
        branch = await s.get(Branch, p.branch_id)
        assert branch is not None
        theme = await theme_for(s, self.deps.ext, p.org_id, p.year)

        def render() -> Reply:
            head = (
                _("📝 <b>Pledge amendment to approve</b>")
                if p.approved_version
                else _("📝 <b>New pledge to approve</b>")
            )
            text = (
                head
                + "\n"
                + render_card(content, year=p.year, name=name, branch=branch_name, theme=theme)
            )
            return Reply(
                text=text,
                buttons=[
                    [
                        Button(_("✅ Approve pledge"), DecidePledge("ok", p.id, p.version).pack()),
                        Button(_("↩️ Return with a comment"), DecidePledge("back", p.id, p.version).pack()),
                    ]
                ],
            )

        for manager_id in await manager_ids(s, branch):
            await notify(
                s,
                self.deps,
                manager_id,
                key=f"pledge_submit:{p.id}:v{p.version}:{manager_id}",
                kind="pledge_to_approve",
                render=render,
                branch_id=p.branch_id,
            )

    # --- the secretary's answer ---

    async def _pledge_for_manager(self, s: AsyncSession, actor: Actor, pledge_id: int, action: str) -> Pledge:
        p = await s.get(Pledge, pledge_id)
        if p is None:
            log.warning("pledge button for a missing pledge: person=%s pledge=%s", actor.person_id, pledge_id)
            raise NotFound(_("That pledge no longer exists."))
        require_branch_manager(actor, p.branch_id, p.org_id, action)
        return p

    async def check_decidable(self, actor: Actor, pledge_id: int, version: int) -> str:
        """Before asking for a return comment: may this actor decide, and is the version still open?"""
        async with self.deps.db.session() as s:
            p = await self._pledge_for_manager(s, actor, pledge_id, "pledge_return")
            self._require_open(actor, p, version)
            person = await s.get(Person, p.person_id)
            return person.display_name if person else "?"

    def _require_open(self, actor: Actor, p: Pledge, version: int) -> None:
        if p.status != PledgeStatus.SUBMITTED or p.version != version:
            log.warning(
                "replayed pledge decision: person=%s pledge=%s v%s (now %s v%s)",
                actor.person_id,
                p.id,
                version,
                p.status,
                p.version,
            )
            raise Conflict(_("This pledge was already handled."))

    async def approve(self, actor: Actor, pledge_id: int, version: int) -> str:
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._pledge_for_manager(s, actor, pledge_id, "pledge_approve")
            self._require_open(actor, p, version)
            p.status, p.approved_version = PledgeStatus.APPROVED.value, version
            p.decided_at, p.decided_by = now, actor.person_id
            p.first_approved_at = p.first_approved_at or now
            s.add(p)
            await s.execute(
                update(PledgeVersion)
                .where(PledgeVersion.pledge_id == p.id, PledgeVersion.version == version)
                .values(status=PledgeStatus.APPROVED.value, decided_at=now, decided_by=actor.person_id)
            )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.approve",
                org_id=p.org_id,
                branch_id=p.branch_id,
                target=f"pledge:{p.id}:v{version}",
            )
            person = await s.get(Person, p.person_id)
            assert person is not None
            year = p.year
            await notify(
                s,
                self.deps,
                p.person_id,
                key=f"pledge_decision:{p.id}:v{version}",
                kind="pledge_decision",
                render=lambda: Reply(text=(
                    _("✅ Your pledge amendment for {year} was approved by the secretary.")
                    if version > 1
                    else _(
                        "✅ Your pledge for {year} was approved by the secretary. Send /camket to see "
                        "it and your progress."
                    )
                ).format(year=year)),
                branch_id=p.branch_id,
            )
            return person.display_name

    async def return_pledge(self, actor: Actor, pledge_id: int, version: int, comment: str) -> str:
        comment = check_field(comment)
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._pledge_for_manager(s, actor, pledge_id, "pledge_return")
            self._require_open(actor, p, version)
            content = await pledge_content(s, p)
            if p.approved_version:
                # An amendment sent back: the approved pledge stays approved, the amendment becomes a draft.
                p.status = PledgeStatus.APPROVED.value
                p.draft = content | {"mode": "amend"}
            else:
                p.status = PledgeStatus.RETURNED.value
                p.draft = content | {"mode": "fix"}
            p.secretary_comment = comment
            p.decided_at, p.decided_by = now, actor.person_id
            s.add(p)
            await s.execute(
                update(PledgeVersion)
                .where(PledgeVersion.pledge_id == p.id, PledgeVersion.version == version)
                .values(
                    status=PledgeStatus.RETURNED.value,
                    decided_at=now,
                    decided_by=actor.person_id,
                    comment=comment,
                )
            )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.return",
                org_id=p.org_id,
                branch_id=p.branch_id,
                target=f"pledge:{p.id}:v{version}",
            )
            person = await s.get(Person, p.person_id)
            assert person is not None
            year = p.year
            await notify(
                s,
                self.deps,
                p.person_id,
                key=f"pledge_decision:{p.id}:v{version}",
                kind="pledge_decision",
                render=lambda: Reply(
                    text=_(
                        "↩️ The secretary returned your pledge for {year} with a comment:\n"
                        "<i>{comment}</i>\n\nYour pledge is ready to edit."
                    ).format(year=year, comment=esc(comment)),
                    buttons=[[Button(_("✏️ Edit my pledge"), PledgeDraft("open").pack())]],
                ),
                branch_id=p.branch_id,
            )
            return person.display_name

    # --- reading ---

    async def card(self, actor: Actor, pledge_id: int | None = None) -> str:
        """A pledge with its progress: the member's own (also after leaving), or one of a managed branch."""
        async with self.deps.db.session() as s:
            if pledge_id is None:
                seat = self._seat(actor)
                p = await self._mine(s, actor, seat, self.year())
                if p is None:
                    raise NotFound(_("You have no pledge this year yet. Send /dangky to register."))
            else:
                p = await s.get(Pledge, pledge_id)
                if p is None:
                    raise NotFound(_("That pledge no longer exists."))
                if p.person_id != actor.person_id:
                    require_branch_manager(actor, p.branch_id, p.org_id, "pledge_view")
            return await self._card(s, p)

    async def _card(self, s: AsyncSession, p: Pledge) -> str:
        if p.version == 0 and p.draft:
            content = content_of(p.draft)
            progress = None
        else:
            content = await pledge_content(s, p)
            progress = await item_progress(s, self.deps.ext, [it["id"] for it in content["items"]])
        person = await s.get(Person, p.person_id)
        branch = await s.get(Branch, p.branch_id)
        return render_card(
            content,
            year=p.year,
            name=person.display_name if person else "",
            branch=branch.name if branch else "",
            theme=await theme_for(s, self.deps.ext, p.org_id, p.year),
            status=status_label(p.status, p.approved_version),
            progress=progress,
            comment=p.secretary_comment if p.status == PledgeStatus.RETURNED else None,
        )

    async def my_pledges(self, actor: Actor) -> list[tuple[int, int, str]]:
        """(pledge id, year, branch name) of every pledge the person ever made, newest first; the person
        keeps this read access after leaving the branch."""
        async with self.deps.db.session() as s:
            rows = await s.execute(
                select(Pledge.id, Pledge.year, Branch.name)
                .join(Branch, Branch.id == Pledge.branch_id)
                .where(Pledge.person_id == actor.person_id, Pledge.version > 0)
                .order_by(Pledge.year.desc(), Pledge.id.desc())
            )
            return [(int(i), int(y), n) for i, y, n in rows.all()]

    # --- the secretary's view, reminders and settings ---

    async def status(self, actor: Actor, branch_id: int) -> StatusView:
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_status")
            members = await active_members(s, branch_id)
            view = StatusView(
                branch.name, year, (await branch_settings(s, branch_id)).deadline, members=len(members)
            )
            by_person = {p.person_id: p for p in await branch_pledges(s, branch_id, year)}
            for pid, name in members:
                p = by_person.get(pid)
                if p is None or not counts_as_pledged(p):
                    (
                        view.returned
                        if p is not None and p.status == PledgeStatus.RETURNED
                        else view.not_pledged
                    ).append(name)
                elif p.approved_version is not None:
                    view.approved.append(name)
                else:
                    view.submitted.append(name)
            rnd = (
                await s.execute(
                    select(PledgeCheckinRound)
                    .where(PledgeCheckinRound.branch_id == branch_id)
                    .order_by(PledgeCheckinRound.created_at.desc(), PledgeCheckinRound.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if rnd is not None:
                view.last_round = rnd.period
                sent, answered = (
                    await s.execute(
                        select(func.count(PledgeCheckin.id), func.count(PledgeCheckin.answered_at)).where(
                            PledgeCheckin.round_id == rnd.id
                        )
                    )
                ).one()
                view.round_sent, view.round_answered = int(sent), int(answered)
            return view

    async def _branch_for_manager(self, s: AsyncSession, actor: Actor, branch_id: int, action: str) -> Branch:
        branch = await s.get(Branch, branch_id)
        if branch is None:
            raise NotFound(_("That branch does not exist."))
        require_branch_manager(actor, branch.id, branch.org_id, action)
        return branch

    async def nudge_unpledged(self, actor: Actor, branch_id: int) -> tuple[int, int]:
        """One reminder per member without a pledge, at most once a week each. Returns (queued, skipped)."""
        now = self.now()
        year = self.year()
        queued = skipped = 0
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_nudge")
            deadline = (await branch_settings(s, branch_id)).deadline
            for pid, _name in await not_pledged(s, branch_id, year):
                if await recently_reminded(s, pid, now):
                    skipped += 1
                    continue
                if await self.remind(
                    s,
                    pid,
                    branch,
                    "nudge",
                    key=f"pledge_nudge:{branch_id}:{pid}:{now.isoformat()}",
                    deadline=deadline,
                    year=year,
                ):
                    queued += 1
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.nudge",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={"queued": queued, "skipped": skipped},
            )
        return queued, skipped

    async def remind(
        self,
        s: AsyncSession,
        person_id: int,
        branch: Branch,
        kind: str,
        *,
        key: str,
        deadline: date | None,
        year: int,
    ) -> bool:
        person = await s.get(Person, person_id)
        if person is None:
            return False

        def render() -> Reply:
            text = _(
                "📝 A gentle reminder: you have not registered your pledge to study and follow Uncle Hồ "
                "for {year} yet."
            ).format(year=year)
            if deadline is not None:
                text += "\n" + _("The branch's deadline is {date}.").format(
                    date=deadline.strftime("%d/%m/%Y")
                )
            return Reply(text=text, buttons=[[Button(_("📝 Register now"), PledgeDraft("open").pack())]])

        added = await notify(
            s, self.deps, person_id, key=key, kind="pledge_reminder", render=render, branch_id=branch.id,
            priority=5
        )
        if added:
            s.add(PledgeReminder(person_id=person_id, branch_id=branch.id, kind=kind, at=self.now()))
        return added

    async def settings_for(self, actor: Actor, branch_id: int) -> tuple[str, PledgeBranchSettings]:
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_settings")
            return branch.name, await branch_settings(s, branch_id)

    async def update_settings(
        self, actor: Actor, branch_id: int, *, deadline: date | None = None, frequency: str | None = None
    ) -> PledgeBranchSettings:
        if frequency is not None and frequency not in ("monthly", "quarterly"):
            raise StaleButton(f"unknown frequency {frequency!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_settings")
            row = await s.get(PledgeBranchSettings, branch_id) or PledgeBranchSettings(branch_id=branch_id)
            if deadline is not None:
                row.deadline = deadline
            if frequency is not None:
                row.checkin_frequency = frequency
            row.updated_at, row.updated_by = now, actor.person_id
            s.add(row)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.settings",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={
                    "deadline": row.deadline.isoformat() if row.deadline else None,
                    "frequency": row.checkin_frequency,
                },
            )
            return row

    # --- check-ins ---

    async def _own_checkin(self, s: AsyncSession, actor: Actor, checkin_id: int) -> PledgeCheckin:
        c = await s.get(PledgeCheckin, checkin_id)
        if c is None or c.person_id != actor.person_id:
            log.warning("check-in button of someone else: person=%s checkin=%s", actor.person_id, checkin_id)
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        return c

    async def answer_checkin(self, actor: Actor, checkin_id: int, item_id: int, status: str) -> CheckinView:
        if status not in CHECKIN_MARKS:
            raise StaleButton(f"unknown check-in mark {status!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            c = await self._own_checkin(s, actor, checkin_id)
            item = await s.get(PledgeItem, item_id)
            if item is None or item.pledge_id != c.pledge_id:
                raise StaleButton(f"item {item_id} is not in this check-in")
            row = (
                await s.execute(
                    select(PledgeCheckinAnswer).where(
                        PledgeCheckinAnswer.checkin_id == c.id, PledgeCheckinAnswer.item_id == item_id
                    )
                )
            ).scalar_one_or_none() or PledgeCheckinAnswer(checkin_id=c.id, item_id=item_id, status=status)
            row.status, row.answered_at = status, now
            s.add(row)
            c.answered_at = c.answered_at or now
            s.add(c)
            await s.flush()
            return await checkin_view(s, c)

    async def checkin(self, actor: Actor, checkin_id: int) -> CheckinView:
        async with self.deps.db.session() as s:
            return await checkin_view(s, await self._own_checkin(s, actor, checkin_id))

    async def note_checkin(self, actor: Actor, checkin_id: int, note: str) -> CheckinView:
        note = check_field(note)
        async with self.deps.db.session() as s:
            c = await self._own_checkin(s, actor, checkin_id)
            c.note = note
            c.answered_at = c.answered_at or self.now()
            s.add(c)
            await s.flush()
            return await checkin_view(s, c)

    # --- self-assessments ---

    async def _own_pledge(self, s: AsyncSession, actor: Actor, pledge_id: int) -> Pledge:
        p = await s.get(Pledge, pledge_id)
        if p is None or p.person_id != actor.person_id:
            log.warning("pledge button of someone else: person=%s pledge=%s", actor.person_id, pledge_id)
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        return p

    async def require_own_pledge(self, actor: Actor, pledge_id: int) -> None:
        async with self.deps.db.session() as s:
            await self._own_pledge(s, actor, pledge_id)

    async def save_midyear(self, actor: Actor, pledge_id: int, text: str) -> None:
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._own_pledge(s, actor, pledge_id)
            row = (
                await s.execute(
                    select(PledgeReview).where(PledgeReview.pledge_id == p.id, PledgeReview.kind == "midyear")
                )
            ).scalar_one_or_none()
            row = row or PledgeReview(pledge_id=p.id, person_id=p.person_id, kind="midyear", created_at=now)
            row.text, row.status, row.submitted_at = text, "submitted", now
            s.add(row)

    async def yearend_review(self, actor: Actor, review_id: int) -> PledgeReview:
        async with self.deps.db.session() as s:
            r = await s.get(PledgeReview, review_id)
            if r is None or r.person_id != actor.person_id or r.kind != "yearend":
                log.warning(
                    "year-end button of someone else: person=%s review=%s", actor.person_id, review_id
                )
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            return r

    async def edit_yearend(self, actor: Actor, review_id: int, text: str) -> PledgeReview:
        async with self.deps.db.session() as s:
            r = await s.get(PledgeReview, review_id)
            if r is None or r.person_id != actor.person_id or r.kind != "yearend":
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            if r.status == "submitted":
                raise Conflict(_("Your self-assessment was already sent to the secretary."))
            r.text = text
            s.add(r)
            return r

    async def submit_yearend(self, actor: Actor, review_id: int, level: str) -> PledgeReview:
        if level not in LEVELS:
            raise StaleButton(f"unknown level {level!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            r = await s.get(PledgeReview, review_id)
            if r is None or r.person_id != actor.person_id or r.kind != "yearend":
                log.warning(
                    "year-end submit of someone else: person=%s review=%s", actor.person_id, review_id
                )
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            if r.status == "submitted":
                raise Conflict(_("Your self-assessment was already sent to the secretary."))
            r.level, r.status, r.submitted_at = level, "submitted", now
            s.add(r)
            p = await s.get(Pledge, r.pledge_id)
            assert p is not None
            branch = await s.get(Branch, p.branch_id)
            assert branch is not None
            person = await s.get(Person, r.person_id)
            name = person.display_name if person else "?"
            year, text = p.year, r.text

            def render() -> Reply:
                return Reply(
                    text=_(
                        "📄 <b>Year-end self-assessment {year}</b> — {name}\n"
                        "Self-assessed level: <b>{level}</b>\n\n{text}"
                    ).format(year=year, name=esc(name), level=LEVELS[level](), text=esc(text))
                )

            for manager_id in await manager_ids(s, branch):
                await notify(
                    s,
                    self.deps,
                    manager_id,
                    key=f"pledge_yearend_sent:{r.id}:{manager_id}",
                    kind="pledge_to_approve",
                    render=render,
                    branch_id=p.branch_id,
                )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.yearend",
                org_id=p.org_id,
                branch_id=p.branch_id,
                target=f"review:{r.id}",
            )
            return r


# --- check-in view ----------------------------------------------------------------------------------


@dataclass
class CheckinView:
    checkin_id: int
    period: str
    items: list[tuple[int, str]]
    answers: dict[int, str]
    note: str | None


async def checkin_view(s: AsyncSession, c: PledgeCheckin) -> CheckinView:
    rnd = await s.get(PledgeCheckinRound, c.round_id)
    items = [(it.id or 0, it.what) for it in await active_items(s, c.pledge_id)]
    answers = {
        int(i): st
        for i, st in (
            await s.execute(
                select(PledgeCheckinAnswer.item_id, PledgeCheckinAnswer.status).where(
                    PledgeCheckinAnswer.checkin_id == c.id
                )
            )
        ).all()
    }
    return CheckinView(c.id or 0, rnd.period if rnd else "", items, answers, c.note)


async def recently_reminded(s: AsyncSession, person_id: int, now: datetime) -> bool:
    last = (
        await s.execute(select(func.max(PledgeReminder.at)).where(PledgeReminder.person_id == person_id))
    ).scalar_one_or_none()
    if last is None:
        return False
    from bot.clock import as_utc

    return as_utc(last) > now - NUDGE_COOLDOWN


# --- validation -------------------------------------------------------------------------------------


def check_field(text: str, limit: int = FIELD_MAX) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The answer is empty. Please type it."))
    if len(text) > limit:
        raise InvalidInput(
            _("That is too long ({length} characters). Please keep it within {n} characters.").format(
                length=len(text), n=limit
            )
        )
    return text


def validate(content: dict[str, Any]) -> None:
    items = content.get("items") or []
    if not items:
        raise InvalidInput(_("A pledge needs at least one deed."))
    if len(items) > MAX_ITEMS:
        raise InvalidInput(_("A pledge holds at most {n} deeds.").format(n=MAX_ITEMS))
    for key in ("duty", "shortcoming", "remedy", "commitment"):
        content[key] = check_field(content.get(key) or "")
    for it in items:
        for key in ITEM_KEYS:
            it[key] = check_field(it.get(key) or "")
    if not is_complete(content):
        raise InvalidInput(_("Some parts of the pledge are still empty."))


# --- year-end draft from records ----------------------------------------------------------------------


async def year_record(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo) -> YearRecord:
    content = await pledge_content(s, p)
    progress = await item_progress(s, ext, [it["id"] for it in content["items"]])
    mid = (
        await s.execute(
            select(PledgeReview.text).where(
                PledgeReview.pledge_id == p.id,
                PledgeReview.kind == "midyear",
                PledgeReview.status == "submitted",
            )
        )
    ).scalar_one_or_none()
    notes = [
        (at.astimezone(tz).date(), note)
        for at, note in (
            await s.execute(
                select(PledgeCheckin.answered_at, PledgeCheckin.note)
                .where(PledgeCheckin.pledge_id == p.id, PledgeCheckin.note.is_not(None))
                .order_by(PledgeCheckin.created_at)
            )
        ).all()
        if at is not None and note
    ]
    amendments = (
        int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(PledgeVersion)
                    .where(
                        PledgeVersion.pledge_id == p.id, PledgeVersion.status == PledgeStatus.APPROVED.value
                    )
                )
            ).scalar_one()
        )
        - 1
    )
    return YearRecord(
        year=p.year,
        duty=p.duty,
        items=content["items"],
        progress=progress,
        shortcoming=p.shortcoming,
        remedy=p.remedy,
        midyear=mid,
        notes=notes,
        amendments=max(amendments, 0),
    )


async def build_yearend_draft(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo) -> str:
    return yearend_draft(await year_record(s, ext, p, tz))


# --- declared in feature.py -------------------------------------------------------------------------------------------


async def _pledge_items(session: AsyncSession, person_id: int, year: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(PledgeItem.id, PledgeItem.position, PledgeItem.what)
        .join(Pledge, Pledge.id == PledgeItem.pledge_id)
        .where(
            Pledge.person_id == person_id,
            Pledge.year == year,
            Pledge.approved_version.is_not(None),
            PledgeItem.active.is_(True),
        )
        .order_by(Pledge.id, PledgeItem.position)
    )
    return [(int(i), f"{pos + 1}. {what[:60]}") for i, pos, what in rows.all()]


async def _not_pledged_audience(session: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    return {pid for pid, _name in await not_pledged(session, branch_id, local_year(now, deps.settings.tz))}


async def _figures(
    session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    years = list(range(local_year(start, deps.settings.tz), local_year(end, deps.settings.tz) + 1))
    pledges = (
        (await session.execute(select(Pledge).where(Pledge.branch_id == branch_id, Pledge.year.in_(years))))
        .scalars()
        .all()
    )
    from bot.clock import as_utc

    pledged = sum(1 for p in pledges if p.first_submitted_at and as_utc(p.first_submitted_at) < end)
    approved = sum(1 for p in pledges if p.first_approved_at and as_utc(p.first_approved_at) < end)
    sent, answered = (
        await session.execute(
            select(func.count(PledgeCheckin.id), func.count(PledgeCheckin.answered_at))
            .join(PledgeCheckinRound, PledgeCheckinRound.id == PledgeCheckin.round_id)
            .where(
                PledgeCheckinRound.branch_id == branch_id,
                PledgeCheckin.created_at >= start,
                PledgeCheckin.created_at < end,
            )
        )
    ).one()
    return {
        "pledged": pledged,
        "pledges_approved": approved,
        "checkin_sent": int(sent),
        "checkin_answered": int(answered),
    }


async def _erase_pledges(session: AsyncSession, person_id: int, deps: Deps) -> None:
    """Blank what the person wrote; keep the rows (status, dates) so branch totals stay right."""
    ids = list(
        (await session.execute(select(Pledge.id).where(Pledge.person_id == person_id))).scalars().all()
    )
    await session.execute(
        update(Pledge)
        .where(Pledge.person_id == person_id)
        .values(duty="", shortcoming="", remedy="", commitment="", secretary_comment=None, draft=None)
    )
    if ids:
        await session.execute(
            update(PledgeItem)
            .where(PledgeItem.pledge_id.in_(ids))
            .values(what="", criterion="", when_text="")
        )
        await session.execute(
            update(PledgeVersion).where(PledgeVersion.pledge_id.in_(ids)).values(content={}, comment=None)
        )
        await session.execute(update(PledgeCheckin).where(PledgeCheckin.pledge_id.in_(ids)).values(note=None))
    await session.execute(update(PledgeReview).where(PledgeReview.person_id == person_id).values(text=""))
    await session.execute(delete(PledgeReminder).where(PledgeReminder.person_id == person_id))
