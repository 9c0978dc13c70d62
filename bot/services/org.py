"""Đảng bộ and chi bộ, join codes and invites, join approval, leaving."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit, bot_binding
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from bot.services.identity import invalidate
from bot.services.menus import first_steps, member_menu
from bot.services.notify import notify
from bot.services.permissions import require_branch_manager, require_org_admin, require_system_admin
from bot.text import branch_title
from storage.models.joining import JoinCode, JoinFailure
from storage.models.org import Branch, Organization
from storage.models.people import BranchRole, Identity, Membership, MembershipStatus, OrgRole, Person
from storage.models.system import AuditLog

log = logging.getLogger("hocbac.org")

# No 0/O, 1/I/L: codes are read aloud at meetings and typed by elderly members.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_KINDS = ("member", "secretary", "deputy", "committee_admin")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:64]


# A join code may raise a role in its branch, never lower it.
_RANK = {BranchRole.MEMBER.value: 0, BranchRole.DEPUTY.value: 1, BranchRole.SECRETARY.value: 2}


class _Refused(Exception):
    """A wrong, spent or expired code: answered politely and counted against the account."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

    async def _attempt_key(self, s: AsyncSession, actor: Actor) -> tuple[str, str]:
        """Wrong codes are counted per chat account (channel + platform user id), not per person: /xoadulieu
        makes a new person of the same account, and that must not hand a guesser fresh attempts."""
        ident = await s.get(Identity, actor.identity_id)
        if ident is None:  # no account (a person created by hand): fall back to the person
            return actor.channel, f"person:{actor.person_id}"
        return ident.channel, ident.external_id[:64]

    async def _check_attempts(self, s: AsyncSession, key: tuple[str, str]) -> None:
        window = self.deps.clock.now() - timedelta(minutes=self.deps.settings.join_failure_window_min)
        failures = (
            await s.execute(
                select(func.count()).select_from(JoinFailure).where(
                    JoinFailure.channel == key[0],
                    JoinFailure.external_id == key[1],
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

    async def _fail(self, key: tuple[str, str], actor: Actor, message: str) -> InvalidInput:
        # The failure is recorded in its own transaction so it survives the error below.
        async with self.deps.db.session() as s:
            s.add(JoinFailure(channel=key[0], external_id=key[1], at=self.deps.clock.now()))
        log.info("join code rejected for person %s", actor.person_id)
        return InvalidInput(message)

    @staticmethod
    async def _claim(s: AsyncSession, code: JoinCode) -> None:
        """Take one use of the code, only if one is left, in the transaction that applies the role.

        A conditional UPDATE: on PostgreSQL a concurrent claim waits for the row lock and re-checks
        ``uses < max_uses`` on the committed row, so two redemptions of a one-time invite cannot both
        succeed; on SQLite the unit of work already holds the write lock."""
        result = await s.execute(
            update(JoinCode)
            .where(JoinCode.id == code.id, JoinCode.revoked_at.is_(None),
                   or_(JoinCode.max_uses.is_(None), JoinCode.uses < JoinCode.max_uses))
            .values(uses=JoinCode.uses + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _Refused(_("That code has already been used. Please ask for a new one."))

    async def redeem(self, actor: Actor, code_text: str) -> JoinResult:
        """Use a join or invite code. Members wait for approval; invites take effect at once.

        Checking the code, claiming one of its uses and applying the role are one transaction. A code
        never lowers a role: a secretary typing their own branch's member code keeps their seat."""
        now = self.deps.clock.now()
        key: tuple[str, str] | None = None
        try:
            async with self.deps.db.session() as s:
                key = await self._attempt_key(s, actor)
                await self._check_attempts(s, key)
                code = await self._find_code(s, code_text)
                if code is None:
                    raise _Refused(_("That code is not valid. Please check it with your branch secretary."))
                if code.revoked_at is not None:
                    raise _Refused(_("That code has been revoked. Please ask your branch secretary for a new one."))
                if code.expires_at <= now:
                    raise _Refused(_("That code has expired. Please ask your branch secretary for a new one."))
                if code.max_uses is not None and code.uses >= code.max_uses:
                    raise _Refused(_("That code has already been used. Please ask for a new one."))
                refusal = await bot_binding.wrong_bot(s, self.deps, actor.identity_id, code.org_id, code.code)
                if refusal:  # TELEGRAM_BOTS: the code belongs to another bot; the reply names it
                    raise InvalidInput(refusal)
                for guard in self.deps.ext.join_guards:
                    refusal = await guard(s, self.deps, actor, code)
                    if refusal:
                        raise InvalidInput(refusal)
                if code.kind == "committee_admin":
                    result = await self._grant_committee(s, actor, code, now)
                else:
                    result = await self._join_branch(s, actor, code, now)
        except _Refused as refused:
            assert key is not None
            raise await self._fail(key, actor, refused.message) from None
        if result.kind != "already":
            await invalidate(self.deps, [actor.person_id])
        if result.kind in ("active", "committee_admin"):
            await self.roles_changed([actor.person_id])
        return result

    async def roles_changed(self, person_ids: list[int]) -> None:
        """After the transaction: the App refreshes these people's per-role command menus."""
        if self.deps.on_roles_changed is not None:
            await self.deps.on_roles_changed(person_ids)

    async def _grant_committee(self, s: AsyncSession, actor: Actor, code: JoinCode, now: datetime) -> JoinResult:
        org = await s.get(Organization, code.org_id)
        assert org is not None
        exists = (
            await s.execute(select(OrgRole).where(OrgRole.person_id == actor.person_id,
                                                  OrgRole.org_id == org.id))
        ).scalar_one_or_none()
        if exists is not None:  # nothing to grant: the invite stays for whom it was meant
            return JoinResult("already", "", org.name, "committee_admin")
        await self._claim(s, code)
        s.add(OrgRole(person_id=actor.person_id, org_id=org.id, created_at=now))
        await audit.record(s, at=now, actor_person_id=actor.person_id, action="org_role.grant",
                           org_id=org.id, target=code.code)
        return JoinResult("committee_admin", "", org.name, "committee_admin")

    async def _join_branch(self, s: AsyncSession, actor: Actor, code: JoinCode, now: datetime) -> JoinResult:
        branch = await s.get(Branch, code.branch_id)
        assert branch is not None
        org = await s.get(Organization, branch.org_id)
        assert org is not None
        membership = (
            await s.execute(select(Membership).where(Membership.person_id == actor.person_id,
                                                     Membership.branch_id == branch.id))
        ).scalar_one_or_none()
        role = code.kind if code.kind in ("secretary", "deputy") else BranchRole.MEMBER.value
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            if _RANK[role] <= _RANK.get(membership.role, 0):
                # Same role, or a code that would lower it (a secretary typing the member code): nothing
                # changes, the code keeps its uses.
                return JoinResult("already", branch.name, org.name, membership.role)
        if membership is not None and membership.status == MembershipStatus.PENDING and role == "member":
            return JoinResult("pending", branch.name, org.name, membership.role)
        await self._claim(s, code)
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
        await s.flush()
        await audit.record(s, at=now, actor_person_id=actor.person_id, action=f"join.{code.kind}",
                           org_id=org.id, branch_id=branch.id, target=code.code)
        if role == BranchRole.MEMBER:
            await self._notify_join_request(s, branch, membership, actor, code)
            return JoinResult("pending", branch.name, org.name, role)
        await bot_binding.rebind_pending(s, self.deps, actor.person_id)  # a đảng bộ of another bot
        return JoinResult("active", branch.name, org.name, role)

    async def branch_managers(self, s: AsyncSession, branch: Branch) -> list[int]:
        """Who manages the branch (``bot.services.directory.manager_ids``: committee admins as fallback)."""
        return await manager_ids(s, branch)

    async def _notify_join_request(self, s: AsyncSession, branch: Branch, m: Membership, actor: Actor,
                                   code: JoinCode) -> None:
        join_buttons = self.deps.ext.providers.join_buttons  # the onboarding feature's button kind
        inviter = await s.get(Person, code.created_by) if code.created_by is not None else None
        inviter_name = inviter.display_name if inviter is not None else ""
        requested = m.requested_at

        def render() -> Reply:
            return Reply(
                text=_("🙋 <b>Join request</b>\n{name} asks to join branch {branch}.").format(
                    name=esc(actor.display_name or "?"), branch=esc(branch_title(branch.name))) + "\n"
                + self._request_details(inviter_name, requested, code.code),
                buttons=join_buttons(m.id or 0) if join_buttons is not None else [],
            )

        for manager_id in await self.branch_managers(s, branch):
            key = f"join_request:{m.id}:{m.requested_at.isoformat()}:{manager_id}"
            await notify(s, self.deps, manager_id, key=key, kind="join_request", render=render,
                         branch_id=branch.id)

    def _request_details(self, inviter_name: str, requested: datetime, code: str) -> str:
        """More than a bare name: who gave out the code, when the request came, and which code (its last
        characters: the whole code is still valid for others, and an internal id means nothing to anyone)."""
        at = (requested if requested.tzinfo else requested.replace(tzinfo=UTC)).astimezone(self.deps.clock.tz)
        return _("Invited by: {inviter}\nRequested: {when}\nCode used: …{tail}").format(
            inviter=esc(inviter_name or _("unknown")), when=at.strftime("%H:%M %d/%m/%Y"), tail=esc(code[-4:]))

    async def pending_with_details(self, actor: Actor, branch_id: int) -> list[tuple[Membership, Person, str]]:
        """The waiting join requests, each with the lines of ``_request_details`` (the code is found through
        the audit record of the request)."""
        rows = await self.pending_requests(actor, branch_id)
        out: list[tuple[Membership, Person, str]] = []
        async with self.deps.db.session() as s:
            for m, person in rows:
                target = (await s.execute(
                    select(AuditLog.target).where(AuditLog.actor_person_id == person.id,
                                                  AuditLog.action == "join.member",
                                                  AuditLog.branch_id == branch_id)
                    .order_by(AuditLog.id.desc()).limit(1))).scalar_one_or_none()  # type: ignore[union-attr]
                code = await self._find_code(s, target) if target else None
                inviter = await s.get(Person, code.created_by) if code and code.created_by else None
                out.append((m, person, self._request_details(inviter.display_name if inviter else "",
                                                             m.requested_at, code.code if code else "????")))
        return out

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
                        branch=esc(branch_title(branch.name)))
                    return Reply(text=text + "\n\n" + first_steps(), menu=member_menu())
                return Reply(text=_("Your request to join branch {branch} was not approved. "
                                    "If this is a mistake, please contact the branch secretary.").format(
                    branch=esc(branch_title(branch.name))))

            if approve:  # moved in from a đảng bộ of another bot: its queued rows follow (or are dropped)
                await s.flush()
                await bot_binding.rebind_pending(s, self.deps, person.id)
            await notify(s, self.deps, person.id, key=f"join_decision:{m.id}:{now.isoformat()}",
                         kind="join_decision", render=render, branch_id=branch.id)
        await invalidate(self.deps, [person.id])
        if approve:
            await self.roles_changed([person.id])
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
            await s.flush()
            await bot_binding.rebind_pending(s, self.deps, actor.person_id)  # still in a đảng bộ of another bot
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="membership.leave",
                               org_id=branch.org_id, branch_id=branch.id)
            await self.notify_managers(s, branch, key=f"left:{m.id}:{now.isoformat()}", text_factory=lambda: _(
                "ℹ️ {name} has left branch {branch}.").format(name=esc(actor.display_name),
                                                          branch=esc(branch_title(branch.name))))
            name = branch.name
        await invalidate(self.deps, [actor.person_id])
        await self.roles_changed([actor.person_id])
        return name

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
