"""The rules of contests: opening one, entering it (late, second, oversized and unaccepted entries are
refused), the per-branch counts, judging on the rubric, results, the workbook and the winners' list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, local_today
from bot.features.contests.models import Contest, ContestEntry, ContestScore
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_members, manager_ids
from bot.services.documents import DocSpec, Paragraph, Signer, Table, docx_bytes, place_date_line
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import (
    can_judge_contest,
    require_contest_committee,
    require_contest_entrant,
    require_contest_judge,
)
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import fold, number
from storage.models.org import Branch, Organization
from storage.models.people import Person

KINDS = ("text", "photo", "document", "video", "link")
PLATFORM_MAX_MB = 20  # Telegram bots download files up to 20 MB
MAX_TEXT = 4000
PRIZES = 3  # the first, second and third prize of the winners' list
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def kind_label(kind: str) -> str:
    return {
        "text": _("text"), "photo": _("photo"), "document": _("document"), "video": _("video clip"),
        "link": _("link"),
    }.get(kind, kind)


def prize_label(rank: int) -> str:
    return {1: _("First prize"), 2: _("Second prize"), 3: _("Third prize")}.get(rank, "")


def is_link(text: str) -> bool:
    return bool(_URL.match(text.strip()))


def parse_criteria(text: str) -> list[list[str | int]]:
    """"Nội dung 50; Hình thức 30; Sáng tạo 20" -> [["Nội dung", 50], ...]. Raises InvalidInput."""
    out: list[list[str | int]] = []
    for part in re.split(r"[;\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(.+?)[\s:=-]+(\d{1,3})", part)
        if not m or not 0 < int(m.group(2)) <= 100:
            raise InvalidInput(_("Please write each criterion with its maximum points, separated by “;”, e.g. "
                                 "“Nội dung 50; Hình thức 30; Sáng tạo 20”."))
        out.append([m.group(1).strip()[:100], int(m.group(2))])
    if not out or len(out) > 10:
        raise InvalidInput(_("A rubric has between 1 and 10 criteria."))
    return out


@dataclass
class ContestInput:
    title: str
    rules: str
    kinds: list[str]
    max_mb: int
    deadline: date
    per: str  # member | branch
    criteria: list[list[str | int]]
    announce: bool = False


@dataclass
class EntryInput:
    kind: str
    text: str = ""
    url: str = ""
    media_key: str | None = None
    file_name: str = ""
    size: int | None = None


@dataclass
class BranchCount:
    branch_id: int
    name: str
    entries: int


@dataclass
class Ranked:
    rank: int
    entry: ContestEntry
    author: str
    branch: str
    average: float
    judges: int
    prize: str = ""


@dataclass
class Standing:
    contest: Contest
    ranking: list[Ranked] = field(default_factory=list)
    unscored: int = 0


class Contests:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- reading ---------------------------------------------------------------------------------------

    async def _contest(self, s: AsyncSession, contest_id: int) -> Contest:
        contest = await s.get(Contest, contest_id)
        if contest is None:
            raise NotFound(_("This contest no longer exists."))
        return contest

    async def get(self, contest_id: int) -> Contest:
        async with self.deps.db.session() as s:
            return await self._contest(s, contest_id)

    def is_open(self, contest: Contest) -> bool:
        return local_today(self.deps.clock) <= contest.deadline

    async def open_for_member(self, actor: Actor) -> list[Contest]:
        """Contests of the member's đảng bộ(s) still taking entries."""
        orgs = {seat.org_id for seat in actor.active_seats()}
        if not orgs:
            return []
        async with self.deps.db.session() as s:
            rows = (await s.execute(select(Contest).where(Contest.org_id.in_(orgs),  # type: ignore[attr-defined]
                                                          Contest.deadline >= local_today(self.deps.clock))
                                    .order_by(Contest.deadline, Contest.id))).scalars().all()
        return list(rows)

    async def of_committee(self, actor: Actor) -> list[Contest]:
        """Every contest of the đảng bộ(s) the person administers (all of them for a system admin)."""
        async with self.deps.db.session() as s:
            query = select(Contest).order_by(Contest.id.desc())  # type: ignore[union-attr]
            if not actor.is_system_admin:
                query = query.where(Contest.org_id.in_(actor.admin_org_ids))  # type: ignore[attr-defined]
            return list((await s.execute(query)).scalars().all())

    async def judged_by(self, actor: Actor) -> list[Contest]:
        """Contests the person may score: their committee's, and those that named them a judge."""
        async with self.deps.db.session() as s:
            rows = (await s.execute(select(Contest).order_by(Contest.id.desc()))).scalars().all()  # type: ignore[union-attr]
        return [c for c in rows if can_judge_contest(actor, c.org_id, list(c.judge_ids))]

    # --- the committee opens a contest ----------------------------------------------------------------

    async def open(self, actor: Actor, org_id: int, data: ContestInput) -> Contest:
        require_contest_committee(actor, org_id, "contest_open")
        kinds = [k for k in KINDS if k in data.kinds]
        if not kinds:
            raise InvalidInput(_("Choose at least one kind of entry."))
        if not 1 <= data.max_mb <= PLATFORM_MAX_MB:
            raise InvalidInput(_("The size limit is between 1 and {limit} MB.").format(limit=PLATFORM_MAX_MB))
        if data.deadline < local_today(self.deps.clock):
            raise InvalidInput(_("The deadline has already passed."))
        if data.per not in ("member", "branch"):
            raise InvalidInput(_("Please choose one of the options."))
        async with self.deps.db.session() as s:
            contest = Contest(org_id=org_id, title=data.title.strip()[:200], rules=data.rules.strip()[:2000],
                              kinds=kinds, max_mb=data.max_mb, deadline=data.deadline, per=data.per,
                              criteria=data.criteria, created_by=actor.person_id)
            s.add(contest)
            await s.flush()
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="contest_open", org_id=org_id, target=f"contest:{contest.id}")
            if data.announce:
                await self._to_branches(s, contest, "open", lambda: Reply(self.announcement(contest)))
        return contest

    async def name_judge(self, actor: Actor, contest_id: int, person_id: int) -> Contest:
        """The committee names a judge of this contest (only this one); the judge is told how to score."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_judge_name")
            if await s.get(Person, person_id) is None:
                raise NotFound(_("Unknown person."))
            if person_id not in contest.judge_ids:
                contest.judge_ids = [*contest.judge_ids, person_id]
                s.add(contest)
                title = contest.title
                key = f"contest:{contest.id}:judge:{person_id}"
                await notify(s, self.deps, person_id, kind="contest_news", key=key,
                             render=lambda: Reply(_("⚖️ You are named a judge of the contest “{title}”. Score its "
                                                    "entries with /chamthi.").format(title=esc(title))),
                             ref=f"contest:{contest.id}")
        return contest

    async def find_member(self, actor: Actor, contest_id: int, name: str) -> tuple[int, str]:
        """The one active member of the contest's đảng bộ called ``name`` (exact, else without diacritics)."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_judge_name")
            branches = (await s.execute(select(Branch.id).where(Branch.org_id == contest.org_id))).scalars().all()
            people: dict[int, str] = {}
            for branch_id in branches:
                people.update(dict(await active_members(s, branch_id)))
        exact = [(pid, n) for pid, n in people.items() if n.strip().lower() == name.strip().lower()]
        found = exact or [(pid, n) for pid, n in people.items() if fold(n) == fold(name)]
        if not found:
            raise InvalidInput(_("No member of the Party committee's branches is called “{name}”.").format(
                name=esc(name)))
        if len(found) > 1:
            raise InvalidInput(_("{n} members are called “{name}”. Please type the full name exactly, with its "
                                 "diacritics.").format(n=len(found), name=esc(name)))
        return found[0]

    def announcement(self, contest: Contest) -> str:
        lines = [_("🏆 <b>Contest: {title}</b>").format(title=esc(contest.title))]
        if contest.rules:
            lines.append(esc(contest.rules))
        lines += self.terms(contest)
        lines.append(_("Members enter with /hoithi."))
        return "\n".join(lines)

    def terms(self, contest: Contest) -> list[str]:
        per = _("one entry per member") if contest.per == "member" else _("one entry per branch")
        return [
            _("Entries: {kinds}; {per}.").format(kinds=", ".join(kind_label(k) for k in contest.kinds), per=per),
            _("Files up to {mb} MB. Deadline: {day}.").format(mb=self.limit_mb(contest),
                                                             day=contest.deadline.strftime("%d/%m/%Y")),
        ]

    def limit_mb(self, contest: Contest) -> int:
        store_mb = self.deps.settings.media_max_bytes // 1_048_576
        return max(1, min(contest.max_mb, PLATFORM_MAX_MB, store_mb))

    async def _to_branches(self, s: AsyncSession, contest: Contest, what: str, render: object) -> int:
        """One notice to each branch's managers (the secretaries pass it on to their members)."""
        branches = (await s.execute(select(Branch).where(Branch.org_id == contest.org_id))).scalars().all()
        n = 0
        for branch in branches:
            for pid in await manager_ids(s, branch):
                n += await notify(s, self.deps, pid, kind="contest_news", key=f"contest:{contest.id}:{what}:{pid}",
                                  render=render, branch_id=branch.id, ref=f"contest:{contest.id}")  # type: ignore[arg-type]
        return n

    # --- members enter ---------------------------------------------------------------------------------

    async def _slot_taken(self, s: AsyncSession, contest: Contest, actor: Actor, branch_id: int) -> ContestEntry | None:
        slot = self._slot(contest, actor, branch_id)
        return (await s.execute(select(ContestEntry).where(ContestEntry.contest_id == contest.id,
                                                           ContestEntry.slot == slot))).scalars().first()

    @staticmethod
    def _slot(contest: Contest, actor: Actor, branch_id: int) -> str:
        return f"b{branch_id}" if contest.per == "branch" else f"m{actor.person_id}"

    async def check_can_enter(self, actor: Actor, contest_id: int) -> Contest:
        """Refuse before asking for the entry: not a member of the đảng bộ, late, already entered."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            await self._check(s, actor, contest)
        return contest

    async def _check(self, s: AsyncSession, actor: Actor, contest: Contest) -> int:
        seat = require_contest_entrant(actor, contest.org_id, contest.id or 0)
        if not self.is_open(contest):
            raise Conflict(_("Sorry, the contest “{title}” closed on {day}: entries are no longer accepted.")
                           .format(title=esc(contest.title), day=contest.deadline.strftime("%d/%m/%Y")))
        taken = await self._slot_taken(s, contest, actor, seat.branch_id)
        if taken is not None:
            if contest.per == "branch":
                raise Conflict(_("Your branch has already entered this contest (entry No. {n}); it takes one "
                                 "entry per branch.").format(n=taken.number))
            raise Conflict(_("You have already entered this contest (entry No. {n}); it takes one entry per "
                             "member.").format(n=taken.number))
        return seat.branch_id

    def check_entry(self, contest: Contest, kind: str, size: int | None) -> None:
        """The kind is accepted and the file within the limit (refused before downloading it)."""
        if kind not in contest.kinds:
            raise InvalidInput(_("This contest does not accept a {kind}. It accepts: {kinds}.").format(
                kind=kind_label(kind), kinds=", ".join(kind_label(k) for k in contest.kinds)))
        limit = self.limit_mb(contest)
        if size is not None and size > limit * 1_048_576:
            raise InvalidInput(_("That file is too large ({size} MB). The limit for this contest is {limit} MB.")
                               .format(size=round(size / 1_048_576, 1), limit=limit))

    async def submit(self, actor: Actor, contest_id: int, data: EntryInput) -> ContestEntry:
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            branch_id = await self._check(s, actor, contest)
            self.check_entry(contest, data.kind, data.size)
            last = (await s.execute(select(func.max(ContestEntry.number))
                                    .where(ContestEntry.contest_id == contest.id))).scalar_one()
            entry = ContestEntry(contest_id=contest.id or 0, number=(last or 0) + 1,
                                 slot=self._slot(contest, actor, branch_id), person_id=actor.person_id,
                                 branch_id=branch_id, kind=data.kind, text=data.text[:MAX_TEXT], url=data.url[:1000],
                                 media_key=data.media_key, file_name=data.file_name[:200], size=data.size)
            s.add(entry)
            await s.flush()
        return entry

    # --- the committee follows ------------------------------------------------------------------------

    async def branch_counts(self, actor: Actor, contest_id: int) -> tuple[Contest, list[BranchCount]]:
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_counts")
            branches = (await s.execute(select(Branch).where(Branch.org_id == contest.org_id)
                                        .order_by(Branch.name))).scalars().all()
            counts = dict((await s.execute(
                select(ContestEntry.branch_id, func.count()).where(ContestEntry.contest_id == contest.id)
                .group_by(ContestEntry.branch_id))).all())
        return contest, [BranchCount(b.id or 0, b.name, int(counts.get(b.id, 0))) for b in branches]

    # --- judging ---------------------------------------------------------------------------------------

    async def entries_to_score(self, actor: Actor, contest_id: int) -> tuple[Contest, list[ContestEntry]]:
        """The entries this judge has not scored yet, in number order."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_judge(actor, contest.org_id, list(contest.judge_ids), contest.id or 0)
            scored = select(ContestScore.entry_id).where(ContestScore.judge_id == actor.person_id)
            rows = (await s.execute(select(ContestEntry).where(ContestEntry.contest_id == contest.id,
                                                               ContestEntry.id.not_in(scored))  # type: ignore[union-attr]
                                    .order_by(ContestEntry.number))).scalars().all()
        return contest, list(rows)

    async def entry(self, actor: Actor, entry_id: int) -> tuple[Contest, ContestEntry]:
        """One entry, for its judges and committee."""
        async with self.deps.db.session() as s:
            entry = await s.get(ContestEntry, entry_id)
            if entry is None:
                raise NotFound(_("This entry no longer exists."))
            contest = await self._contest(s, entry.contest_id)
            require_contest_judge(actor, contest.org_id, list(contest.judge_ids), contest.id or 0)
        return contest, entry

    @staticmethod
    def check_points(contest: Contest, points: list[int]) -> None:
        criteria = contest.criteria
        if len(points) != len(criteria):
            raise InvalidInput(_("Please give {n} scores, one for each criterion, in order.").format(n=len(criteria)))
        for (name, top), got in zip(criteria, points, strict=True):
            if not 0 <= got <= int(top):
                raise InvalidInput(_("The score for “{name}” must be between 0 and {top}; {got} is outside the "
                                     "rubric.").format(name=esc(str(name)), top=top, got=got))

    async def score(self, actor: Actor, entry_id: int, points: list[int]) -> ContestScore:
        async with self.deps.db.session() as s:
            entry = await s.get(ContestEntry, entry_id)
            if entry is None:
                raise NotFound(_("This entry no longer exists."))
            contest = await self._contest(s, entry.contest_id)
            require_contest_judge(actor, contest.org_id, list(contest.judge_ids), contest.id or 0)
            self.check_points(contest, points)
            row = (await s.execute(select(ContestScore).where(ContestScore.entry_id == entry_id,
                                                              ContestScore.judge_id == actor.person_id))
                   ).scalars().first() or ContestScore(entry_id=entry_id, judge_id=actor.person_id)
            row.points, row.total, row.scored_at = list(points), sum(points), self.deps.clock.now()
            s.add(row)
            await s.flush()
        return row

    # --- results ---------------------------------------------------------------------------------------

    async def _standing(self, s: AsyncSession, contest: Contest) -> Standing:
        entries = (await s.execute(select(ContestEntry).where(ContestEntry.contest_id == contest.id)
                                   .order_by(ContestEntry.number))).scalars().all()
        ids = [e.id for e in entries]
        totals: dict[int, list[int]] = {}
        if ids:
            for entry_id, total in (await s.execute(select(ContestScore.entry_id, ContestScore.total)
                                                    .where(ContestScore.entry_id.in_(ids)))).all():  # type: ignore[attr-defined]
                totals.setdefault(entry_id, []).append(total)
        people = {p.id: p for p in (await s.execute(select(Person).where(
            Person.id.in_({e.person_id for e in entries})))).scalars().all()}  # type: ignore[union-attr]
        branches = {b.id: b.name for b in (await s.execute(select(Branch).where(
            Branch.org_id == contest.org_id))).scalars().all()}
        scored = [e for e in entries if e.id in totals]
        scored.sort(key=lambda e: (-sum(totals[e.id or 0]) / len(totals[e.id or 0]), e.number))
        standing = Standing(contest, unscored=len(entries) - len(scored))
        last, rank = None, 0
        for i, e in enumerate(scored, start=1):
            avg = round(sum(totals[e.id or 0]) / len(totals[e.id or 0]), 2)
            if avg != last:
                rank, last = i, avg
            person = people.get(e.person_id)
            name = person.display_name if person is not None and person.erased_at is None else _("(erased)")
            standing.ranking.append(Ranked(rank, e, name, branches.get(e.branch_id, ""), avg,
                                           len(totals[e.id or 0]), prize_label(rank) if rank <= PRIZES else ""))
        return standing

    async def results(self, actor: Actor, contest_id: int) -> Standing:
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_results")
            return await self._standing(s, contest)

    async def announce_results(self, actor: Actor, contest_id: int) -> int:
        """Tell every branch (its secretaries) the winners, once; returns the notices queued."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_announce")
            standing = await self._standing(s, contest)
            winners = [r for r in standing.ranking if r.prize]
            if not winners:
                raise Conflict(_("No entry has been scored yet: there are no winners to announce."))
            n = await self._to_branches(s, contest, "results", lambda: Reply(self.winners_text(standing)))
            contest.results_announced_at = self.deps.clock.now()
            s.add(contest)
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="contest_announce", org_id=contest.org_id, target=f"contest:{contest.id}")
        return n

    def winners_text(self, standing: Standing) -> str:
        lines = [_("🏆 <b>Results of the contest “{title}”</b>").format(title=esc(standing.contest.title))]
        for r in standing.ranking:
            if r.prize:
                lines.append(_("{prize}: entry No. {n}, {name} ({branch}), {points} points").format(
                    prize=r.prize, n=r.entry.number, name=esc(r.author), branch=esc(r.branch),
                    points=number(r.average)))
        return "\n".join(lines)

    async def branch_ids(self, contest: Contest) -> list[int]:
        """The đảng bộ's branches: a saved export of the contest is listed under each (erasure deletes it)."""
        async with self.deps.db.session() as s:
            return [int(b) for b in (await s.execute(select(Branch.id).where(Branch.org_id == contest.org_id)
                                                     )).scalars().all()]

    async def workbook(self, actor: Actor, contest_id: int) -> tuple[bytes, str]:
        """The contest's workbook: summary first, then entries per branch, the ranking."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_export")
            standing = await self._standing(s, contest)
            branches = (await s.execute(select(Branch).where(Branch.org_id == contest.org_id)
                                        .order_by(Branch.name))).scalars().all()
            entries = (await s.execute(select(ContestEntry).where(ContestEntry.contest_id == contest.id)
                                       .order_by(ContestEntry.number))).scalars().all()
            people = {p.id: p.display_name if p.erased_at is None else _("(erased)")
                      for p in (await s.execute(select(Person).where(Person.id.in_(  # type: ignore[union-attr]
                          {e.person_id for e in entries})))).scalars().all()}
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="contest_export", org_id=contest.org_id, target=f"contest:{contest.id}")
        by_branch: dict[int, int] = {}
        for e in entries:
            by_branch[e.branch_id] = by_branch.get(e.branch_id, 0) + 1
        names = {b.id: b.name for b in branches}
        entered = sum(1 for b in branches if by_branch.get(b.id or 0))
        summary = Sheet(_("Summary"), [_("Contest figure"), _("Value")], [
            [_("Contest"), contest.title],
            [_("Deadline"), contest.deadline],
            [_("Kinds of entry"), ", ".join(kind_label(k) for k in contest.kinds)],
            [_("Entries"), len(entries)],
            [_("Branches that entered"), f"{entered}/{len(branches)}"],
            [_("Entries scored"), len(standing.ranking)],
        ])
        per_branch = Sheet(_("By branch"), [_("Branch"), _("Entries")],
                           [[b.name, by_branch.get(b.id or 0, 0)] for b in branches])
        rows = [[e.number, people.get(e.person_id, ""), names.get(e.branch_id, ""), kind_label(e.kind),
                 e.text or e.url or e.file_name, local_now_date(e, self.deps)] for e in entries]
        listing = Sheet(_("Entries"), [_("Entry No."), _("Full name"), _("Branch"), _("Kind"), _("Content"),
                                       _("Sent on")], rows, wrap=True)
        ranking = Sheet(_("Ranking"), [_("Rank"), _("Entry No."), _("Full name"), _("Branch"), _("Average points"),
                                       _("Judges"), _("Prize")],
                        [[r.rank, r.entry.number, r.author, r.branch, r.average, r.judges, r.prize]
                         for r in standing.ranking])
        return xlsx_bytes([summary, per_branch, listing, ranking]), f"hoithi-{contest.id}.xlsx"

    async def winners_docx(self, actor: Actor, contest_id: int) -> tuple[bytes, str]:
        """A simple list of the winners, ready to sign and file (certificates are made from it)."""
        async with self.deps.db.session() as s:
            contest = await self._contest(s, contest_id)
            require_contest_committee(actor, contest.org_id, "contest_winners")
            standing = await self._standing(s, contest)
            org = await s.get(Organization, contest.org_id)
        today = local_today(self.deps.clock)
        winners = [r for r in standing.ranking if r.prize]
        spec = DocSpec(
            title=_("LIST OF WINNERS"),
            subtitle=_("Contest “{title}”").format(title=contest.title),
            org_lines=[org.name.upper()] if org is not None else [],
            place_date=place_date_line("", today.day, today.month, today.year),
            blocks=[
                Paragraph(_("The jury of the contest proposes to award the following entries:")),
                Table([_("Prize"), _("Entry No."), _("Full name"), _("Branch"), _("Points")],
                      [[r.prize, r.entry.number, r.author, r.branch, number(r.average)] for r in winners]),
            ],
            signers=(Signer(_("ON BEHALF OF THE JURY")),),
        )
        return docx_bytes(spec), f"hoithi-{contest.id}-doat-giai.docx"


def local_now_date(entry: ContestEntry, deps: Deps) -> date:
    """The local day an entry came in."""
    return as_utc(entry.created_at).astimezone(deps.settings.tz).date()
