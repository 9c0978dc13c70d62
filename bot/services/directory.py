"""The branch directory: who sits in a branch, who manages it, and the branch a manager acts on.

Every feature asks this module; nobody else queries ``Membership.role`` or ``OrgRole`` for these answers.

* **Active members** (:func:`active_member_ids`, :func:`active_members`): memberships with status ``active``.
* **Seated managers** (:func:`seated_manager_ids`): the active secretaries and deputies of the branch, oldest
  seat first. This is the audience "the đảng bộ's secretaries" of a committee notice.
* **Managers** (:func:`manager_ids`): who is told about the branch's business (join requests, pledges to
  review, reminders). They are the seated managers; **the one fallback**: a branch with no active secretary
  or deputy (a new branch, or its secretary left) is managed by its đảng bộ's committee admins, so nothing
  addressed to "the secretary" is lost. The same people pass ``permissions.can_manage_branch``.
* **Committee admins** (:func:`committee_admin_ids`): the ``OrgRole`` holders of one đảng bộ.
* **Reviewers** (:func:`reviewer_ids`): who reviews one person's pledge or good deed: the managers as above
  minus the author (nobody reviews their own items).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import NotFound
from bot.services.permissions import require_branch_manager
from storage.models.org import Branch, Organization
from storage.models.people import BranchRole, Membership, MembershipStatus, OrgRole, Person

MANAGER_ROLES = (BranchRole.SECRETARY.value, BranchRole.DEPUTY.value)


async def active_member_ids(s: AsyncSession, branch_id: int) -> set[int]:
    rows = await s.execute(
        select(Membership.person_id).where(
            Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value
        )
    )
    return set(rows.scalars().all())


async def active_members(s: AsyncSession, branch_id: int) -> list[tuple[int, str]]:
    """(person_id, display name) of the active members, by name."""
    rows = await s.execute(
        select(Person.id, Person.display_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value)
        .order_by(Person.display_name)
    )
    return [(int(pid), name) for pid, name in rows.all()]


async def seated_manager_ids(s: AsyncSession, branch_id: int) -> list[int]:
    """The active secretaries and deputies, oldest seat first (no fallback)."""
    rows = await s.execute(
        select(Membership.person_id)
        .where(
            Membership.branch_id == branch_id,
            Membership.status == MembershipStatus.ACTIVE.value,
            Membership.role.in_(MANAGER_ROLES),
        )
        .order_by(Membership.id)
    )
    return list(rows.scalars().all())


async def committee_admin_ids(s: AsyncSession, org_id: int) -> list[int]:
    rows = await s.execute(select(OrgRole.person_id).where(OrgRole.org_id == org_id).order_by(OrgRole.id))
    return list(rows.scalars().all())


async def manager_ids(s: AsyncSession, branch: Branch) -> list[int]:
    """Who manages the branch: its seated managers, else its đảng bộ's committee admins (see above)."""
    seated = await seated_manager_ids(s, branch.id)
    return seated if seated else await committee_admin_ids(s, branch.org_id)


async def reviewer_ids(s: AsyncSession, branch: Branch, author_person_id: int) -> list[int]:
    """Who is asked to review an item a person submitted (a pledge, a good deed): the branch's seated managers
    other than the author, else its đảng bộ's committee admins other than the author. A secretary's own items
    thus go to the deputy, or to the committee; everyone listed passes ``permissions.can_review_item``."""
    seated = [pid for pid in await seated_manager_ids(s, branch.id) if pid != author_person_id]
    if seated:
        return seated
    return [pid for pid in await committee_admin_ids(s, branch.org_id) if pid != author_person_id]


async def load_branch(s: AsyncSession, branch_id: int) -> Branch:
    branch = await s.get(Branch, branch_id)
    if branch is None:
        raise NotFound(_("That branch does not exist."))
    return branch


async def org_branches(s: AsyncSession, org_id: int) -> tuple[Organization, list[Branch]]:
    """A đảng bộ and its branches by name, for the committee's views (``NotFound`` if it does not exist)."""
    org = await s.get(Organization, org_id)
    if org is None:
        raise NotFound(_("That Party committee does not exist."))
    branches = (await s.execute(select(Branch).where(Branch.org_id == org_id).order_by(Branch.name))).scalars()
    return org, list(branches)


async def managed_branch(s: AsyncSession, actor: Actor, branch_id: int, action: str) -> Branch:
    """The branch, if the actor may manage it (``PermissionDenied`` otherwise)."""
    branch = await load_branch(s, branch_id)
    require_branch_manager(actor, branch.id, branch.org_id, action)
    return branch
