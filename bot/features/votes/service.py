"""Votes at a branch meeting (biểu quyết): open, ballots, live tally, close, result.

Who may vote: the branch's active members counted present at the meeting (the meetings feature's
``present_at_meeting`` provider, read at every tap, so a member checked in late may still vote). One ballot per
person and vote (a unique constraint and an upsert), changeable until the close. Every ballot first bumps the
vote's ``ballots_rev`` with one UPDATE guarded by ``closed_at IS NULL``; the close is an UPDATE of the same row
guarded the same way, so on PostgreSQL a tap and the close take the same row lock and no ballot lands after the
close (on SQLite sessions run one at a time anyway).

Defaults (docs/year-end.md §3 and §7; not found in Quy định 366 / Hướng dẫn 43, so they are branch settings):
anonymous (counts only, names never shown), passed = more than half of the branch's members (setting: of those
present), a warning when fewer than 2/3 of the members are present. The membership model has no probationary
flag, so every active member counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.votes.models import Ballot, PassBasis, Vote, VoteKind, VoteSettings
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_member_ids, load_branch, seated_manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.identity import IdentityService
from bot.services.notify import notify
from bot.services.permissions import require_vote_runner
from storage.models.people import Person

MAX_OPTIONS = 10
MAX_OPTION_LEN = 100
MAX_QUESTION_LEN = 500
QUORUM_NUM, QUORUM_DEN = 2, 3  # warn when fewer than 2/3 of the members are present (docs/year-end.md §7)


def default_options() -> list[str]:
    return [_("Agree"), _("Disagree"), _("Abstain")]


@dataclass
class Tally:
    """A vote's figures: live while open, frozen once closed."""

    vote: Vote
    counts: list[int]
    voters: int
    present: int
    members: int
    quorum: bool
    passed: bool | None  # None while open
    winner: int | None  # the option that passed (yes/no: 0), else None

    @property
    def closed(self) -> bool:
        return self.vote.closed_at is not None


@dataclass
class CastOutcome:
    vote: Vote
    choice: int
    changed: bool  # True: the person had chosen another option before


# --- reads shared by the use cases and the providers ------------------------------------------------------


PresentFn = Callable[[AsyncSession, int], Awaitable[set[int]]] | None


async def present_ids(s: AsyncSession, deps: Deps, meeting_id: int) -> set[int]:
    fn = deps.ext.providers.present_at_meeting
    return await fn(s, meeting_id) if fn is not None else set()


async def branch_settings(s: AsyncSession, branch_id: int) -> VoteSettings:
    return await s.get(VoteSettings, branch_id) or VoteSettings(branch_id=branch_id)


async def ballot_counts(s: AsyncSession, vote: Vote) -> list[int]:
    rows = await s.execute(
        select(Ballot.choice, func.count()).where(Ballot.vote_id == vote.id).group_by(Ballot.choice)
    )
    counts = [0] * len(vote.options)
    for choice, n in rows.all():
        if 0 <= int(choice) < len(counts):
            counts[int(choice)] = int(n)
    return counts


def decide(vote: Vote, counts: list[int], present: int, members: int) -> tuple[bool, int | None]:
    """(passed, winning option). Yes/no: "Agree" (option 0) must exceed half of the basis; a choice: the one
    option with the most ballots must exceed half of the basis (a tie passes nothing)."""
    basis = present if vote.pass_basis == PassBasis.PRESENT.value else members
    if vote.kind == VoteKind.YES_NO.value:
        top = 0
    else:
        best = max(counts) if counts else 0
        if counts.count(best) != 1:
            return False, None
        top = counts.index(best)
    passed = basis > 0 and counts[top] * 2 > basis
    return passed, (top if passed else None)


async def tally(s: AsyncSession, present_fn: PresentFn, vote: Vote) -> Tally:
    """``present_fn``: the present_at_meeting provider, read live while the vote is open; without it (a
    provider called without the App) the number present when the vote was opened is used."""
    if vote.closed_at is not None and vote.counts is not None:
        counts = list(vote.counts)
        present, members = vote.present_count or 0, vote.member_count or 0
    else:
        counts = await ballot_counts(s, vote)
        members_set = await active_member_ids(s, vote.branch_id)
        members = len(members_set)
        if present_fn is not None:
            present = len(await present_fn(s, vote.meeting_id) & members_set)
        else:
            present = vote.present_count or 0
    quorum = members > 0 and present * QUORUM_DEN >= members * QUORUM_NUM
    passed: bool | None = None
    winner: int | None = None
    if vote.closed_at is not None:
        passed, winner = decide(vote, counts, present, members)
    return Tally(vote, counts, sum(counts), present, members, quorum, passed, winner)


def counts_text(t: Tally) -> str:
    """"Tán thành 10, không tán thành 0, không biểu quyết 1" (typed options keep their own case)."""
    parts = []
    for i, (label, n) in enumerate(zip(t.vote.options, t.counts, strict=False)):
        if i and t.vote.kind == VoteKind.YES_NO.value:
            label = label[:1].lower() + label[1:]
        parts.append(f"{label} {n}")
    return ", ".join(parts)


def result_line(t: Tally) -> str:
    """One line for the minutes: counts; present/members; passed or not (or still open)."""
    line = _("{counts}; present {present}/{members}").format(
        counts=counts_text(t), present=t.present, members=t.members)
    if not t.quorum:
        line += "; " + _("fewer than two thirds present")
    if not t.closed:
        return line + "; " + _("voting still open")
    if t.vote.kind == VoteKind.CHOICE.value:
        if t.winner is not None:
            return line + "; " + _("chosen: {option}").format(option=t.vote.options[t.winner])
        return line + "; " + _("no option won a majority")
    return line + "; " + (_("passed") if t.passed else _("not passed"))


def result_dict(t: Tally) -> dict[str, Any]:
    return {
        "closed": t.closed,
        "counts": list(t.counts),
        "voters": t.voters,
        "present": t.present,
        "members": t.members,
        "quorum": t.quorum,
        "passed": t.passed,
        "result_line": result_line(t),
    }


def clean_options(options: list[str]) -> list[str]:
    out: list[str] = []
    for raw in options:
        label = " ".join(str(raw).split()).strip(" -•*.\t")
        if label and label.casefold() not in {o.casefold() for o in out}:
            out.append(label)
    if len(out) < 2:
        raise InvalidInput(_("Please give at least two different options, one per line."))
    if len(out) > MAX_OPTIONS:
        raise InvalidInput(_("At most {n} options, please.").format(n=MAX_OPTIONS))
    if any(len(o) > MAX_OPTION_LEN for o in out):
        raise InvalidInput(_("Each option must be at most {n} characters.").format(n=MAX_OPTION_LEN))
    return out


def meeting_date(deps: Deps, starts_at: datetime) -> str:
    return as_utc(starts_at).astimezone(deps.settings.tz).strftime("%d/%m/%Y")


async def open_in(
    s: AsyncSession,
    deps: Deps,
    actor: Actor,
    meeting_id: int,
    question: str,
    options: list[str],
    anonymous: bool,
    topic: str,
) -> Vote:
    """Open a vote at a meeting and queue each present member's ballot (inside the caller's session)."""
    brief_fn = deps.ext.providers.meeting_brief
    brief = await brief_fn(s, meeting_id) if brief_fn is not None else None
    if brief is None:
        raise NotFound(_("That meeting does not exist."))
    branch_id, starts_at = brief
    branch = await load_branch(s, branch_id)
    require_vote_runner(actor, branch.id, branch.org_id, "vote.open")
    question = " ".join(question.split())
    if not question:
        raise InvalidInput(_("The question is empty. Please type it."))
    if len(question) > MAX_QUESTION_LEN:
        raise InvalidInput(_("Please keep the question within {n} characters.").format(n=MAX_QUESTION_LEN))
    options = clean_options(options)
    now = deps.clock.now()
    if as_utc(starts_at) > now + _EARLY:
        raise Conflict(_("That meeting has not started yet; votes are opened during or after the meeting."))
    settings = await branch_settings(s, branch.id)
    kind = VoteKind.YES_NO if [o.casefold() for o in options] == [o.casefold() for o in default_options()] \
        else VoteKind.CHOICE
    vote = Vote(meeting_id=meeting_id, branch_id=branch.id, question=question, options=options,
                kind=kind.value, anonymous=anonymous, pass_basis=settings.pass_basis, topic=topic[:100],
                opened_by=actor.person_id, opened_at=now)
    s.add(vote)
    await s.flush()
    members = await active_member_ids(s, branch.id)
    voters = sorted(await present_ids(s, deps, meeting_id) & members)
    vote.present_count, vote.member_count = len(voters), len(members)  # a snapshot until the close
    s.add(vote)
    day = meeting_date(deps, starts_at)
    for pid in voters:
        await notify(s, deps, pid, kind="vote_ballot", key=f"vote_ballot:{vote.id}:{pid}",
                     render=lambda: ballot_reply(vote, day, None), branch_id=branch.id, ref=f"vote:{vote.id}",
                     priority=2)
    await audit.record(s, at=now, actor_person_id=actor.person_id, action="vote.open", org_id=branch.org_id,
                       branch_id=branch.id, target=f"vote:{vote.id}",
                       details={"meeting": meeting_id, "options": len(options), "anonymous": anonymous,
                                "ballots": len(voters), "topic": topic[:100]})
    return vote


# A vote may be opened from half an hour before the start (the meeting is gathering) onwards.
_EARLY = timedelta(minutes=30)


def ballot_reply(vote: Vote, day: str, chosen: int | None) -> Any:
    from bot.features.votes.texts import ballot

    return ballot(vote, day, chosen)


# --- use cases ----------------------------------------------------------------------------------------------


class VoteService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _vote_for_runner(self, s: AsyncSession, actor: Actor, vote_id: int, action: str) -> Vote:
        vote = await s.get(Vote, vote_id)
        if vote is None:
            raise NotFound(_("That vote does not exist."))
        branch = await load_branch(s, vote.branch_id)
        require_vote_runner(actor, branch.id, branch.org_id, action)
        return vote

    async def recent_meetings(self, actor: Actor, branch_id: int) -> list[tuple[int, datetime]]:
        """The branch's meetings that have started (or start within half an hour), newest first."""
        fn = self.deps.ext.providers.recent_meetings
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_vote_runner(actor, branch.id, branch.org_id, "vote.list")
            if fn is None:
                return []
            return await fn(s, branch_id, self.deps.clock.now() + _EARLY)

    async def meeting_overview(self, actor: Actor, meeting_id: int) -> tuple[int, datetime, list[Tally]]:
        """(branch id, meeting start, its votes' tallies in opening order) for the secretary's screen."""
        fn = self.deps.ext.providers.meeting_brief
        async with self.deps.db.session() as s:
            brief = await fn(s, meeting_id) if fn is not None else None
            if brief is None:
                raise NotFound(_("That meeting does not exist."))
            branch = await load_branch(s, brief[0])
            require_vote_runner(actor, branch.id, branch.org_id, "vote.list")
            votes = (await s.execute(select(Vote).where(Vote.meeting_id == meeting_id).order_by(Vote.id))
                     ).scalars().all()
            return brief[0], brief[1], [await tally(s, self.deps.ext.providers.present_at_meeting, v) for v in votes]

    async def present_count(self, actor: Actor, meeting_id: int) -> tuple[int, int]:
        """(present members, members) of the meeting's branch, for the opening form."""
        fn = self.deps.ext.providers.meeting_brief
        async with self.deps.db.session() as s:
            brief = await fn(s, meeting_id) if fn is not None else None
            if brief is None:
                raise NotFound(_("That meeting does not exist."))
            branch = await load_branch(s, brief[0])
            require_vote_runner(actor, branch.id, branch.org_id, "vote.open")
            members = await active_member_ids(s, branch.id)
            return len(await present_ids(s, self.deps, meeting_id) & members), len(members)

    async def open(self, actor: Actor, meeting_id: int, question: str, options: list[str] | None = None,
                   anonymous: bool | None = None, topic: str = "") -> Vote:
        async with self.deps.db.session() as s:
            if anonymous is None:
                fn = self.deps.ext.providers.meeting_brief
                brief = await fn(s, meeting_id) if fn is not None else None
                anonymous = (await branch_settings(s, brief[0])).anonymous if brief is not None else True
            return await open_in(s, self.deps, actor, meeting_id, question, options or default_options(),
                                 anonymous, topic)

    async def cast(self, actor: Actor, vote_id: int, choice: int) -> CastOutcome:
        """A member's tap on their ballot: recorded, changed, or politely refused."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            vote = await s.get(Vote, vote_id)
            if vote is None:
                raise NotFound(_("That vote does not exist."))
            if not 0 <= choice < len(vote.options):
                raise InvalidInput(_("That option is not on this ballot."))
            if vote.closed_at is not None:
                raise Conflict(_("Comrade, this vote has already closed; your choice was not recorded."))
            if actor.person_id not in await active_member_ids(s, vote.branch_id):
                raise PermissionDenied(_("Comrade, only members of the branch vote here; your choice was not "
                                         "recorded."))
            if actor.person_id not in await present_ids(s, self.deps, vote.meeting_id):
                raise Conflict(_("Comrade, you are not checked in at this meeting, so you cannot vote yet. Check "
                                 "in with the meeting's code (/comat) or ask the secretary to mark you present."))
            mine = (await s.execute(select(Ballot).where(Ballot.vote_id == vote.id,
                                                         Ballot.person_id == actor.person_id))).scalar_one_or_none()
            if mine is not None and mine.choice == choice:
                raise Conflict(_("Comrade, you have already chosen “{option}”; nothing was changed.")
                               .format(option=vote.options[choice]))
            # The guarded bump takes the vote's row lock: a close that committed first makes this 0 rows.
            bumped = await s.execute(update(Vote).where(Vote.id == vote.id, Vote.closed_at.is_(None))
                                     .values(ballots_rev=Vote.ballots_rev + 1))
            if bumped.rowcount == 0:  # type: ignore[attr-defined]
                raise Conflict(_("Comrade, this vote has already closed; your choice was not recorded."))
            insert = pg_insert if self.deps.db.dialect == "postgresql" else sqlite_insert
            stmt = insert(Ballot).values(vote_id=vote.id, person_id=actor.person_id, choice=choice, first_at=now,
                                         at=now, changes=0)
            await s.execute(stmt.on_conflict_do_update(
                index_elements=["vote_id", "person_id"],
                set_={"choice": stmt.excluded.choice, "at": stmt.excluded.at, "changes": Ballot.changes + 1},
            ))
            return CastOutcome(vote, choice, mine is not None)

    async def ballot_day(self, vote: Vote) -> str:
        fn = self.deps.ext.providers.meeting_brief
        async with self.deps.db.session() as s:
            brief = await fn(s, vote.meeting_id) if fn is not None else None
        return meeting_date(self.deps, brief[1]) if brief is not None else ""

    async def view(self, actor: Actor, vote_id: int) -> tuple[Tally, dict[int, list[str]], list[str]]:
        """The secretary's live view: the tally, and for a public vote only the names per option and of those
        present who have not voted (an anonymous vote shows counts only)."""
        async with self.deps.db.session() as s:
            vote = await self._vote_for_runner(s, actor, vote_id, "vote.view")
            t = await tally(s, self.deps.ext.providers.present_at_meeting, vote)
            names: dict[int, list[str]] = {}
            waiting: list[str] = []
            if not vote.anonymous:
                rows = await s.execute(select(Ballot.choice, Person.display_name, Ballot.person_id)
                                       .join(Person, Person.id == Ballot.person_id)
                                       .where(Ballot.vote_id == vote.id).order_by(Person.display_name))
                voted: set[int] = set()
                for choice, name, pid in rows.all():
                    names.setdefault(int(choice), []).append(name)
                    voted.add(int(pid))
                if vote.closed_at is None:
                    present = (await present_ids(s, self.deps, vote.meeting_id)
                               & await active_member_ids(s, vote.branch_id)) - voted
                    if present:
                        waiting = list((await s.execute(select(Person.display_name).where(Person.id.in_(present))
                                                        .order_by(Person.display_name))).scalars().all())
            return t, names, waiting

    async def close(self, actor: Actor, vote_id: int) -> Tally:
        """Close the vote (once): freeze its counts, present and members, and send the result to those present
        and the branch's other managers."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            vote = await self._vote_for_runner(s, actor, vote_id, "vote.close")
            closed = await s.execute(update(Vote).where(Vote.id == vote.id, Vote.closed_at.is_(None))
                                     .values(closed_at=now, closed_by=actor.person_id))
            if closed.rowcount == 0:  # type: ignore[attr-defined]
                raise Conflict(_("This vote has already closed."))
            await s.refresh(vote)
            members = await active_member_ids(s, vote.branch_id)
            present = await present_ids(s, self.deps, vote.meeting_id) & members
            vote.counts = await ballot_counts(s, vote)
            vote.present_count, vote.member_count = len(present), len(members)
            s.add(vote)
            t = await tally(s, self.deps.ext.providers.present_at_meeting, vote)
            branch = await load_branch(s, vote.branch_id)
            told = sorted((present | set(await seated_manager_ids(s, branch.id))) - {actor.person_id})
            from bot.features.votes.texts import result_message

            for pid in told:
                await notify(s, self.deps, pid, kind="vote_result", key=f"vote_result:{vote.id}:{pid}",
                             render=lambda: result_message(t), branch_id=branch.id, ref=f"vote:{vote.id}")
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="vote.close",
                               org_id=branch.org_id, branch_id=branch.id, target=f"vote:{vote.id}",
                               details={"voters": t.voters, "present": t.present, "members": t.members,
                                        "passed": t.passed})
            return t

    async def settings(self, actor: Actor, branch_id: int) -> VoteSettings:
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_vote_runner(actor, branch.id, branch.org_id, "vote.settings")
            return await branch_settings(s, branch_id)

    async def toggle_setting(self, actor: Actor, branch_id: int, key: str) -> VoteSettings:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_vote_runner(actor, branch.id, branch.org_id, "vote.settings")
            row = await s.get(VoteSettings, branch_id) or VoteSettings(branch_id=branch_id)
            if key == "anon":
                row.anonymous = not row.anonymous
            else:
                row.pass_basis = (PassBasis.PRESENT.value if row.pass_basis == PassBasis.MEMBERS.value
                                  else PassBasis.MEMBERS.value)
            row.updated_at, row.updated_by = now, actor.person_id
            s.add(row)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="vote.settings",
                               org_id=branch.org_id, branch_id=branch_id,
                               details={"anonymous": row.anonymous, "pass_basis": row.pass_basis})
            return row


# --- providers (contracts.md) -------------------------------------------------------------------------------


async def provide_open_meeting_vote(s: AsyncSession, deps: Any, meeting_id: int, opener_id: int, question: str,
                                    options: list[str], anonymous: bool, topic: str) -> int:
    actor = await IdentityService(deps).actor_in(s, opener_id)
    if actor is None:
        raise PermissionDenied(_("Sorry, you are not allowed to do that."))
    vote = await open_in(s, deps, actor, meeting_id, question, options, anonymous, topic)
    assert vote.id is not None
    return vote.id


async def provide_vote_result(s: AsyncSession, vote_id: int) -> dict[str, Any] | None:
    """Closed: the frozen result. Open: live counts, with the number present when it was opened."""
    vote = await s.get(Vote, vote_id)
    if vote is None:
        return None
    return result_dict(await tally(s, None, vote))


async def provide_meeting_votes(s: AsyncSession, meeting_id: int) -> list[tuple[str, str]]:
    votes = (await s.execute(select(Vote).where(Vote.meeting_id == meeting_id, Vote.closed_at.is_not(None))
                             .order_by(Vote.opened_at, Vote.id))).scalars().all()
    return [(v.question, result_line(await tally(s, None, v))) for v in votes]
