"""Dialogue use cases: sending an opinion or a proposal, the sender's list, the inboxes, "being handled",
answers, withdrawal, the committee's per-branch view and its setting for anonymous items.

Anonymity: an anonymous item's row holds no person. Every reader here works from ``DialogueItem`` rows and
``Person`` names of *named* items only; the sealed link is read through ``sealed.py`` solely to deliver
news to the sender and to show the sender their own items. Log lines name item ids, never senders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, local_today
from bot.features.dialogue import sealed
from bot.features.dialogue.callbacks import AnswerItem, MarkHandling, ShowItem
from bot.features.dialogue.models import (
    OPEN_STATUSES,
    DialogueItem,
    DialogueSettings,
    ItemKind,
    ItemStatus,
    Target,
)
from bot.features.dialogue.texts import handler_card, status_label, title
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import committee_admin_ids, manager_ids, org_branches
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import (
    can_handle_dialogue,
    is_branch_manager_seat,
    require_active_member,
    require_branch_manager,
    require_dialogue_handler,
    require_dialogue_reader,
    require_dialogue_sender,
    require_org_admin,
)
from storage.models.org import Branch, Organization
from storage.models.people import Person

log = logging.getLogger("hocbac.dialogue")

MAX_TEXT = 2000
PAGE = 5


@dataclass(frozen=True)
class SendOptions:
    branch_id: int
    branch_name: str
    org_id: int
    org_name: str
    to_branch: bool  # not offered to the branch's own secretary or deputy
    anonymous_allowed: bool


@dataclass(frozen=True)
class SendInput:
    target: str  # Target
    kind: str  # ItemKind
    anonymous: bool
    text: str
    photo_key: str | None = None


@dataclass(frozen=True)
class ItemView:
    item: DialogueItem
    branch_name: str
    sender_name: str | None  # named items only; never filled for an anonymous one
    created: date  # local day it was sent
    waited: int  # days waiting (open) or days until it was answered
    is_sender: bool
    can_handle: bool


@dataclass(frozen=True)
class BranchOpen:
    branch_id: int
    name: str
    open: int
    oldest_days: int


class DialogueService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- small helpers -------------------------------------------------------------------------------

    def today(self) -> date:
        return local_today(self.deps.clock)

    def local_day(self, moment: datetime) -> date:
        return as_utc(moment).astimezone(self.deps.settings.tz).date()

    def waited(self, item: DialogueItem) -> int:
        end = self.local_day(item.answered_at) if item.answered_at else self.today()
        return max(0, (end - self.local_day(item.created_at)).days)

    async def _load(self, s: AsyncSession, item_id: int) -> tuple[DialogueItem, Branch]:
        item = await s.get(DialogueItem, item_id)
        if item is None:
            raise NotFound(_("That opinion does not exist."))
        branch = await s.get(Branch, item.branch_id)
        assert branch is not None
        return item, branch

    async def _is_sender(self, s: AsyncSession, actor: Actor, item: DialogueItem) -> bool:
        if not item.anonymous:
            return item.person_id == actor.person_id
        return await sealed.is_sealed_sender(s, item.id or 0, actor.person_id)

    async def _view(self, s: AsyncSession, actor: Actor, item: DialogueItem, branch: Branch,
                    is_sender: bool) -> ItemView:
        name = None
        if not item.anonymous and item.person_id is not None:
            person = await s.get(Person, item.person_id)
            name = person.display_name if person is not None else None
        return ItemView(item, branch.name, name, self.local_day(item.created_at), self.waited(item), is_sender,
                        can_handle_dialogue(actor, item.target, branch.id or 0, branch.org_id))

    @staticmethod
    async def _anonymous_allowed(s: AsyncSession, org_id: int) -> bool:
        row = await s.get(DialogueSettings, org_id)
        return bool(row and row.anonymous_allowed)

    # --- the committee's setting -----------------------------------------------------------------------

    async def anonymous_allowed(self, actor: Actor, org_id: int) -> bool:
        require_org_admin(actor, org_id, "dialogue_settings")
        async with self.deps.db.session() as s:
            return await self._anonymous_allowed(s, org_id)

    async def set_anonymous(self, actor: Actor, org_id: int, allowed: bool) -> None:
        require_org_admin(actor, org_id, "dialogue_settings")
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            row = await s.get(DialogueSettings, org_id) or DialogueSettings(org_id=org_id)
            row.anonymous_allowed, row.updated_at = allowed, now
            s.add(row)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="dialogue.anonymous",
                               org_id=org_id, details={"allowed": allowed})

    # --- sending ---------------------------------------------------------------------------------------

    async def options(self, actor: Actor) -> SendOptions:
        seat = actor.primary_branch
        if seat is None:
            raise InvalidInput(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        async with self.deps.db.session() as s:
            org = await s.get(Organization, seat.org_id)
            allowed = await self._anonymous_allowed(s, seat.org_id)
        return SendOptions(seat.branch_id, seat.branch_name, seat.org_id, org.name if org else "",
                           not is_branch_manager_seat(actor, seat.branch_id), allowed)

    async def submit(self, actor: Actor, inp: SendInput) -> DialogueItem:
        seat = actor.primary_branch
        if seat is None:
            raise InvalidInput(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        require_active_member(actor, seat.branch_id, "dialogue_send")
        text = (inp.text or "").strip()
        if not text:
            raise InvalidInput(_("The opinion is empty. Please write it."))
        if len(text) > MAX_TEXT:
            raise InvalidInput(_("That is too long. Please keep it within {n} characters.").format(n=MAX_TEXT))
        if inp.target not in (Target.BRANCH.value, Target.COMMITTEE.value) or inp.kind not in (
                ItemKind.OPINION.value, ItemKind.PROPOSAL.value):
            raise InvalidInput(_("Please choose one of the options."))
        if inp.anonymous and inp.target != Target.COMMITTEE.value:
            raise InvalidInput(_("Only an opinion to the Party committee can be sent anonymously."))
        if inp.target == Target.BRANCH.value and is_branch_manager_seat(actor, seat.branch_id):
            raise InvalidInput(_("You manage this branch: please send your opinion to the Party committee."))
        now = self.deps.clock.now()
        year = self.today().year
        async with self.deps.db.session() as s:
            if inp.anonymous and not await self._anonymous_allowed(s, seat.org_id):
                raise InvalidInput(
                    _("Sorry, the Party committee does not receive anonymous opinions at present. "
                      "Comrade, you may send it with your name, or to the branch secretary.")
                )
            # One number per đảng bộ and year: members sending at once (PostgreSQL) wait for each other on
            # the đảng bộ's row (NO KEY UPDATE: rows that merely reference the đảng bộ are not held up).
            await s.execute(select(Organization.id).where(Organization.id == seat.org_id)
                            .with_for_update(key_share=True))
            last = (await s.execute(select(func.max(DialogueItem.number)).where(
                DialogueItem.org_id == seat.org_id, DialogueItem.year == year))).scalar_one_or_none()
            item = DialogueItem(org_id=seat.org_id, branch_id=seat.branch_id, year=year, number=(last or 0) + 1,
                                target=inp.target, kind=inp.kind, anonymous=inp.anonymous,
                                person_id=None if inp.anonymous else actor.person_id, text=text,
                                photo_key=inp.photo_key, created_at=now)
            s.add(item)
            await s.flush()
            if inp.anonymous:
                await sealed.seal(s, item.id or 0, actor.person_id)
            branch = await s.get(Branch, seat.branch_id)
            assert branch is not None
            await self._tell_handlers(s, item, branch, None if inp.anonymous else actor.person_id)
            log.info("dialogue item %s received (%s)", item.id, item.target)
            return item

    async def _tell_handlers(self, s: AsyncSession, item: DialogueItem, branch: Branch,
                             sender_id: int | None) -> None:
        if item.target == Target.COMMITTEE.value:
            people = await committee_admin_ids(s, item.org_id)
        else:
            people = await manager_ids(s, branch)
        name = None
        if sender_id is not None:
            person = await s.get(Person, sender_id)
            name = person.display_name if person else None
        created = self.local_day(item.created_at)

        def render() -> Reply:
            text = _("📨 A new opinion has arrived.") + "\n" + handler_card(item, branch.name, name, created, 0)
            media = MediaRef(kind="photo", media_key=item.photo_key, mime="image/jpeg") if item.photo_key else None
            return Reply(text=text, buttons=_handler_buttons(item), media=media)

        for pid in people:
            if pid == sender_id:
                continue
            await notify(s, self.deps, pid, kind="dialogue_new", key=f"dialogue_new:{item.id}:{pid}",
                         render=render, branch_id=branch.id)

    async def _tell_sender(self, s: AsyncSession, item: DialogueItem, branch: Branch) -> None:
        """The one path that reads the sealed link: news of the item goes to whoever sent it."""
        to = await sealed.sender_of(s, item)
        if to is None:
            return
        status = item.status

        def render() -> Reply:
            head = {
                ItemStatus.HANDLING.value: _("⏳ Your {title} is being handled."),
                ItemStatus.ANSWERED.value: _("✉️ Your {title} has been answered."),
            }.get(status, _("Your {title}: {status}."))
            lines = [head.format(title=title(item), status=status_label(status))]
            if item.answer and status == ItemStatus.ANSWERED.value:
                lines.append(f"<blockquote>{esc(item.answer)}</blockquote>")
            return Reply(text="\n".join(lines), buttons=[[Button(_("📄 View"), ShowItem(item.id or 0).pack())]])

        await notify(s, self.deps, to, kind="dialogue_status", key=f"dialogue_status:{item.id}:{status}",
                     render=render, branch_id=branch.id)

    # --- the sender's own items ------------------------------------------------------------------------

    async def mine(self, actor: Actor) -> list[DialogueItem]:
        async with self.deps.db.session() as s:
            ids = await sealed.sealed_item_ids(s, actor.person_id)
            cond = DialogueItem.person_id == actor.person_id
            if ids:
                cond = cond | DialogueItem.id.in_(ids)  # type: ignore[union-attr]
            rows = (await s.execute(select(DialogueItem).where(cond).order_by(DialogueItem.id.desc())))  # type: ignore[union-attr]
            return list(rows.scalars().all())

    async def withdraw(self, actor: Actor, item_id: int) -> DialogueItem:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            item, _branch = await self._load(s, item_id)
            require_dialogue_sender(actor, await self._is_sender(s, actor, item), "dialogue_withdraw")
            if item.status not in OPEN_STATUSES:
                raise Conflict(_("This opinion is already {status}; it stays as it is.").format(
                    status=status_label(item.status)))
            item.status, item.withdrawn_at = ItemStatus.WITHDRAWN.value, now
            s.add(item)
            log.info("dialogue item %s withdrawn", item.id)
            return item

    # --- reading one item -----------------------------------------------------------------------------

    async def item(self, actor: Actor, item_id: int) -> ItemView:
        async with self.deps.db.session() as s:
            item, branch = await self._load(s, item_id)
            is_sender = await self._is_sender(s, actor, item)
            require_dialogue_reader(actor, is_sender=is_sender, target=item.target, branch_id=branch.id or 0,
                                    org_id=branch.org_id, action="dialogue_read")
            return await self._view(s, actor, item, branch, is_sender)

    # --- handling and answering -----------------------------------------------------------------------

    async def for_answer(self, actor: Actor, item_id: int) -> ItemView:
        async with self.deps.db.session() as s:
            item, branch = await self._load(s, item_id)
            require_dialogue_handler(actor, item.target, branch.id or 0, branch.org_id, "dialogue_answer")
            self._open_or_refuse(item)
            return await self._view(s, actor, item, branch, False)

    @staticmethod
    def _open_or_refuse(item: DialogueItem) -> None:
        if item.status not in OPEN_STATUSES:
            raise Conflict(_("This opinion is already {status}.").format(status=status_label(item.status)))

    async def mark_handling(self, actor: Actor, item_id: int) -> DialogueItem:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            item, branch = await self._load(s, item_id)
            require_dialogue_handler(actor, item.target, branch.id or 0, branch.org_id, "dialogue_handling")
            self._open_or_refuse(item)
            if item.status == ItemStatus.HANDLING.value:
                return item
            item.status, item.handling_at = ItemStatus.HANDLING.value, now
            s.add(item)
            await s.flush()
            await self._tell_sender(s, item, branch)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="dialogue.handling",
                               org_id=branch.org_id, branch_id=branch.id, target=f"dialogue:{item.id}")
            return item

    async def answer(self, actor: Actor, item_id: int, text: str) -> DialogueItem:
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The answer is empty. Please type it."))
        if len(text) > MAX_TEXT:
            raise InvalidInput(_("That is too long. Please keep it within {n} characters.").format(n=MAX_TEXT))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            item, branch = await self._load(s, item_id)
            require_dialogue_handler(actor, item.target, branch.id or 0, branch.org_id, "dialogue_answer")
            self._open_or_refuse(item)
            item.status, item.answer = ItemStatus.ANSWERED.value, text
            item.answered_by, item.answered_at = actor.person_id, now
            s.add(item)
            await s.flush()
            await self._tell_sender(s, item, branch)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="dialogue.answer",
                               org_id=branch.org_id, branch_id=branch.id, target=f"dialogue:{item.id}")
            return item

    # --- inboxes and the committee's view ----------------------------------------------------------------

    async def inbox(self, actor: Actor, scope: str, target_id: int, page: int) -> tuple[list[ItemView], int]:
        """One page of a branch's inbox (items sent to its secretary) or the committee's (items sent to
        it): open items first, the longest waiting first."""
        async with self.deps.db.session() as s:
            if scope == "committee":
                require_org_admin(actor, target_id, "dialogue_inbox")
                cond = (DialogueItem.org_id == target_id) & (DialogueItem.target == Target.COMMITTEE.value)
            else:
                branch = await s.get(Branch, target_id)
                if branch is None:
                    raise NotFound(_("That branch does not exist."))
                require_branch_manager(actor, branch.id or 0, branch.org_id, "dialogue_inbox")
                cond = (DialogueItem.branch_id == target_id) & (DialogueItem.target == Target.BRANCH.value)
            total = (await s.execute(select(func.count()).select_from(DialogueItem).where(cond))).scalar_one()
            is_open = case((DialogueItem.status.in_(OPEN_STATUSES), 0), else_=1)  # type: ignore[attr-defined]
            rows = (await s.execute(select(DialogueItem).where(cond).order_by(is_open, DialogueItem.id)
                                    .offset(max(0, page) * PAGE).limit(PAGE))).scalars().all()
            out = []
            for item in rows:
                branch_row = await s.get(Branch, item.branch_id)
                assert branch_row is not None
                out.append(await self._view(s, actor, item, branch_row, False))
            return out, int(total)

    async def overview(self, actor: Actor, org_id: int) -> tuple[Organization, list[BranchOpen], int, bool]:
        """Per branch: open items (to the secretary or the committee) and the longest wait in days; the
        committee's own open count; whether anonymous items are allowed."""
        require_org_admin(actor, org_id, "dialogue_overview")
        async with self.deps.db.session() as s:
            org, branches = await org_branches(s, org_id)
            open_rows = (await s.execute(select(DialogueItem.branch_id, DialogueItem.created_at,
                                                DialogueItem.target)
                                         .where(DialogueItem.org_id == org_id,
                                                DialogueItem.status.in_(OPEN_STATUSES)))).all()  # type: ignore[attr-defined]
            today = self.today()
            per: dict[int, list[int]] = {}
            committee_open = 0
            for branch_id, created, target in open_rows:
                per.setdefault(branch_id, []).append(max(0, (today - self.local_day(created)).days))
                committee_open += target == Target.COMMITTEE.value
            out = [BranchOpen(b.id or 0, b.name, len(per.get(b.id or 0, [])), max(per.get(b.id or 0, [0])))
                   for b in branches]
            return org, out, committee_open, await self._anonymous_allowed(s, org_id)


def _handler_buttons(item: DialogueItem) -> list[list[Button]]:
    if item.status not in OPEN_STATUSES:
        return []
    row = [Button(_("✉️ Answer"), AnswerItem(item.id or 0).pack())]
    if item.status == ItemStatus.RECEIVED.value:
        row.insert(0, Button(_("⏳ Being handled"), MarkHandling(item.id or 0).pack()))
    return [row]


handler_buttons = _handler_buttons
