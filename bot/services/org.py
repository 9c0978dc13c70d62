"""Đảng bộ and chi bộ, join codes and invites, join approval, leaving."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from bot.services.menus import member_menu
from bot.services.notify import notify
from bot.services.permissions import require_branch_manager, require_org_admin, require_system_admin
from storage.models.joining import JoinCode, JoinFailure
from storage.models.org import Branch, Organization
from storage.models.people import BranchRole, Membership, MembershipStatus, OrgRole, Person

log = logging.getLogger("hocbac.org")

# No 0/O, 1/I/L: codes are read aloud at meetings and typed by elderly members.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_KINDS = ("member", "secretary", "deputy", "committee_admin")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:64]


@dataclass(frozen=True, slots=True)
class JoinResult:
    kind: str  # pending | active | committee_admin | already
    branch_name: str
    org_name: str
    role: str


class OrgService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- organisations and branches (system admins; committee admins add branches to their own) ---

    async def create_org(self, actor: Actor, name: str) -> Organization:
        require_system_admin(actor, "create_org")
        name = _clean_name(name)
        async with self.deps.db.session() as s:
            org = Organization(name=name, created_at=self.deps.clock.now())
            s.add(org)
            await s.flush()
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="org.create", org_id=org.id, target=name)
            return org

    async def create_branch(self, actor: Actor, org_id: int, name: str) -> Branch:
        require_org_admin(actor, org_id, "create_branch")
        name = _clean_name(name)
        async with self.deps.db.session() as s:
            if await s.get(Organization, org_id) is None:
                raise NotFound(_("That Party committee does not exist."))
            branch = Branch(org_id=org_id, name=name, created_at=self.deps.clock.now())
            s.add(branch)
            await s.flush()
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="branch.create", org_id=org_id, branch_id=branch.id, target=name)
            return branch

    async def list_orgs(self) -> list[Organization]:
        async with self.deps.db.session() as s:
            return list((await s.execute(select(Organization).order_by(Organization.id))).scalars().all())

    async def list_branches(self, org_id: int | None = None) -> list[Branch]:
        async with self.deps.db.session() as s:
            q = select(Branch).order_by(Branch.id)
            if org_id is not None:
                q = q.where(Branch.org_id == org_id)
            return list((await s.execute(q)).scalars().all())

    async def get_branch(self, branch_id: int) -> Branch:
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            return branch

    # --- codes ---

    async def create_code(
        self, actor: Actor, *, kind: str, branch_id: int | None = None, org_id: int | None = None,
        ttl_hours: int | None = None, max_uses: int | None = None,
    ) -> JoinCode:
        """Member codes: branch managers. Secretary/deputy invites: committee or system admins.
        Committee-admin invites: system admins."""
        if kind not in CODE_KINDS:
            raise InvalidInput(_("Unknown code type."))
        async with self.deps.db.session() as s:
            if kind == "committee_admin":
                require_system_admin(actor, "invite_committee_admin")
                if org_id is None or await s.get(Organization, org_id) is None:
                    raise NotFound(_("That Party committee does not exist."))
            else:
                branch = await s.get(Branch, branch_id) if branch_id is not None else None
                if branch is None:
                    raise NotFound(_("That branch does not exist."))
                org_id = branch.org_id
                if kind == "member":
                    require_branch_manager(actor, branch.id, branch.org_id, "create_join_code")
                else:
                    require_org_admin(actor, branch.org_id, "invite_secretary")
            now = self.deps.clock.now()
            ttl = ttl_hours if ttl_hours is not None else self.deps.settings.join_code_ttl_hours
            if kind != "member" and max_uses is None:
                max_uses = 1  # an invite makes one secretary, not many
            code = JoinCode(code=new_code(), kind=kind, branch_id=branch_id, org_id=org_id,
                            created_by=actor.person_id, created_at=now, expires_at=now + timedelta(hours=ttl),
                            max_uses=max_uses)
            s.add(code)
            await s.flush()
            await audit.record(s, at=now, actor_person_id=actor.person_id, action=f"code.create.{kind}",
                               org_id=org_id, branch_id=branch_id, target=code.code)
            return code

    async def revoke_code(self, actor: Actor, code_text: str) -> None:
        async with self.deps.db.session() as s:
            code = await self._find_code(s, code_text)
            if code is None:
                raise NotFound(_("No such code."))
            if code.branch_id is not None:
                branch = await s.get(Branch, code.branch_id)
                assert branch is not None
                require_branch_manager(actor, branch.id, branch.org_id, "revoke_code")
            else:
                require_system_admin(actor, "revoke_code")
            code.revoked_at = self.deps.clock.now()
            s.add(code)

    async def _find_code(self, s: AsyncSession, code_text: str) -> JoinCode | None:
        return (
            await s.execute(select(JoinCode).where(JoinCode.code == normalize_code(code_text)))
        ).scalar_one_or_none()

    async def _check_attempts(self, s: AsyncSession, actor: Actor) -> None:
        window = self.deps.clock.now() - timedelta(minutes=self.deps.settings.join_failure_window_min)
        failures = (
            await s.execute(
                select(func.count()).select_from(JoinFailure).where(
                    JoinFailure.channel == actor.channel,
                    JoinFailure.external_id == str(actor.person_id),
                    JoinFailure.at >= window,
                )
            )
        ).scalar_one()
        if failures >= self.deps.settings.join_max_failures:
            raise TooManyAttempts(
                _("Too many wrong codes. Please wait {minutes} minutes and try again, "
                  "or ask your branch secretary for a new code.").format(
                    minutes=self.deps.settings.join_failure_window_min)
            )

    async def _fail(self, actor: Actor, message: str) -> InvalidInput:
        # The failure is recorded in its own transaction so it survives the error below.
        async with self.deps.db.session() as s:
            s.add(JoinFailure(channel=actor.channel, external_id=str(actor.person_id), at=self.deps.clock.now()))
        log.info("join code rejected for person %s", actor.person_id)
        return InvalidInput(message)

    async def redeem(self, actor: Actor, code_text: str) -> JoinResult:
        """Use a join or invite code. Members wait for approval; invites take effect at once."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            await self._check_attempts(s, actor)
            code = await self._find_code(s, code_text)
            problem: str | None = None
            if code is None:
                problem = _("That code is not valid. Please check it with your branch secretary.")
            elif code.revoked_at is not None:
                problem = _("That code has been revoked. Please ask your branch secretary for a new one.")
            elif code.expires_at <= now:
                problem = _("That code has expired. Please ask your branch secretary for a new one.")
            elif code.max_uses is not None and code.uses >= code.max_uses:
                problem = _("That code has already been used. Please ask for a new one.")
        if problem is not None or code is None:
            raise await self._fail(actor, problem or "")
        async with self.deps.db.session() as s:
            code = await s.get(JoinCode, code.id)
            assert code is not None
            for guard in self.deps.ext.join_guards:
                refusal = await guard(s, self.deps, actor, code)
                if refusal:
                    raise InvalidInput(refusal)
            if code.kind == "committee_admin":
                org = await s.get(Organization, code.org_id)
                assert org is not None
                exists = (
                    await s.execute(select(OrgRole).where(OrgRole.person_id == actor.person_id,
                                                          OrgRole.org_id == org.id))
                ).scalar_one_or_none()
                if exists is None:
                    s.add(OrgRole(person_id=actor.person_id, org_id=org.id, created_at=now))
                code.uses += 1
                s.add(code)
                await audit.record(s, at=now, actor_person_id=actor.person_id, action="org_role.grant",
                                   org_id=org.id, target=code.code)
                return JoinResult("committee_admin", "", org.name, "committee_admin")
            branch = await s.get(Branch, code.branch_id)
            assert branch is not None
            org = await s.get(Organization, branch.org_id)
            assert org is not None
            membership = (
                await s.execute(select(Membership).where(Membership.person_id == actor.person_id,
                                                         Membership.branch_id == branch.id))
            ).scalar_one_or_none()
            role = code.kind if code.kind in ("secretary", "deputy") else BranchRole.MEMBER.value
            if membership is not None and membership.status == MembershipStatus.ACTIVE and role == membership.role:
                return JoinResult("already", branch.name, org.name, membership.role)
            if membership is not None and membership.status == MembershipStatus.PENDING and role == "member":
                return JoinResult("pending", branch.name, org.name, membership.role)
            if membership is None:
                membership = Membership(person_id=actor.person_id, branch_id=branch.id)
            membership.role = role
            membership.requested_at = now
            membership.left_at = None
            if role == BranchRole.MEMBER:
                membership.status = MembershipStatus.PENDING.value
                membership.decided_at = membership.decided_by = None
            else:
                membership.status = MembershipStatus.ACTIVE.value
                membership.decided_at, membership.decided_by = now, code.created_by
            s.add(membership)
            code.uses += 1
            s.add(code)
            await s.flush()
            await audit.record(s, at=now, actor_person_id=actor.person_id, action=f"join.{code.kind}",
                               org_id=org.id, branch_id=branch.id, target=code.code)
            if role == BranchRole.MEMBER:
                await self._notify_join_request(s, branch, membership, actor)
                return JoinResult("pending", branch.name, org.name, role)
            return JoinResult("active", branch.name, org.name, role)

    async def branch_managers(self, s: AsyncSession, branch: Branch) -> list[int]:
        """Who manages the branch (``bot.services.directory.manager_ids``: committee admins as fallback)."""
        return await manager_ids(s, branch)

    async def _notify_join_request(self, s: AsyncSession, branch: Branch, m: Membership, actor: Actor) -> None:
        join_buttons = self.deps.ext.providers.join_buttons  # the onboarding feature's button kind

        def render() -> Reply:
            return Reply(
                text=_("🙋 <b>Join request</b>\n{name} asks to join branch {branch}.").format(
                    name=esc(actor.display_name or "?"), branch=esc(branch.name)),
                buttons=join_buttons(m.id or 0) if join_buttons is not None else [],
            )

        for manager_id in await self.branch_managers(s, branch):
            key = f"join_request:{m.id}:{m.requested_at.isoformat()}:{manager_id}"
            await notify(s, self.deps, manager_id, key=key, kind="join_request", render=render,
                         branch_id=branch.id)

    async def decide_join(self, actor: Actor, membership_id: int, approve: bool) -> tuple[Membership, Person]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m = await s.get(Membership, membership_id)
            if m is None:
                raise NotFound(_("That request no longer exists."))
            branch = await s.get(Branch, m.branch_id)
            assert branch is not None
            require_branch_manager(actor, branch.id, branch.org_id, "decide_join")
            if m.status != MembershipStatus.PENDING:
                raise Conflict(_("This request was already handled."))
            m.status = (MembershipStatus.ACTIVE if approve else MembershipStatus.REJECTED).value
            m.decided_at, m.decided_by = now, actor.person_id
            s.add(m)
            person = await s.get(Person, m.person_id)
            assert person is not None
            await audit.record(s, at=now, actor_person_id=actor.person_id,
                               action="join.approve" if approve else "join.reject",
                               org_id=branch.org_id, branch_id=branch.id, target=f"person:{person.id}")
            def render() -> Reply:
                if approve:
                    text = _("🎉 Your request to join branch {branch} was approved. Welcome!\n"
                             "Use the menu below, or send /help to see what you can do.").format(
                        branch=esc(branch.name))
                    return Reply(text=text, menu=member_menu())
                return Reply(text=_("Your request to join branch {branch} was not approved. "
                                    "If this is a mistake, please contact the branch secretary.").format(
                    branch=esc(branch.name)))

            await notify(s, self.deps, person.id, key=f"join_decision:{m.id}:{now.isoformat()}",
                         kind="join_decision", render=render, branch_id=branch.id)
            return m, person

    async def pending_requests(self, actor: Actor, branch_id: int) -> list[tuple[Membership, Person]]:
        return await self._people(actor, branch_id, MembershipStatus.PENDING, "list_requests")

    async def members(self, actor: Actor, branch_id: int) -> list[tuple[Membership, Person]]:
        return await self._people(actor, branch_id, MembershipStatus.ACTIVE, "list_members")

    async def _people(self, actor: Actor, branch_id: int, status: MembershipStatus,
                      action: str) -> list[tuple[Membership, Person]]:
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, action)
            order = Membership.requested_at if status == MembershipStatus.PENDING else Person.display_name
            rows = await s.execute(
                select(Membership, Person).join(Person, Person.id == Membership.person_id)
                .where(Membership.branch_id == branch_id, Membership.status == status.value)
                .order_by(order)
            )
            return [(m, p) for m, p in rows.all()]

    async def leave(self, actor: Actor, branch_id: int) -> str:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m = (
                await s.execute(select(Membership).where(Membership.person_id == actor.person_id,
                                                         Membership.branch_id == branch_id))
            ).scalar_one_or_none()
            if m is None or m.status not in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
                raise NotFound(_("You are not a member of that branch."))
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            m.status, m.left_at = MembershipStatus.LEFT.value, now
            s.add(m)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="membership.leave",
                               org_id=branch.org_id, branch_id=branch.id)
            await self.notify_managers(s, branch, key=f"left:{m.id}:{now.isoformat()}", text_factory=lambda: _(
                "ℹ️ {name} has left branch {branch}.").format(name=esc(actor.display_name), branch=esc(branch.name)))
            return branch.name

    async def notify_managers(self, s: AsyncSession, branch: Branch, *, key: str, text_factory) -> None:  # type: ignore[no-untyped-def]
        """Tell each manager of a branch something, in their own language, through the outbox."""
        for manager_id in await self.branch_managers(s, branch):
            await notify(s, self.deps, manager_id, key=f"{key}:{manager_id}", kind="branch_news",
                         render=lambda: Reply(text=text_factory()), branch_id=branch.id)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Please type a name."))
    if len(name) > 200:
        raise InvalidInput(_("That name is too long (at most {n} characters).").format(n=200))
    return name
