"""A member's year file, from records only: every installed feature contributes its section
(``Feature.year_file_sections``); this module gathers them and decides who may read them.

The member reads their own; the branch's secretary or deputy (and the đảng bộ's committee admins) read every
member's of that branch; nobody reads a member of another branch (``require_year_file_reader``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import InvalidInput, NotFound
from bot.services.extensions import YearSection
from bot.services.permissions import require_branch_manager, require_year_file_reader
from storage.models.org import Branch, Organization
from storage.models.people import Membership, MembershipStatus, Person

FIRST_YEAR = 2000
SEEN = (MembershipStatus.ACTIVE.value, MembershipStatus.LEFT.value)  # a member, now or before


@dataclass(frozen=True)
class YearFile:
    person_id: int
    name: str
    branch_id: int
    branch: str
    org: str
    year: int
    made_on: date  # the local day the file was drawn up
    sections: list[YearSection]

    def figure(self, section: str, figure: str) -> tuple[YearSection, Any] | None:
        for sec in self.sections:
            if sec.key == section:
                for fig in sec.figures:
                    if fig.key == figure:
                        return sec, fig
        return None


async def build_sections(s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int) -> list[YearSection]:
    """Every feature's section of the file, in the file's order (no permission check: callers check)."""
    tz = deps.settings.tz
    found = [await fn(s, deps, person_id, branch_id, year, tz) for fn in deps.ext.year_file_sections]
    return sorted((sec for sec in found if sec is not None), key=lambda sec: sec.order)


async def year_file_summary(services: Any, s: AsyncSession, person_id: int, branch_id: int, year: int) -> list[str]:
    """The provider ``year_file_summary``: one short line per figure ("Việc làm tốt: 7, đã ghi nhận 5")."""
    sections = await build_sections(s, services.deps, person_id, branch_id, year)
    return [fig.line() for sec in sections for fig in sec.figures]


class YearFileService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def year_of(self, text: str | None) -> int:
        """The year typed after the command ("/namcuatoi 2025"); the current year when nothing is typed."""
        this_year = local_today(self.deps.clock).year
        text = (text or "").strip()
        if not text:
            return this_year
        if not text.isdigit() or not FIRST_YEAR <= int(text) <= this_year:
            raise InvalidInput(
                _("Please write a year from {first} to {last}, e.g. /namcuatoi {last}.").format(
                    first=FIRST_YEAR, last=this_year)
            )
        return int(text)

    def own_branch(self, actor: Actor) -> int:
        seat = actor.primary_branch
        if seat is None:
            raise InvalidInput(_("You have not joined a branch yet. Send the join code from your branch secretary."))
        return seat.branch_id

    async def _file(self, s: AsyncSession, actor: Actor, person_id: int, branch_id: int, year: int) -> YearFile:
        branch = await s.get(Branch, branch_id)
        if branch is None:
            raise NotFound(_("That branch does not exist."))
        require_year_file_reader(actor, person_id, branch.id, branch.org_id)
        seat = (
            await s.execute(select(Membership).where(Membership.person_id == person_id,
                                                     Membership.branch_id == branch_id))
        ).scalar_one_or_none()
        person = await s.get(Person, person_id)
        if seat is None or seat.status not in SEEN or person is None:
            raise NotFound(_("That person is not a member of this branch."))
        org = await s.get(Organization, branch.org_id)
        sections = await build_sections(s, self.deps, person_id, branch_id, year)
        return YearFile(person_id, person.display_name, branch_id, branch.name, org.name if org else "", year,
                        local_today(self.deps.clock), sections)

    async def year_file(self, actor: Actor, person_id: int, branch_id: int, year: int) -> YearFile:
        async with self.deps.db.session() as s:
            return await self._file(s, actor, person_id, branch_id, year)

    async def exported(self, actor: Actor, person_id: int, branch_id: int, year: int, fmt: str) -> YearFile:
        """The file for an export, recorded in the audit log (someone else's file leaves the bot)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            yf = await self._file(s, actor, person_id, branch_id, year)
            branch = await s.get(Branch, branch_id)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="yearfile.export",
                               org_id=branch.org_id if branch else None, branch_id=branch_id,
                               target=f"person:{person_id}", details={"year": year, "format": fmt})
            return yf

    async def members(self, actor: Actor, branch_id: int) -> tuple[str, list[tuple[int, str]]]:
        """(branch name, [(person id, name)]) of the branch's active members, for the secretary's list."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "year_file_list")
            rows = await s.execute(
                select(Person.id, Person.display_name).join(Membership, Membership.person_id == Person.id)
                .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value)
                .order_by(Person.display_name, Person.id)
            )
            return branch.name, [(int(pid), name) for pid, name in rows.all()]

    async def branch_files(self, actor: Actor, branch_id: int, year: int) -> list[YearFile]:
        """Every active member's file of the branch (the secretary's workbook), audited."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "year_file_branch")
            files = await self.branch_files_unchecked(s, branch, year)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="yearfile.branch_export",
                               org_id=branch.org_id, branch_id=branch_id, details={"year": year, "members": len(files)})
            return files

    async def branch_files_unchecked(self, s: AsyncSession, branch: Branch, year: int) -> list[YearFile]:
        org = await s.get(Organization, branch.org_id)
        rows = await s.execute(
            select(Person.id, Person.display_name).join(Membership, Membership.person_id == Person.id)
            .where(Membership.branch_id == branch.id, Membership.status == MembershipStatus.ACTIVE.value)
            .order_by(Person.display_name, Person.id)
        )
        today = local_today(self.deps.clock)
        return [
            YearFile(int(pid), name, branch.id, branch.name, org.name if org else "", year, today,  # type: ignore[arg-type]
                     await build_sections(s, self.deps, int(pid), branch.id, year))  # type: ignore[arg-type]
            for pid, name in rows.all()
        ]
