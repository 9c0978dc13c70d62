"""The only place where roles are decided. Every use case calls one of the require_* checks;
handlers, the dispatcher, /help and the menus call the can_* dry runs below to offer, hide or politely
refuse what the services would refuse anyway. Nothing outside this module reads an Actor's roles."""

from __future__ import annotations

import logging
from typing import Literal

from bot.i18n import _
from bot.services.actor import Actor, BranchSeat
from bot.services.errors import PermissionDenied

log = logging.getLogger("hocbac.permissions")


def _deny(actor: Actor, action: str, target: object) -> PermissionDenied:
    log.warning("permission denied: person=%s action=%s target=%s", actor.person_id, action, target)
    return PermissionDenied(_("Sorry, you are not allowed to do that."))


def can_manage_branch(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Secretary or deputy of this branch, a committee admin of its đảng bộ, or a system admin."""
    return (
        actor.is_system_admin
        or branch_id in actor.managed_branch_ids()
        or org_id in actor.admin_org_ids
    )


def require_branch_manager(actor: Actor, branch_id: int, org_id: int, action: str = "manage") -> None:
    if not can_manage_branch(actor, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")


def can_schedule_meeting(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Opening the meeting form (and attaching its documents): the branch's managers only, checked before
    the form starts so a forged button never gets as far as an upload."""
    return can_manage_branch(actor, branch_id, org_id)


def can_set_review_window(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Changing the branch's year-end review window (when self-assessments may be drafted and sent): the
    branch's managers, as for its other pledge settings."""
    return can_manage_branch(actor, branch_id, org_id)


def require_review_window_setter(actor: Actor, branch_id: int, org_id: int) -> None:
    if not can_set_review_window(actor, branch_id, org_id):
        raise _deny(actor, "pledge_review_window", f"branch:{branch_id}")


def can_admin_org(actor: Actor, org_id: int) -> bool:
    return actor.is_system_admin or org_id in actor.admin_org_ids


def require_org_admin(actor: Actor, org_id: int, action: str = "org_admin") -> None:
    if not can_admin_org(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


def require_system_admin(actor: Actor, action: str = "system_admin") -> None:
    if not actor.is_system_admin:
        raise _deny(actor, action, "system")


def require_active_member(actor: Actor, branch_id: int, action: str = "member") -> None:
    if actor.seat(branch_id) is None:
        raise _deny(actor, action, f"branch:{branch_id}")


def can_see_year_file(actor: Actor, person_id: int, branch_id: int, org_id: int) -> bool:
    """A member's year file (/namcuatoi, /hosonam): the member, the branch's secretary or deputy, a committee
    admin of its đảng bộ. Never a secretary of another branch."""
    return actor.person_id == person_id or can_manage_branch(actor, branch_id, org_id)


def require_year_file_reader(actor: Actor, person_id: int, branch_id: int, org_id: int) -> None:
    if not can_see_year_file(actor, person_id, branch_id, org_id):
        raise _deny(actor, "year_file", f"branch:{branch_id}")


ReviewedItem = Literal["pledge", "deed"]


def can_review_item(actor: Actor, branch_id: int, org_id: int, author_person_id: int) -> bool:
    """Approve or return a pledge, accept, commend or return a good deed: a manager of the branch
    (``can_manage_branch``), but never of their own item. A secretary's own pledge and deeds go to the
    branch's other secretary or deputy, else to the committee (``directory.reviewer_ids``)."""
    return actor.person_id != author_person_id and can_manage_branch(actor, branch_id, org_id)


def require_item_reviewer(actor: Actor, branch_id: int, org_id: int, author_person_id: int,
                          item: ReviewedItem, action: str) -> None:
    if actor.person_id == author_person_id and can_manage_branch(actor, branch_id, org_id):
        log.warning("permission denied: self-review refused: person=%s action=%s branch=%s", actor.person_id,
                    action, branch_id)
        raise PermissionDenied(
            _("You cannot approve your own pledge: the deputy secretary or the Party committee reviews it.")
            if item == "pledge"
            else _("You cannot review your own good deed: the deputy secretary or the Party committee "
                   "reviews it.")
        )
    if not can_review_item(actor, branch_id, org_id, author_person_id):
        raise _deny(actor, action, f"branch:{branch_id}")


# --- dry runs: what the conversation offers (the dispatcher, /help and the menus ask these) ------------

CommandAudience = Literal["all", "member", "manager", "committee", "admin"]


def can_use(actor: Actor, audience: CommandAudience) -> bool:
    """May the person run a command meant for ``audience``? The dispatcher refuses politely otherwise,
    /help lists only these commands; the services still check every action on its own target."""
    if audience == "all" or actor.is_system_admin:
        return True
    if audience == "member":
        return actor.is_member
    if audience == "manager":
        return actor.is_secretary or actor.is_committee_admin
    if audience == "committee":
        return actor.is_committee_admin
    return False  # "admin": system administrators only


def is_waiting_for_approval(actor: Actor) -> bool:
    """Has asked to join a branch and is waiting for its secretary."""
    return any(s.status == "pending" for s in actor.seats)


def is_onboarded(actor: Actor) -> bool:
    """Has some role: a member of a branch, a committee admin or a system admin (not a newcomer)."""
    return actor.is_member or actor.is_committee_admin or actor.is_system_admin


def managed_seats(actor: Actor) -> list[BranchSeat]:
    """The branches the person manages as secretary or deputy (a manager's commands pick among these)."""
    ids = set(actor.managed_branch_ids())
    return [s for s in actor.active_seats() if s.branch_id in ids]


def can_review_deeds(actor: Actor) -> bool:
    """Secretaries and deputies review good deeds (and choose when their digest comes)."""
    return actor.is_secretary


def committee_org(actor: Actor) -> int | None:
    """The đảng bộ a committee admin's commands act on (the lowest id when they hold several)."""
    return min(actor.admin_org_ids) if actor.admin_org_ids else None


def can_admin_some_org(actor: Actor) -> bool:
    """A committee admin of some đảng bộ, or a system admin (e.g. may set the year theme)."""
    return actor.is_committee_admin or actor.is_system_admin


def can_see_committee_view(actor: Actor) -> bool:
    """/baocao and /thongbao act on the whole đảng bộ for a committee admin who manages no branch."""
    return not actor.is_secretary and actor.is_committee_admin


def can_see_org(actor: Actor, org_id: int) -> bool:
    """Listed in /dsdonvi: the system admin sees every đảng bộ, a committee admin their own."""
    return can_admin_org(actor, org_id)


def is_system_admin(actor: Actor) -> bool:
    return actor.is_system_admin


def import_org(actor: Actor) -> int | None:
    """The đảng bộ a teachings file sent in chat is imported into: the only one the person administers.
    None when they administer none; ``PermissionDenied`` is the caller's answer then."""
    return next(iter(actor.admin_org_ids)) if len(actor.admin_org_ids) == 1 else None


MenuKind = Literal["secretary", "member"]


def menu_kind(actor: Actor | None) -> MenuKind | None:
    """Which main menu the person gets: managers the secretary menu, members the member menu, others none."""
    if actor is None or not actor.is_member:
        return None
    return "secretary" if actor.is_secretary else "member"


HelpRole = Literal["guest", "member", "secretary", "committee"]


def help_role(actor: Actor | None) -> HelpRole:
    """Whose short /help (and "/" menu order) the person gets: the highest of their roles."""
    if actor is None:
        return "guest"
    if actor.is_committee_admin or actor.is_system_admin:
        return "committee"
    if actor.is_secretary:
        return "secretary"
    return "member" if actor.is_member else "guest"


def is_committee_admin(actor: Actor) -> bool:
    return actor.is_committee_admin


def is_member(actor: Actor) -> bool:
    """An active member of some branch (members' personal commands and fallbacks)."""
    return actor.is_member


def group_link_branch(actor: Actor) -> int | None:
    """The branch whose group chat the person may link from inside the group: only a secretary or deputy of
    exactly one branch (committee admins and multi-branch secretaries cannot say which branch there)."""
    managed = actor.managed_branch_ids()
    return managed[0] if len(managed) == 1 else None


def can_link_group(actor: Actor) -> bool:
    return group_link_branch(actor) is not None


# --- contests (hội thi) ---------------------------------------------------------------------------------


def can_run_contest(actor: Actor, org_id: int) -> bool:
    """Open a contest, name its judges, see its entries per branch, export and announce its results: the
    committee admins of the contest's đảng bộ (never another đảng bộ's)."""
    return can_admin_org(actor, org_id)


def require_contest_committee(actor: Actor, org_id: int, action: str = "contest") -> None:
    if not can_run_contest(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


def can_judge_contest(actor: Actor, org_id: int, judge_ids: list[int]) -> bool:
    """Score entries: the contest's committee, or a person it named a judge of this contest only."""
    return can_run_contest(actor, org_id) or actor.person_id in judge_ids


def require_contest_judge(actor: Actor, org_id: int, judge_ids: list[int], contest_id: int) -> None:
    if not can_judge_contest(actor, org_id, judge_ids):
        raise _deny(actor, "contest_score", f"contest:{contest_id}")


def contest_entry_seat(actor: Actor, org_id: int) -> BranchSeat | None:
    """The branch a member enters a contest for: their first active seat in the contest's đảng bộ."""
    return next((s for s in actor.active_seats() if s.org_id == org_id), None)


def require_contest_entrant(actor: Actor, org_id: int, contest_id: int) -> BranchSeat:
    seat = contest_entry_seat(actor, org_id)
    if seat is None:
        raise _deny(actor, "contest_enter", f"contest:{contest_id}")
    return seat
