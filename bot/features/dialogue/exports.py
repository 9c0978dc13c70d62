"""Dialogue: the committee's workbook (a summary per branch first, then every item). An anonymous item's
row says "Ẩn danh": the export reads item rows and named senders only, never the sealed link."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.features.dialogue.models import OPEN_STATUSES, DialogueItem, Target
from bot.features.dialogue.service import DialogueService
from bot.features.dialogue.texts import kind_label, status_label
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.permissions import require_org_admin
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import branch_title, fold
from storage.models.org import Branch, Organization
from storage.models.people import Person


class DialogueExport(DialogueService):
    async def workbook(self, actor: Actor, org_id: int) -> tuple[bytes, str, list[int]]:
        """The workbook, its file name and the branches whose people it names (for erasure)."""
        require_org_admin(actor, org_id, "dialogue_export")
        async with self.deps.db.session() as s:
            org = await s.get(Organization, org_id)
            branches = {b.id: b.name for b in (await s.execute(select(Branch).where(Branch.org_id == org_id)))
                        .scalars().all()}
            items = (await s.execute(select(DialogueItem).where(DialogueItem.org_id == org_id)
                                     .order_by(DialogueItem.year, DialogueItem.number))).scalars().all()
            named = {i.person_id for i in items if not i.anonymous and i.person_id is not None}
            names = {p.id: p.display_name for p in (await s.execute(
                select(Person).where(Person.id.in_(named)))).scalars().all()} if named else {}  # type: ignore[union-attr]
            rows: list[list[Any]] = []
            counts: dict[int, Counter[str]] = {}
            longest: dict[int, int] = {}
            for i in items:
                c = counts.setdefault(i.branch_id, Counter())
                c["all"] += 1
                c[i.status] += 1
                waited = self.waited(i)
                if i.status in OPEN_STATUSES:
                    longest[i.branch_id] = max(longest.get(i.branch_id, 0), waited)
                sender = _("Anonymous") if i.anonymous else (names.get(i.person_id or 0) or "—")
                rows.append([
                    f"{i.number}/{i.year}", self.local_day(i.created_at), branch_title(branches.get(i.branch_id, "")),
                    _("Party committee") if i.target == Target.COMMITTEE.value else _("Branch secretary"),
                    kind_label(i.kind), sender, i.text, status_label(i.status),
                    self.local_day(i.answered_at) if i.answered_at else "", i.answer or "", waited,
                ])
            summary = [[branch_title(name), counts.get(bid, Counter())["all"],
                        sum(counts.get(bid, Counter())[st] for st in OPEN_STATUSES),
                        counts.get(bid, Counter())["answered"], counts.get(bid, Counter())["withdrawn"],
                        longest.get(bid, 0)]
                       for bid, name in sorted(branches.items(), key=lambda kv: kv[1])]
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="dialogue.export", org_id=org_id, details={"rows": len(rows)})
        sheets = [
            Sheet(_("Summary"), [_("Branch"), _("Opinions"), _("Open"), _("Answered"), _("Withdrawn"),
                                 _("Longest wait (days)")], summary),
            Sheet(_("Opinions"), [_("No."), _("Sent on"), _("Branch"), _("Sent to"), _("Kind"), _("Sender"),
                                  _("Content"), _("Status"), _("Answered on"), _("Answer"), _("Days waited")],
                  rows, max_width=50, wrap=True),
        ]
        data = await asyncio.to_thread(_build, sheets)
        slug = "-".join(fold(org.name if org else "").split())[:40] or "dangbo"
        return data, f"ykien-{slug}-{self.today().strftime('%d-%m-%Y')}.xlsx", sorted(branches)


def _build(sheets: list[Sheet]) -> bytes:
    return xlsx_bytes(sheets)
