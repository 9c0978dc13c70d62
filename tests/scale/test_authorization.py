"""The authorization matrix: every privileged service verb against every role, in one table.

Services are called directly (no handler in between), so a hidden menu cannot hide a missing check.
"Allowed" means the call succeeds; "denied" means PermissionDenied and nothing changed.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.delivery import Capabilities, SentMessage
from bot.features.contests.service import ContestInput, Contests, EntryInput
from bot.features.dialogue.models import DialogueItem
from bot.features.emulation.models import EmulationMilestone, EmulationProject
from bot.features.emulation.service import EmulationService
from bot.features.library.service import Library
from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.changes import MeetingChanges
from bot.features.meetings.models import Attendance, Meeting
from bot.features.meetings.scheduling import MeetingScheduling
from bot.features.pledges.history import PledgeHistory
from bot.features.pledges.models import Pledge, PledgeVersion
from bot.features.pledges.review import PledgeReviewing
from bot.features.pledges.settings import PledgeSettings
from bot.features.supervision.service import SupervisionService, org_visits
from bot.features.votes.models import Vote, VoteSettings
from bot.features.yearfile.service import YearFileService
from bot.messages import ChatRef, Inbound, MediaRef, Reply, UserRef
from bot.services.actor import Actor
from bot.services.errors import PermissionDenied
from bot.services.identity import IdentityService
from bot.services.menus import member_menu, secretary_menu
from bot.services.org import OrgService
from storage.models.joining import JoinCode
from storage.models.org import Branch, Organization
from storage.models.people import Identity, Membership
from tests.conftest import ADMIN_TG_ID

ROLES = ["stranger", "pending", "member", "member_other_branch", "secretary_other_branch", "deputy",
         "secretary", "committee_other_org", "committee", "system_admin"]
MANAGERS = {"deputy", "secretary", "committee", "system_admin"}
COMMITTEE = {"committee", "system_admin"}
ADMIN = {"system_admin"}
SUPERVISION = ("plan_visit", "committee_visits", "record_finding", "conclude_visit", "read_visit_conclusions",
               "report_task_fixed", "close_task", "export_visits")

# action -> roles allowed (the target is always branch A1 of đảng bộ A, or đảng bộ A itself)
MATRIX: dict[str, set[str]] = {
    "approve_join": MANAGERS,
    "reject_join": MANAGERS,
    "create_join_code": MANAGERS,
    "list_members": MANAGERS,
    "list_pending": MANAGERS,
    "revoke_code": MANAGERS,
    "create_branch": COMMITTEE,
    "invite_secretary": COMMITTEE,
    "invite_deputy": COMMITTEE,
    "create_org": ADMIN,
    "invite_committee_admin": ADMIN,
    "revoke_committee_invite": ADMIN,
    "set_review_window": MANAGERS,
    # Pledges: a member's pledge is decided by the branch's managers; the secretary's own pledge by the
    # deputy or the committee, never by the secretary (nobody approves their own item).
    "approve_pledge": MANAGERS,
    "return_pledge": MANAGERS,
    "approve_secretary_pledge": MANAGERS - {"secretary"},
    "return_secretary_pledge": MANAGERS - {"secretary"},
    "pending_pledges": MANAGERS,
    "pledge_history": MANAGERS | {"member"},
    # The year file of the member of A1 (the "member" role): the member, the branch's managers, its committee.
    "read_year_file": MANAGERS | {"member"},
    "export_year_file": MANAGERS | {"member"},
    "list_year_files": MANAGERS,
    "branch_year_workbook": MANAGERS,
    # votes at a meeting of A1: its secretary/deputy or the committee, never a member nor another branch's
    "open_vote": MANAGERS,
    "view_vote": MANAGERS,
    "close_vote": MANAGERS,
    "export_votes": MANAGERS,
    "vote_settings": MANAGERS,
    # the minutes of a meeting of branch A1 (bot/features/meetings/minutes.py)
    "draft_minutes": MANAGERS,
    "export_minutes": MANAGERS,
    "assign_minutes_task": MANAGERS,
    # a task of those minutes owned by the member of A1: its owner or the branch's managers mark it done
    "close_minutes_task": MANAGERS | {"member"},
    # meetings: a member never cancels, moves or marks; a secretary never reaches another branch
    "cancel_meeting": MANAGERS,
    "move_meeting": MANAGERS,
    "mark_attendance": MANAGERS,
    "mark_all_present": MANAGERS,
    # issue #15: nominations, commendations, the branch's plan and reports
    "decide_nomination": MANAGERS,
    "commend_shortlist": MANAGERS,
    "commend_propose": MANAGERS,
    "commend_award": COMMITTEE,
    "branch_doc_send": MANAGERS,
    "branch_doc_review": COMMITTEE,
    # dialogue (opinions): the target is an opinion of "member" (branch A1) or the đảng bộ A itself
    "dialogue_read_to_branch": MANAGERS | {"member"},
    "dialogue_answer_to_branch": MANAGERS,
    "dialogue_handling_to_branch": MANAGERS,
    "dialogue_read_anonymous": COMMITTEE | {"member"},
    "dialogue_answer_anonymous": COMMITTEE,
    "dialogue_withdraw": {"member"},
    "dialogue_branch_inbox": MANAGERS,
    "dialogue_committee_inbox": COMMITTEE,
    "dialogue_overview": COMMITTEE,
    "dialogue_export": COMMITTEE,
    "dialogue_settings": COMMITTEE,
    # Supervision visits (kiểm tra, giám sát) of đảng bộ A: the committee plans, records, concludes, closes
    # and exports; the visited branch's secretary or deputy reads the conclusions and reports a task fixed.
    "plan_visit": COMMITTEE,
    "committee_visits": COMMITTEE,
    "record_finding": COMMITTEE,
    "conclude_visit": COMMITTEE,
    "read_visit_conclusions": MANAGERS,
    "report_task_fixed": {"secretary", "deputy", "system_admin"},
    "close_task": COMMITTEE,
    "export_visits": COMMITTEE,
    # Emulation projects (target: branch A1, đảng bộ A; the project's owner is the "member" of A1). The
    # committee opens, appraises, commends, counts and exports for its own đảng bộ only; a member registers
    # for a group of members, only the branch's secretary or deputy for the branch; only the owner reports;
    # a milestone is confirmed by the branch's managers, never by another branch's secretary.
    "emulation_open_call": COMMITTEE,
    "emulation_register_group": {"member", "deputy", "secretary"},
    "emulation_register_branch": {"deputy", "secretary"},
    "emulation_report_milestone": {"member"},
    "emulation_confirm_milestone": MANAGERS,
    "emulation_pending_milestones": MANAGERS,
    "emulation_appraise": COMMITTEE,
    "emulation_commend": COMMITTEE,
    "emulation_overview": COMMITTEE,
    "emulation_export": COMMITTEE,
    # The materials library: a secretary uploads for their branch only, the committee for its đảng bộ; an item
    # for branch A1 is read by A1's members and managers, one for the whole đảng bộ A by every member of A;
    # the per-branch open counts are the committee's.
    "library_upload_branch": MANAGERS,
    "library_upload_org": COMMITTEE,
    "library_open_branch_item": MANAGERS | {"member"},
    "library_open_org_item": MANAGERS | {"member", "member_other_branch", "secretary_other_branch"},
    "library_counts": COMMITTEE,
    # Contests of đảng bộ A: its committee runs them; only members of A's branches enter; a judge named for
    # one contest scores that contest only (the member of A1 is named judge of contest "judged").
    "contest_open": COMMITTEE,
    "contest_counts": COMMITTEE,
    "contest_results": COMMITTEE,
    "contest_export": COMMITTEE,
    "contest_announce": COMMITTEE,
    "contest_enter": {"member", "member_other_branch", "secretary_other_branch", "deputy", "secretary"},
    "contest_score": COMMITTEE,
    "contest_score_as_named_judge": COMMITTEE | {"member"},
}


class World:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ids = app.services.get(IdentityService)
        self.org = app.services.get(OrgService)
        self.actors: dict[str, Actor] = {}
        self._n = 0

    async def person(self, name: str) -> Actor:
        self._n += 1
        uid = str(60_000 + self._n)
        return await self.ids.resolve(UserRef("telegram", uid, name), uid)

    async def redeem(self, actor: Actor, code: str) -> Actor:
        await self.org.redeem(actor, code)
        refreshed = await self.ids.actor_for_person(actor.person_id)
        assert refreshed is not None
        return refreshed

    async def build(self) -> None:
        admin = await self.ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
        self.admin = admin
        org_a = await self.org.create_org(admin, "Đảng bộ A")
        org_b = await self.org.create_org(admin, "Đảng bộ B")
        self.org_a, self.org_b = org_a.id, org_b.id
        self.a1 = (await self.org.create_branch(admin, org_a.id, "Chi bộ A1")).id
        self.a2 = (await self.org.create_branch(admin, org_a.id, "Chi bộ A2")).id
        code = self.org.create_code
        sec = await self.redeem(await self.person("Bí thư A1"),
                                (await code(admin, kind="secretary", branch_id=self.a1)).code)
        a = self.actors
        a["secretary"] = sec
        a["deputy"] = await self.redeem(await self.person("Phó bí thư A1"),
                                        (await code(admin, kind="deputy", branch_id=self.a1)).code)
        a["secretary_other_branch"] = await self.redeem(
            await self.person("Bí thư A2"), (await code(admin, kind="secretary", branch_id=self.a2)).code)
        a["committee"] = await self.redeem(await self.person("Cấp ủy A"),
                                           (await code(admin, kind="committee_admin", org_id=org_a.id)).code)
        a["committee_other_org"] = await self.redeem(
            await self.person("Cấp ủy B"), (await code(admin, kind="committee_admin", org_id=org_b.id)).code)
        a["stranger"] = await self.person("Người lạ")
        a["pending"] = await self.redeem(await self.person("Chờ duyệt"),
                                         (await code(sec, kind="member", branch_id=self.a1)).code)
        a["member"] = await self.approved(self.a1, "Đảng viên A1")
        a["member_other_branch"] = await self.approved(self.a2, "Đảng viên A2")
        a["system_admin"] = admin
        assert a["member"].is_member and not a["member"].is_secretary
        assert a["pending"].seats[0].status == "pending"

    async def vote_meeting(self) -> int:
        """A meeting of A1 that has started (votes are opened during or after one)."""
        from bot.features.meetings.models import Meeting

        if getattr(self, "_meeting_id", None) is None:
            async with self.app.db.session() as s:
                m = Meeting(branch_id=self.a1, starts_at=self.app.clock.now(), checkin_code="123456")
                s.add(m)
                await s.flush()
                self._meeting_id = m.id
        return int(self._meeting_id)

    async def vote_action(self, action: str, actor: Actor) -> None:
        from bot.features.votes.exports import VoteExport
        from bot.features.votes.service import VoteService

        votes = self.app.services.get(VoteService)
        mid = await self.vote_meeting()
        vote = await votes.open(self.admin, mid, "Biểu quyết thử")
        self._before = await self.counts()
        if action == "open_vote":
            await votes.open(actor, mid, "Biểu quyết của người khác")
        elif action == "view_vote":
            await votes.view(actor, vote.id)
        elif action == "close_vote":
            await votes.close(actor, vote.id)
        elif action == "export_votes":
            await self.app.services.get(VoteExport).meeting_xlsx(actor, mid)
        else:
            await votes.toggle_setting(actor, self.a1, "anon")

    async def pending_request(self, branch_id: int) -> int:
        manager = self.admin
        joiner = await self.person("Người xin vào")
        code = await self.org.create_code(manager, kind="member", branch_id=branch_id)
        await self.org.redeem(joiner, code.code)
        async with self.app.db.session() as s:
            return (await s.execute(select(Membership.id).where(Membership.person_id == joiner.person_id))
                    ).scalar_one()

    async def approved(self, branch_id: int, name: str) -> Actor:
        joiner = await self.person(name)
        await self.org.redeem(joiner, (await self.org.create_code(self.admin, kind="member",
                                                                   branch_id=branch_id)).code)
        async with self.app.db.session() as s:
            mid = (await s.execute(select(Membership.id).where(Membership.person_id == joiner.person_id))
                   ).scalar_one()
        await self.org.decide_join(self.admin, mid, True)
        refreshed = await self.ids.actor_for_person(joiner.person_id)
        assert refreshed is not None
        return refreshed

    async def counts(self) -> tuple[int, ...]:
        async with self.app.db.session() as s:
            out = []
            for model in (Organization, Branch, JoinCode, Membership):
                out.append((await s.execute(select(func.count()).select_from(model))).scalar_one())
            revoked = (await s.execute(select(func.count()).select_from(JoinCode)
                                       .where(JoinCode.revoked_at.is_not(None)))).scalar_one()
            active = (await s.execute(select(func.count()).select_from(Membership)
                                      .where(Membership.status != "pending"))).scalar_one()
            votes = (await s.execute(select(func.count()).select_from(Vote))).scalar_one()
            closed = (await s.execute(select(func.count()).select_from(Vote)
                                      .where(Vote.closed_at.is_not(None)))).scalar_one()
            settings = (await s.execute(select(func.count()).select_from(VoteSettings))).scalar_one()
            meetings = (await s.execute(select(func.count()).select_from(Meeting).where(
                Meeting.cancelled_at.is_not(None) | (Meeting.moves > 0)))).scalar_one()
            marks = (await s.execute(select(func.count()).select_from(Attendance))).scalar_one()
            return (*out, revoked, active, votes, closed, settings, meetings, marks)

    async def meeting(self) -> int:
        """A fresh meeting of branch A1 three days ahead, scheduled by the system admin."""
        day = self.app.clock.now().astimezone(self.app.settings.tz).date() + timedelta(days=3)
        m = await self.app.services.get(MeetingScheduling).schedule(
            self.admin, self.a1, kind="regular", starts_local=datetime.combine(day, time(19, 30)))
        assert m.id is not None
        return m.id

    async def submitted_pledge(self, author: Actor) -> tuple[int, int]:
        """The author's pledge in A1, (re)submitted as a new version: (pledge id, version)."""
        async with self.app.db.session() as s:
            p = (await s.execute(select(Pledge).where(Pledge.person_id == author.person_id))).scalar_one_or_none()
            if p is None:
                p = Pledge(person_id=author.person_id, branch_id=self.a1, org_id=self.org_a, year=2026)
            p.status, p.version, p.approved_version, p.draft = "submitted", p.version + 1, None, None
            s.add(p)
            await s.flush()
            s.add(PledgeVersion(pledge_id=p.id, version=p.version, content={"items": []}))
            return int(p.id or 0), p.version

    async def act(self, action: str, actor: Actor) -> None:
        """Prepare a fresh target (made by the system admin), then attempt ``action`` as ``actor``."""
        org = self.org
        if action.endswith("_pledge") and action != "pending_pledges":
            author = self.actors["secretary" if "secretary" in action else "member"]
            pledge_id, version = await self.submitted_pledge(author)
            self._before = await self.counts()
            reviewing = self.app.services.get(PledgeReviewing)
            if action.startswith("approve"):
                await reviewing.approve(actor, pledge_id, version)
            else:
                await reviewing.return_pledge(actor, pledge_id, version, "cần rõ hơn")
        elif action.startswith("library_"):
            await self.library(action, actor)
        elif action == "pending_pledges":
            self._before = await self.counts()
            await self.app.services.get(PledgeReviewing).pending(actor, self.a1)
        elif action == "pledge_history":
            pledge_id, _version = await self.submitted_pledge(self.actors["member"])
            self._before = await self.counts()
            await self.app.services.get(PledgeHistory).history(actor, pledge_id)
        elif action in ("approve_join", "reject_join"):
            mid = await self.pending_request(self.a1)
            before = await self.counts()
            self._before = before
            await org.decide_join(actor, mid, action == "approve_join")
        elif action == "revoke_code":
            code = (await org.create_code(self.admin, kind="member", branch_id=self.a1)).code
            self._before = await self.counts()
            await org.revoke_code(actor, code)
        elif action in ("cancel_meeting", "move_meeting", "mark_attendance", "mark_all_present"):
            mid = await self.meeting()
            self._before = await self.counts()
            if action == "cancel_meeting":
                await self.app.services.get(MeetingChanges).cancel(actor, mid)
            elif action == "move_meeting":
                day = self.app.clock.now().astimezone(self.app.settings.tz).date() + timedelta(days=4)
                await self.app.services.get(MeetingChanges).move(actor, mid, datetime.combine(day, time(19, 30)))
            elif action == "mark_attendance":
                await self.app.services.get(MeetingAttendance).set_marks(
                    actor, mid, [self.actors["member"].person_id], "absent")
            else:
                await self.app.services.get(MeetingAttendance).mark_all_present(actor, mid)
        elif action in ("open_vote", "view_vote", "close_vote", "export_votes", "vote_settings"):
            await self.vote_action(action, actor)
        elif action.startswith("dialogue_"):
            await self.dialogue(action, actor)
        elif action == "revoke_committee_invite":
            code = (await org.create_code(self.admin, kind="committee_admin", org_id=self.org_a)).code
            self._before = await self.counts()
            await org.revoke_code(actor, code)
        elif action in YEAR_END_ACTIONS:
            await self.act_year_end(action, actor)
        else:
            self._before = await self.counts()
            if action == "create_join_code":
                await org.create_code(actor, kind="member", branch_id=self.a1)
            elif action == "list_members":
                await org.members(actor, self.a1)
            elif action == "list_pending":
                await org.pending_requests(actor, self.a1)
            elif action == "create_branch":
                await org.create_branch(actor, self.org_a, "Chi bộ mới")
            elif action == "invite_secretary":
                await org.create_code(actor, kind="secretary", branch_id=self.a1)
            elif action == "invite_deputy":
                await org.create_code(actor, kind="deputy", branch_id=self.a1)
            elif action == "create_org":
                await org.create_org(actor, "Đảng bộ mới")
            elif action == "invite_committee_admin":
                await org.create_code(actor, kind="committee_admin", org_id=self.org_a)
            elif action == "set_review_window":
                await self.app.services.get(PledgeSettings).set_review_window(
                    actor, self.a1, date(2026, 11, 1), date(2026, 12, 20))
            elif action in ("read_year_file", "export_year_file", "list_year_files", "branch_year_workbook"):
                await self.year_file(action, actor)
            elif action in ("draft_minutes", "export_minutes", "assign_minutes_task", "close_minutes_task"):
                await self.minutes(action, actor)
            elif action in SUPERVISION:
                await self.supervision(action, actor)
            elif action.startswith("emulation_"):
                await self.emulation(action, actor)
            elif action.startswith("contest_"):
                await self.contest(action, actor)
            else:
                raise AssertionError(action)

    async def minutes(self, action: str, actor: Actor) -> None:
        from datetime import date, datetime

        from bot.features.meetings.minutes import MeetingMinutesService, MinutesTasks
        from bot.features.meetings.scheduling import MeetingScheduling

        svc = self.app.services.get(MeetingMinutesService)
        m = await self.app.services.get(MeetingScheduling).schedule(
            self.admin, self.a1, kind="regular", starts_local=datetime(2026, 3, 2, 19, 30))
        owner = self.actors["member"].person_id
        if action == "draft_minutes":
            await svc.view(actor, m.id)
            await svc.set_text(actor, m.id, "discussion", "Ý kiến")
        elif action == "export_minutes":
            body, _name, _branch = await svc.export(actor, m.id)
            assert body.startswith(b"PK")
        elif action == "assign_minutes_task":
            await svc.add_task(actor, m.id, "Việc được giao", owner, date(2026, 3, 10))
        else:
            task = await svc.add_task(self.admin, m.id, "Việc được giao", owner, date(2026, 3, 10))
            await self.app.services.get(MinutesTasks).done(actor, task.id)


    async def visit(self, concluded: bool) -> tuple[int, int, int]:
        """A visit to A1 planned by the system admin: (visit id, first item id, its task id or 0)."""
        svc = self.app.services.get(SupervisionService)
        visit = await svc.plan(self.admin, self.a1, date(2026, 3, 10), "Đoàn A", ["Kế hoạch năm"])
        view = await svc.start_recording(self.admin, int(visit.id or 0))
        item_id = int(view.items[0].id or 0)
        if not concluded:
            return int(visit.id or 0), item_id, 0
        await svc.record_finding(self.admin, item_id, False, "chưa có", None, None)
        done = await svc.conclude(self.admin, int(visit.id or 0), "Kết luận", [("Bổ sung", date(2026, 4, 1))])
        return int(visit.id or 0), item_id, int(done.tasks[0].id or 0)

    async def supervision(self, action: str, actor: Actor) -> None:
        svc = self.app.services.get(SupervisionService)
        if action == "plan_visit":
            await svc.plan(actor, self.a1, date(2026, 3, 10), "Đoàn A", None)
        elif action == "committee_visits":
            await svc.committee_view(actor, self.org_a)
        elif action == "export_visits":
            await org_visits(svc, actor, self.org_a)
        elif action in ("record_finding", "conclude_visit"):
            visit_id, item_id, _task = await self.visit(concluded=False)
            if action == "record_finding":
                await svc.record_finding(actor, item_id, True, None, None, None)
            else:
                await svc.record_finding(self.admin, item_id, True, None, None, None)
                await svc.conclude(actor, visit_id, "Kết luận", [])
        else:
            visit_id, _item, task_id = await self.visit(concluded=True)
            if action == "read_visit_conclusions":
                await svc.visit(actor, visit_id)
                await svc.branch_visits(actor, self.a1)
            elif action == "report_task_fixed":
                await svc.report_fixed(actor, task_id, "Đã bổ sung", None)
            else:
                await svc.close_task(actor, task_id)

    async def emulation_project(self, milestone: str = "planned", status: str = "registered") -> tuple[int, int]:
        """A fresh project of the A1 member under đảng bộ A's call, with one milestone: (project, milestone)."""
        svc = self.app.services.get(EmulationService)
        if not getattr(self, "_call_id", None):
            call = await svc.open_call(self.admin, self.org_a, title="Đợt thi đua", deadline=date(2026, 3, 31),
                                       criteria="", categories=["Mô hình"])
            self._call_id = call.id
        self._n += 1
        async with self.app.db.session() as s:
            p = EmulationProject(call_id=self._call_id, org_id=self.org_a, branch_id=self.a1,
                                 owner_id=self.actors["member"].person_id, name=f"CT {self._n}",
                                 name_key=f"ct {self._n}", category="Mô hình", status=status)
            s.add(p)
            await s.flush()
            m = EmulationMilestone(project_id=p.id, title="Mốc 1", due=date(2026, 3, 20), status=milestone)
            s.add(m)
            await s.flush()
            return int(p.id or 0), int(m.id or 0)

    async def emulation(self, action: str, actor: Actor) -> None:
        svc = self.app.services.get(EmulationService)
        project_id, milestone_id = await self.emulation_project(
            milestone="reported" if action == "emulation_confirm_milestone" else "planned",
            status="passed" if action == "emulation_commend" else "registered")
        self._n += 1
        if action == "emulation_open_call":
            await svc.open_call(actor, self.org_a, title="Đợt mới", deadline=date(2026, 3, 31), criteria="",
                                categories=["Mô hình"])
        elif action.startswith("emulation_register"):
            await svc.register(actor, self.a1, self._call_id, by_branch=action.endswith("branch"),
                               name=f"Đăng ký {self._n}", category="Mô hình", goal="", criteria="",
                               milestones=[(date(2026, 4, 1), "Xong")])
        elif action == "emulation_report_milestone":
            await svc.report(actor, milestone_id, text="Đã làm", link=None, media=[])
        elif action == "emulation_confirm_milestone":
            await svc.confirm(actor, milestone_id)
        elif action == "emulation_pending_milestones":
            await svc.pending_confirmations(actor, self.a1)
        elif action == "emulation_appraise":
            await svc.appraise(actor, project_id, "passed", "Tốt")
        elif action == "emulation_commend":
            await svc.commend(actor, project_id)
        elif action == "emulation_overview":
            await svc.overview(actor, self.org_a)
        elif action == "emulation_export":
            await svc.workbook(actor, self.org_a)
        else:
            raise AssertionError(action)

    async def contest(self, action: str, actor: Actor) -> None:
        contests = self.app.services.get(Contests)
        terms = ContestInput(title="Hội thi", rules="", kinds=["text"], max_mb=5, deadline=date(2026, 12, 31),
                             per="member", criteria=[["Nội dung", 10]])
        if action == "contest_open":
            await contests.open(actor, self.org_a, terms)
            return
        contest = await contests.open(self.admin, self.org_a, terms)
        cid = contest.id or 0
        if action == "contest_enter":
            await contests.submit(actor, cid, EntryInput(kind="text", text="Bài dự thi"))
            return
        author = self.actors["secretary"]
        entry = await contests.submit(author, cid, EntryInput(kind="text", text="Bài dự thi"))
        if action == "contest_counts":
            await contests.branch_counts(actor, cid)
        elif action == "contest_results":
            await contests.results(actor, cid)
        elif action == "contest_export":
            await contests.workbook(actor, cid)
        elif action == "contest_announce":
            await contests.score(self.admin, entry.id or 0, [8])
            await contests.announce_results(actor, cid)
        else:
            if action == "contest_score_as_named_judge":
                await contests.name_judge(self.admin, cid, self.actors["member"].person_id)
            await contests.score(actor, entry.id or 0, [7])

    async def year_file(self, action: str, actor: Actor) -> None:
        years = self.app.services.get(YearFileService)
        member = self.actors["member"].person_id
        if action == "read_year_file":
            await years.year_file(actor, member, self.a1, 2026)
        elif action == "export_year_file":
            await years.exported(actor, member, self.a1, 2026, "docx")
        elif action == "list_year_files":
            await years.members(actor, self.a1)
        else:
            await years.branch_files(actor, self.a1, 2026)

    async def library(self, action: str, actor: Actor) -> None:
        lib = self.app.services.get(Library)
        if action.startswith("library_open"):
            scope = f"b:{self.a1}" if action == "library_open_branch_item" else f"o:{self.org_a}"
            item = await lib.add(self.admin, scope, title="Tài liệu", year=2026, month=3,
                                 link="https://example.vn/tai-lieu")
            self._before = await self.counts()
            await lib.open(actor, int(item.id or 0))
            return
        self._before = await self.counts()
        if action == "library_counts":
            await lib.counts(actor, self.org_a)
        else:
            scope = f"b:{self.a1}" if action == "library_upload_branch" else f"o:{self.org_a}"
            await lib.add(actor, scope, title="Tài liệu", year=2026, month=3, link="https://example.vn/tai-lieu")


    async def act_year_end(self, action: str, actor: Actor) -> None:
        """Nominations, commendations and the branch's papers: a fresh target in branch A1, then the action."""
        from bot.features.branch_plan.models import BranchDoc
        from bot.features.branch_plan.service import BranchPlanService
        from bot.features.commendations.service import CommendService
        from bot.features.deeds.models import Nomination
        from bot.features.deeds.nominations import NominationReview

        get = self.app.services.get
        self._n += 1
        if action == "decide_nomination":
            async with self.app.db.session() as s:
                nom = Nomination(branch_id=self.a1, nominated_by=self.actors["member"].person_id,
                                 name=f"Bà Mười {self._n}", what="Nấu cơm cho bệnh nhân nghèo")
                s.add(nom)
                await s.flush()
                nom_id = nom.id
            self._before = await self.counts()
            await get(NominationReview).decide(actor, nom_id, True, None)
        elif action == "commend_shortlist":
            self._before = await self.counts()
            await get(CommendService).shortlist(actor, self.a1)
        elif action == "commend_propose":
            self._before = await self.counts()
            await get(CommendService).propose(actor, self.a1, kind="collective", name=f"Tổ {self._n}",
                                              reason="Dẫn đầu phong trào")
        elif action == "commend_award":
            prop = await get(CommendService).propose(self.admin, self.a1, kind="collective",
                                                     name=f"Tổ {self._n}", reason="Dẫn đầu phong trào")
            self._before = await self.counts()
            await get(CommendService).record_award(actor, prop.id, "giay_khen")
        else:  # the branch's plan: a draft to send, or a sent one to acknowledge
            async with self.app.db.session() as s:
                row = BranchDoc(branch_id=self.a1, org_id=self.org_a, kind="plan", year=2000 + self._n,
                                fields={"goals": "Mục tiêu"}, status="draft" if action == "branch_doc_send" else "sent")
                s.add(row)
                await s.flush()
                doc = row
            self._before = await self.counts()
            if action == "branch_doc_send":
                await get(BranchPlanService).send(actor, doc.id)
            else:
                await get(BranchPlanService).decide(actor, doc.id, True)

    async def dialogue(self, action: str, actor: Actor) -> None:
        from bot.features.dialogue.service import DialogueService, SendInput

        svc = self.app.services.get(DialogueService)
        await svc.set_anonymous(self.admin, self.org_a, True)
        anonymous = "anonymous" in action
        item = await svc.submit(self.actors["member"], SendInput(
            "committee" if anonymous else "branch", "opinion", anonymous, "Một ý kiến"))
        self._before = await self.counts()
        try:
            await self._dialogue_act(action, actor, svc, item.id or 0, anonymous)
        except PermissionDenied:
            async with self.app.db.session() as s:  # a refusal changed nothing about the opinion
                row = await s.get(DialogueItem, item.id)
                assert row is not None and (row.status, row.answer) == ("received", None), action
            raise

    async def _dialogue_act(self, action: str, actor: Actor, svc: Any, item_id: int, anonymous: bool) -> None:
        from bot.features.dialogue.exports import DialogueExport

        if action in ("dialogue_read_to_branch", "dialogue_read_anonymous"):
            view = await svc.item(actor, item_id)
            assert view.sender_name is None if anonymous else view.sender_name == "Đảng viên A1"
        elif action in ("dialogue_answer_to_branch", "dialogue_answer_anonymous"):
            await svc.answer(actor, item_id, "Trả lời")
        elif action == "dialogue_handling_to_branch":
            await svc.mark_handling(actor, item_id)
        elif action == "dialogue_withdraw":
            await svc.withdraw(actor, item_id)
        elif action == "dialogue_branch_inbox":
            await svc.inbox(actor, "branch", self.a1, 0)
        elif action == "dialogue_committee_inbox":
            await svc.inbox(actor, "committee", self.org_a, 0)
        elif action == "dialogue_overview":
            await svc.overview(actor, self.org_a)
        elif action == "dialogue_export":
            await self.app.services.get(DialogueExport).workbook(actor, self.org_a)
        elif action == "dialogue_settings":
            await svc.set_anonymous(actor, self.org_a, False)
        else:
            raise AssertionError(action)


YEAR_END_ACTIONS = {"decide_nomination", "commend_shortlist", "commend_propose", "commend_award", "branch_doc_send",
                    "branch_doc_review"}


@pytest.fixture
async def world(settings, clock):
    app = await App.create(settings, clock=clock)
    w = World(app)
    await w.build()
    yield w
    await app.close()


async def test_authorization_matrix(world: World, caplog):
    assert set(ROLES) == set(world.actors)
    wrong: list[str] = []
    for action, role in itertools.product(MATRIX, ROLES):
        expected = role in MATRIX[action]
        try:
            await world.act(action, world.actors[role])
            allowed = True
        except PermissionDenied:
            allowed = False
            if await world.counts() != world._before:
                wrong.append(f"{action} by {role}: denied but the database changed")
        if allowed != expected:
            wrong.append(f"{action} by {role}: {'allowed' if allowed else 'denied'}, expected "
                         f"{'allowed' if expected else 'denied'}")
    assert wrong == []
    # Refusals are logged (forged buttons end at the service and leave a trace).
    assert sum("permission denied" in r.getMessage() for r in caplog.records) == sum(
        len(set(ROLES) - allowed) for allowed in MATRIX.values())


# The dry run: /help lists a command exactly when its audience admits the role (command audience -> roles).
MEMBERS = {"member", "member_other_branch", "secretary_other_branch", "deputy", "secretary", "system_admin"}
AUDIENCES: dict[str, set[str]] = {
    "all": set(ROLES),
    "member": MEMBERS,
    "manager": MANAGERS | {"secretary_other_branch", "committee_other_org"},
    "committee": COMMITTEE | {"committee_other_org"},
    "admin": ADMIN,
}
SECRETARY_MENU = {"deputy", "secretary", "secretary_other_branch"}  # the system admin seeds no seat: no menu


class RecordingChannel:
    name = "telegram"
    caps = Capabilities(buttons=True, edit=True, max_text=4096, media_upload=True, media_by_url=False,
                        reply_menu=True)

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        self.replies.append(reply)
        return SentMessage([str(len(self.replies))])

    async def fetch_media(self, media: MediaRef) -> bytes:
        return b""

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        return None


async def _help_as(world: World, actor: Actor, args: str = "") -> Reply:
    async with world.app.db.session() as s:
        uid = (await s.execute(select(Identity.external_id).where(Identity.person_id == actor.person_id))
               ).scalars().first()
    assert uid is not None
    channel = RecordingChannel()
    await world.app.handle(Inbound("telegram", ChatRef("telegram", uid), UserRef("telegram", uid, actor.display_name),
                                   text=f"/help {args}".strip(), command="help", args=args), channel)
    assert len(channel.replies) == 1, channel.replies
    return channel.replies[0]


async def test_help_lists_only_the_commands_each_role_may_use(world: World):
    specs = [spec for spec in world.app.registry.unique_commands() if spec.help is not None]
    assert {spec.audience for spec in specs} == set(AUDIENCES)  # every audience is exercised
    wrong: list[str] = []
    for role in ROLES:
        reply = await _help_as(world, world.actors[role])
        more = await _help_as(world, world.actors[role], "them")  # the "Xem thêm" part
        listed = {line.split(" ", 1)[0][1:] for line in (reply.text + "\n" + more.text).splitlines()
                  if line.startswith("/")}
        expected = {spec.name for spec in specs if role in AUDIENCES[spec.audience]}
        if listed != expected:
            wrong.append(f"{role}: extra {sorted(listed - expected)}, missing {sorted(expected - listed)}")
        menu = secretary_menu() if role in SECRETARY_MENU else member_menu() if role in MEMBERS - ADMIN else None
        if reply.menu != menu:
            wrong.append(f"{role}: menu {reply.menu}")
    assert wrong == []


# --- the branch's year-end classification (bot/features/classification) -----------------------------------

CLASSIFY_MATRIX: dict[str, set[str]] = {
    "classification_propose": MANAGERS,  # the secretary, the deputy, the đảng bộ's committee, a system admin
    "classification_view": MANAGERS,
    "classification_confirm": COMMITTEE,  # the đảng uỷ confirms the branch's results
}


async def _classify_act(world: World, action: str, actor: Actor) -> None:
    from bot.features.classification.service import Classification

    svc = world.app.services.get(Classification)
    target = world.actors["member"].person_id
    if action == "classification_propose":
        await svc.propose(actor, world.a1, target, "good", 80, "Hoàn thành tốt nhiệm vụ.")
    elif action == "classification_view":
        await svc.overview(actor, world.a1)
    elif action == "classification_confirm":
        await svc.confirm_branch(actor, world.a1)
    else:
        raise AssertionError(action)


async def _proposals(world: World) -> list[tuple[int, str, str | None]]:
    from bot.features.classification.models import ClassificationProposal

    async with world.app.db.session() as s:
        rows = (await s.execute(select(ClassificationProposal))).scalars().all()
        return sorted((r.person_id, r.status, r.proposed_by and str(r.proposed_by)) for r in rows)


async def test_classification_matrix(world: World, caplog):
    wrong: list[str] = []
    for action, role in itertools.product(CLASSIFY_MATRIX, ROLES):
        expected = role in CLASSIFY_MATRIX[action]
        before = await _proposals(world)
        try:
            await _classify_act(world, action, world.actors[role])
            allowed = True
        except PermissionDenied:
            allowed = False
            if await _proposals(world) != before:
                wrong.append(f"{action} by {role}: denied but the proposals changed")
        if allowed != expected:
            wrong.append(f"{action} by {role}: {'allowed' if allowed else 'denied'}, expected "
                         f"{'allowed' if expected else 'denied'}")
    assert wrong == []


async def test_classification_bad_input_is_refused_politely(world: World, caplog):
    from bot.features.classification.service import Classification
    from bot.services.errors import Conflict, InvalidInput

    svc = world.app.services.get(Classification)
    sec, member = world.actors["secretary"], world.actors["member"].person_id
    with pytest.raises(InvalidInput, match="không thuộc bốn mức xếp loại"):
        await svc.propose(sec, world.a1, member, "best", None, "Tốt.")
    with pytest.raises(InvalidInput, match="Số điểm phải từ 0 đến 100"):
        await svc.propose(sec, world.a1, member, "good", 101, "Tốt.")
    with pytest.raises(InvalidInput, match="95 điểm không khớp"):
        await svc.propose(sec, world.a1, member, "good", 95, "Tốt.")
    # The cap: no one rated "good" yet, so one "excellent" breaks 20%: refused with the rule, unless a reason.
    with pytest.raises(Conflict, match="không vượt quá 20% số đảng viên") as refused:
        await svc.propose(sec, world.a1, member, "excellent", 95, "Xuất sắc.")
    assert "theo hướng dẫn cũ, cần xác minh" in refused.value.message
    assert await _proposals(world) == []
    # A secretary of another branch, and a secretary for themself, are refused; the deputy may do the latter.
    with pytest.raises(PermissionDenied, match="không có quyền"):
        await svc.propose(world.actors["secretary_other_branch"], world.a1, member, "good", None, "Tốt.")
    with pytest.raises(PermissionDenied, match="không thể tự đề xuất mức xếp loại"):
        await svc.propose(sec, world.a1, sec.person_id, "excellent", None, "Tự đề xuất.", "Lý do.")
    assert any("self-classification refused" in r.getMessage() for r in caplog.records)
    await svc.propose(world.actors["deputy"], world.a1, sec.person_id, "good", None, "Bí thư gương mẫu.")
    p = await svc.propose(sec, world.a1, member, "excellent", 95, "Xuất sắc.", "Đạt giải cấp tỉnh.")
    assert p.status == "proposed" and p.cap_reason == "Đạt giải cấp tỉnh."
