"""Pledges: the history of a pledge (every version sent, its date, what was decided, by whom, the return
comment) and what an amendment changes against the approved version, deed by deed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.models import Pledge, PledgeStatus, PledgeVersion
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.errors import NotFound
from bot.services.permissions import require_branch_manager
from storage.models.people import Person

# The parts of a pledge besides its deeds, in the order of the form: (content key, label).
_PARTS = (
    ("duty", lambda: _("Position or duty")),
    ("shortcoming", lambda: _("Shortcoming")),
    ("remedy", lambda: _("Remedy")),
    ("commitment", lambda: _("Commitment")),
)
_ITEM_PARTS = (
    ("what", lambda: _("Deed registered")),
    ("criterion", lambda: _("Measured by")),
    ("when", lambda: _("Deadline or frequency")),
)


def _version_status(status: str) -> str:
    return {
        PledgeStatus.SUBMITTED.value: lambda: _("waiting for approval"),
        PledgeStatus.APPROVED.value: lambda: _("approved"),
        PledgeStatus.RETURNED.value: lambda: _("returned for changes"),
    }.get(status, lambda: status)()


def _quote(text: str | None) -> str:
    return f"«{esc(text or '—')}»"


def diff_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What ``new`` changes against ``old`` (both a version's content), escaped, one line per change.
    Deeds are matched by their id, which an amendment keeps."""
    lines: list[str] = []
    for key, label in _PARTS[:1]:
        if (old.get(key) or "") != (new.get(key) or ""):
            lines.append(f"✏️ <b>{label()}</b>: {_quote(old.get(key))} → {_quote(new.get(key))}")
    old_items = {it.get("id"): it for it in old.get("items") or [] if it.get("id") is not None}
    unchanged = 0
    for i, it in enumerate(new.get("items") or [], 1):
        before = old_items.pop(it.get("id"), None) if it.get("id") is not None else None
        if before is None:
            lines.append(_("➕ <b>Deed {n} (new)</b>: {what}; {criterion}; {when}").format(
                n=i, what=esc(it.get("what") or "—"), criterion=esc(it.get("criterion") or "—"),
                when=esc(it.get("when") or "—")))
            continue
        changes = [
            f"   {label()}: {_quote(before.get(key))} → {_quote(it.get(key))}"
            for key, label in _ITEM_PARTS
            if (before.get(key) or "") != (it.get(key) or "")
        ]
        if changes:
            lines.append(_("✏️ <b>Deed {n} changed</b>:").format(n=i))
            lines.extend(changes)
        else:
            unchanged += 1
    for it in old_items.values():
        lines.append(_("➖ <b>Deed removed</b>: {what}").format(what=esc(it.get("what") or "—")))
    for key, label in _PARTS[1:]:
        if (old.get(key) or "") != (new.get(key) or ""):
            lines.append(f"✏️ <b>{label()}</b>: {_quote(old.get(key))} → {_quote(new.get(key))}")
    if unchanged:
        lines.append(_("{n} deed(s) unchanged.").format(n=unchanged))
    return lines


@dataclass
class VersionRow:
    version: int
    submitted_at: datetime
    status: str
    decided_at: datetime | None
    decided_by: str | None
    comment: str | None


class PledgeHistory(PledgeUseCase):
    async def _readable(self, s: AsyncSession, actor: Actor, pledge_id: int, action: str) -> Pledge:
        """The member's own pledge, or one of a branch the actor manages."""
        p = await s.get(Pledge, pledge_id)
        if p is None:
            raise NotFound(_("That pledge no longer exists."))
        if p.person_id != actor.person_id:
            require_branch_manager(actor, p.branch_id, p.org_id, action)
        return p

    async def _versions(self, s: AsyncSession, pledge_id: int) -> list[PledgeVersion]:
        rows = await s.execute(
            select(PledgeVersion).where(PledgeVersion.pledge_id == pledge_id).order_by(PledgeVersion.version)
        )
        return list(rows.scalars().all())

    async def history(self, actor: Actor, pledge_id: int) -> tuple[str, list[int]]:
        """The history as text, and the versions that are amendments of an approved one (their changes
        can be shown)."""
        async with self.deps.db.session() as s:
            p = await self._readable(s, actor, pledge_id, "pledge_history")
            person = await s.get(Person, p.person_id)
            versions = await self._versions(s, p.id or 0)
            names: dict[int, str] = {}
            for v in versions:
                if v.decided_by is not None and v.decided_by not in names:
                    who = await s.get(Person, v.decided_by)
                    names[v.decided_by] = who.display_name if who else "?"
        tz = self.tz
        lines = [_("🗂 <b>Pledge history {year} — {name}</b>").format(
            year=p.year, name=esc(person.display_name if person else ""))]
        if not versions:
            lines.append(_("Nothing has been sent yet."))
        amendments: list[int] = []
        approved_before = False
        for v in versions:
            day = as_utc(v.submitted_at).astimezone(tz).strftime("%d/%m/%Y")
            line = _("• Version {n}, sent {date}: {status}").format(
                n=v.version, date=day, status=_version_status(v.status))
            if v.decided_at is not None and v.decided_by is not None:
                line += _(" (by {name}, {date})").format(
                    name=esc(names.get(v.decided_by, "?")),
                    date=as_utc(v.decided_at).astimezone(tz).strftime("%d/%m/%Y"))
            if approved_before:
                line += " " + _("— an amendment")
                amendments.append(v.version)
            lines.append(line)
            if v.comment:
                lines.append("   " + _("💬 Comment: <i>{comment}</i>").format(comment=esc(v.comment)))
            approved_before = approved_before or v.status == PledgeStatus.APPROVED.value
        if p.draft and p.draft.get("mode") == "amend":
            lines.append(_("✏️ An amendment is being written and has not been sent yet."))
        return "\n".join(lines), amendments

    async def changes(self, actor: Actor, pledge_id: int, version: int) -> str:
        """What version ``version`` changes against the approved version before it."""
        async with self.deps.db.session() as s:
            p = await self._readable(s, actor, pledge_id, "pledge_history")
            person = await s.get(Person, p.person_id)
            versions = {v.version: v for v in await self._versions(s, p.id or 0)}
        new = versions.get(version)
        if new is None:
            raise NotFound(_("That version of the pledge does not exist."))
        base = max((n for n, v in versions.items() if n < version and v.status == PledgeStatus.APPROVED.value),
                   default=None)
        head = _("🔀 <b>Changes in version {new} of the pledge {year} — {name}</b>").format(
            new=version, year=p.year, name=esc(person.display_name if person else ""))
        if base is None:
            return head + "\n" + _("This version is not an amendment of an approved pledge: nothing to compare.")
        lines = diff_lines(versions[base].content, new.content)
        return "\n".join([
            head,
            _("Against the approved version {old}:").format(old=base),
            *(lines or [_("Nothing was changed.")]),
        ])
