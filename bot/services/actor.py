"""Who is acting: a person with their identity, branch memberships and committee roles."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BranchSeat:
    branch_id: int
    org_id: int
    branch_name: str
    role: str  # member | deputy | secretary
    status: str  # pending | active | rejected | left
    membership_id: int


@dataclass(frozen=True, slots=True)
class Actor:
    person_id: int
    identity_id: int
    channel: str
    display_name: str
    locale: str = "vi"
    seats: tuple[BranchSeat, ...] = ()
    admin_org_ids: frozenset[int] = field(default_factory=frozenset)
    is_system_admin: bool = False

    def active_seats(self) -> list[BranchSeat]:
        return [s for s in self.seats if s.status == "active"]

    def seat(self, branch_id: int) -> BranchSeat | None:
        return next((s for s in self.seats if s.branch_id == branch_id and s.status == "active"), None)

    def managed_branch_ids(self) -> list[int]:
        """Branches where the person is secretary or deputy."""
        return [s.branch_id for s in self.active_seats() if s.role in ("secretary", "deputy")]

    @property
    def primary_branch(self) -> BranchSeat | None:
        """The branch a member's personal commands act on (their first active membership)."""
        active = self.active_seats()
        return active[0] if active else None

    @property
    def is_member(self) -> bool:
        return bool(self.active_seats())

    @property
    def is_secretary(self) -> bool:
        return bool(self.managed_branch_ids())

    @property
    def is_committee_admin(self) -> bool:
        return bool(self.admin_org_ids)
