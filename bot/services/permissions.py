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
def can_run_vote(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Open, watch and close a vote at a meeting (biểu quyết): a manager of the meeting's branch only; a
    member never, a secretary of another branch never."""
    return can_manage_branch(actor, branch_id, org_id)


def require_vote_runner(actor: Actor, branch_id: int, org_id: int, action: str) -> None:
    if not can_run_vote(actor, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")


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


def can_decide_nomination(actor: Actor, branch_id: int, org_id: int, nominated_by: int) -> bool:
    """Accept or decline a "nêu gương" nomination: a manager of the branch (its secretary or deputy, or the
    committee of its đảng bộ), never the one who wrote it."""
    return can_review_item(actor, branch_id, org_id, nominated_by)


def require_nomination_decider(actor: Actor, branch_id: int, org_id: int, nominated_by: int) -> None:
    if not can_decide_nomination(actor, branch_id, org_id, nominated_by):
        raise _deny(actor, "nomination.decide", f"branch:{branch_id}")


def can_propose_commendation(actor: Actor, branch_id: int, org_id: int) -> bool:
    """See the shortlist and propose a commendation to the đảng ủy: the branch's secretary or deputy (only their
    branch), the committee of its đảng bộ. A member never proposes."""
    return can_manage_branch(actor, branch_id, org_id)


def require_commendation_proposer(actor: Actor, branch_id: int, org_id: int) -> None:
    if not can_propose_commendation(actor, branch_id, org_id):
        raise _deny(actor, "commend.propose", f"branch:{branch_id}")


def can_record_award(actor: Actor, org_id: int) -> bool:
    """Record an award (or decline a proposal) of a branch of the đảng bộ: its committee only."""
    return can_admin_org(actor, org_id)


def require_award_recorder(actor: Actor, org_id: int) -> None:
    if not can_record_award(actor, org_id):
        raise _deny(actor, "commend.award", f"org:{org_id}")


def can_send_branch_document(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Draft and send the branch's plan and its six-month / year-end report: the branch's managers."""
    return can_manage_branch(actor, branch_id, org_id)


def require_branch_document_sender(actor: Actor, branch_id: int, org_id: int) -> None:
    if not can_send_branch_document(actor, branch_id, org_id):
        raise _deny(actor, "branch_plan.send", f"branch:{branch_id}")


def can_review_branch_document(actor: Actor, org_id: int) -> bool:
    """Acknowledge or return a branch's plan or report: the committee of its đảng bộ."""
    return can_admin_org(actor, org_id)


def require_branch_document_reviewer(actor: Actor, org_id: int) -> None:
    if not can_review_branch_document(actor, org_id):
        raise _deny(actor, "branch_plan.review", f"org:{org_id}")
def can_register_emulation(actor: Actor, branch_id: int, *, by_branch: bool) -> bool:
    """Registering an emulation project: any active member of the branch for a group of members (they own
    it); only the branch's secretary or deputy for the branch itself."""
    if actor.seat(branch_id) is None:
        return False
    return not by_branch or branch_id in actor.managed_branch_ids()


def require_emulation_registrant(actor: Actor, branch_id: int, *, by_branch: bool) -> None:
    if not can_register_emulation(actor, branch_id, by_branch=by_branch):
        raise _deny(actor, "emulation_register", f"branch:{branch_id}")


def require_emulation_owner(actor: Actor, owner_person_id: int, branch_id: int) -> None:
    """Reporting a milestone: only the project's owner, while still an active member of its branch."""
    if actor.person_id != owner_person_id or actor.seat(branch_id) is None:
        raise _deny(actor, "emulation_report", f"branch:{branch_id}")


def can_confirm_milestone(actor: Actor, branch_id: int, org_id: int, owner_person_id: int) -> bool:
    """A milestone is confirmed by the branch's secretary or deputy (its committee when none is seated),
    never by the project's own owner."""
    return can_review_item(actor, branch_id, org_id, owner_person_id)


def require_milestone_confirmer(actor: Actor, branch_id: int, org_id: int, owner_person_id: int) -> None:
    if not can_confirm_milestone(actor, branch_id, org_id, owner_person_id):
        raise _deny(actor, "emulation_confirm", f"branch:{branch_id}")


def require_emulation_committee(actor: Actor, org_id: int, action: str) -> None:
    """Opening a call, appraising, commending, the counts and the export: the đảng bộ's committee admins."""
    if not can_admin_org(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


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


# --- the branch's year-end classification (docs/year-end.md §1.6) ------------------------------------------


def can_propose_classification(actor: Actor, branch_id: int, org_id: int, member_person_id: int) -> bool:
    """Propose a member's level: a manager of the branch (secretary, deputy, its committee), never for
    themself: a secretary's own level is proposed by the deputy or the committee."""
    return actor.person_id != member_person_id and can_manage_branch(actor, branch_id, org_id)


def require_classifier(actor: Actor, branch_id: int, org_id: int, member_person_id: int, action: str) -> None:
    if actor.person_id == member_person_id and can_manage_branch(actor, branch_id, org_id):
        log.warning("self-classification refused: person=%s action=%s branch=%s", actor.person_id, action,
                    branch_id)
        raise PermissionDenied(_("Comrade, you cannot propose your own level: the deputy secretary or the Party "
                                 "committee proposes it."))
    if not can_propose_classification(actor, branch_id, org_id, member_person_id):
        raise _deny(actor, action, f"branch:{branch_id}")


def require_classification_confirmer(actor: Actor, org_id: int, action: str = "classification_confirm") -> None:
    """Confirming a branch's classification is the đảng ủy's: its committee admins (or a system admin)."""
    if not can_admin_org(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")
def can_close_task(actor: Actor, owner_person_id: int, branch_id: int, org_id: int) -> bool:
    """Mark a task from a meeting's minutes done: its owner, or a manager of its branch."""
    return actor.person_id == owner_person_id or can_manage_branch(actor, branch_id, org_id)


def require_task_closer(actor: Actor, owner_person_id: int, branch_id: int, org_id: int, action: str) -> None:
    if not can_close_task(actor, owner_person_id, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")
# --- dialogue (ý kiến, kiến nghị) -------------------------------------------------------------------

DialogueTarget = Literal["branch", "committee"]


def can_handle_dialogue(actor: Actor, target: str, branch_id: int, org_id: int) -> bool:
    """Mark an opinion "being handled" and answer it: one sent to a branch by that branch's managers
    (``can_manage_branch``, with the committee's fallback), one sent to the committee by its committee
    admins. Nobody may learn who sent an anonymous one: no role has a verb for it."""
    if target == "committee":
        return can_admin_org(actor, org_id)
    return can_manage_branch(actor, branch_id, org_id)


def require_dialogue_handler(actor: Actor, target: str, branch_id: int, org_id: int, action: str) -> None:
    if not can_handle_dialogue(actor, target, branch_id, org_id):
        raise _deny(actor, action, f"dialogue:{target}:{branch_id}")


def require_dialogue_reader(actor: Actor, *, is_sender: bool, target: str, branch_id: int, org_id: int,
                            action: str) -> None:
    """Reading one opinion: its sender, or those who handle it."""
    if not is_sender and not can_handle_dialogue(actor, target, branch_id, org_id):
        raise _deny(actor, action, f"dialogue:{target}:{branch_id}")


def require_dialogue_sender(actor: Actor, is_sender: bool, action: str) -> None:
    """Withdrawing: the sender only (a secretary cannot withdraw a member's opinion)."""
    if not is_sender:
        raise _deny(actor, action, "dialogue")


def is_branch_manager_seat(actor: Actor, branch_id: int) -> bool:
    """Secretary or deputy of this very branch (their opinions go to the committee, not to themselves)."""
    return branch_id in actor.managed_branch_ids()


def is_secretary(actor: Actor) -> bool:
    """Secretary or deputy of some branch (their /ykien opens the branch's inbox of opinions)."""
    return actor.is_secretary
# --- supervision visits (kiểm tra, giám sát) -----------------------------------------------------------

def can_supervise(actor: Actor, org_id: int) -> bool:
    """Plan visits, record findings, conclude, close tasks and export: the committee of that đảng bộ."""
    return can_admin_org(actor, org_id)


def require_supervisor(actor: Actor, org_id: int, action: str = "supervision") -> None:
    if not can_supervise(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


def can_read_supervision(actor: Actor, branch_id: int, org_id: int) -> bool:
    """A visit's conclusions and tasks: the committee, and the visited branch's secretary or deputy only."""
    return can_manage_branch(actor, branch_id, org_id)


def require_supervision_reader(actor: Actor, branch_id: int, org_id: int, action: str = "supervision.read") -> None:
    if not can_read_supervision(actor, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")


def can_report_task_fixed(actor: Actor, branch_id: int) -> bool:
    """A task to fix is reported done by the branch itself (its secretary or deputy), not by the committee
    that closes it."""
    return actor.is_system_admin or branch_id in actor.managed_branch_ids()


def require_task_reporter(actor: Actor, branch_id: int) -> None:
    if not can_report_task_fixed(actor, branch_id):
        raise _deny(actor, "supervision.task_fixed", f"branch:{branch_id}")


# --- the materials library (tài liệu sinh hoạt) ---------------------------------------------------------


def can_upload_material(actor: Actor, org_id: int, branch_id: int | None) -> bool:
    """A library item for the whole đảng bộ (``branch_id`` None): its committee admins; for one branch: that
    branch's managers (secretary, deputy) and its committee. Never another branch or another đảng bộ."""
    if branch_id is None:
        return can_admin_org(actor, org_id)
    return can_manage_branch(actor, branch_id, org_id)


def require_material_uploader(actor: Actor, org_id: int, branch_id: int | None) -> None:
    if not can_upload_material(actor, org_id, branch_id):
        raise _deny(actor, "library_upload", f"branch:{branch_id}" if branch_id else f"org:{org_id}")


def can_see_material(actor: Actor, org_id: int, branch_id: int | None) -> bool:
    """An item is seen by the members of its branch (of every branch of its đảng bộ when it is for the whole
    đảng bộ), the branch's managers and the committee of its đảng bộ. Never by another đảng bộ."""
    if can_upload_material(actor, org_id, branch_id):
        return True
    seats = actor.active_seats()
    if branch_id is None:
        return any(s.org_id == org_id for s in seats)
    return any(s.branch_id == branch_id for s in seats)


def require_material_reader(actor: Actor, org_id: int, branch_id: int | None) -> None:
    if not can_see_material(actor, org_id, branch_id):
        raise _deny(actor, "library_open", f"branch:{branch_id}" if branch_id else f"org:{org_id}")


def require_material_counts_reader(actor: Actor, org_id: int) -> None:
    """The per-branch open counts of a đảng bộ's library: its committee (a count per branch, no names)."""
    if not can_admin_org(actor, org_id):
        raise _deny(actor, "library_counts", f"org:{org_id}")
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


# --- the web dashboard (/bangdieukhien) ---------------------------------------------------------------

DashboardHome = tuple[Literal["org", "branch", "member"], int]


def can_see_org_dashboard(actor: Actor, org_id: int) -> bool:
    """The đảng bộ's dashboard (every branch, exports, the audit list): its committee admins only."""
    return can_admin_org(actor, org_id)


def require_org_dashboard(actor: Actor, org_id: int, action: str = "dashboard.org") -> None:
    if not can_see_org_dashboard(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


def can_see_branch_dashboard(actor: Actor, branch_id: int, org_id: int) -> bool:
    """A branch's dashboard: its secretary or deputy, or a committee admin of its đảng bộ."""
    return can_manage_branch(actor, branch_id, org_id)


def require_branch_dashboard(actor: Actor, branch_id: int, org_id: int, action: str = "dashboard.branch") -> None:
    if not can_see_branch_dashboard(actor, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")


def require_member_dashboard(actor: Actor, person_id: int, branch_ids_and_orgs: list[tuple[int, int]],
                             action: str = "dashboard.member") -> None:
    """A member's page: the member, or whoever may read their year file in one of their branches."""
    if actor.person_id == person_id:
        return
    if not any(can_see_year_file(actor, person_id, b, o) for b, o in branch_ids_and_orgs):
        raise _deny(actor, action, f"person:{person_id}")


def dashboard_home(actor: Actor) -> DashboardHome | None:
    """Where /dashboard/ leads: a committee admin to their đảng bộ, a secretary or deputy to their branch, a
    member to their own page; None for someone with no role (nothing to show)."""
    if actor.admin_org_ids:
        return "org", min(actor.admin_org_ids)
    managed = actor.managed_branch_ids()
    if managed:
        return "branch", managed[0]
    if actor.is_member:
        return "member", actor.person_id
    return None


def dashboard_role(actor: Actor) -> Literal["committee", "secretary", "member", "guest"]:
    """The role the dashboard's header names."""
    role = help_role(actor)
    return "committee" if role == "committee" and actor.admin_org_ids else (
        "secretary" if actor.is_secretary else "member" if actor.is_member else "guest")
