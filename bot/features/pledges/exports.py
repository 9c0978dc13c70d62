"""Excel exports for the branch's file: all pledges (one row per deed) and the year-end self-assessments.

Only the branch's own secretary/deputy or its committee admin may export; every export is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.features.pledges.assessment_card import STATUS_WORDS, card_data
from bot.features.pledges.models import Pledge, PledgeReview
from bot.features.pledges.reads import active_items, item_progress, local_year
from bot.features.pledges.texts import status_label
from bot.features.pledges.yearend_form import DEFAULT_FORM, text_sections
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import NotFound
from bot.services.extensions import Extensions
from bot.services.levels import LEVEL_KEYS, LEVELS
from bot.services.media import MediaStore
from bot.services.permissions import require_branch_manager
from bot.services.sheets import XLSX_MIME, Sheet, xlsx_bytes
from storage.models.org import Branch
from storage.models.people import Person


def _sheet(title: str, headers: list[str], rows: list[list[object]]) -> bytes:
    return xlsx_bytes([Sheet(title, headers, rows, wrap=True)])


class PledgeExport:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _branch(self, s, actor: Actor, branch_id: int, action: str) -> Branch:  # type: ignore[no-untyped-def]
        branch = await s.get(Branch, branch_id)
        if branch is None:
            raise NotFound(_("That branch does not exist."))
        require_branch_manager(actor, branch.id, branch.org_id, action)
        return branch

    async def pledges_xlsx(self, actor: Actor, branch_id: int) -> tuple[str, str]:
        """Saves the sheet in the media store; returns (media key, file name)."""
        now = self.deps.clock.now()
        year = local_year(now, self.deps.settings.tz)
        headers = pledge_headers()
        async with self.deps.db.session() as s:
            branch = await self._branch(s, actor, branch_id, "pledge_export")
            rows = await pledge_rows(s, self.deps.ext, branch_id, year)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.export",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={"rows": len(rows), "year": year},
            )
        name = f"dang-ky-lam-theo-{year}-{branch_id}.xlsx"
        data = _sheet(_("Pledges {year}").format(year=year), headers, rows)
        key = await MediaStore(self.deps).save(data, XLSX_MIME, name, generated_for=branch_id)
        return key, name

    async def yearend_xlsx(self, actor: Actor, branch_id: int) -> tuple[str, str]:
        """The sent self-assessments of the year, one row each with every section of the form, after a summary
        sheet (how many sent, per proposed level)."""
        now = self.deps.clock.now()
        year = local_year(now, self.deps.settings.tz)
        sections = text_sections(DEFAULT_FORM)
        headers = [_("No."), _("Member's name"), _("Status"), _("Proposed level"), _("Common criteria points"),
                   _("Task results points"), _("Total points"), *[sec.title() for sec in sections], _("Sent on"),
                   _("Times sent")]
        rows: list[list[object]] = []
        per_level: dict[str, int] = {}
        async with self.deps.db.session() as s:
            branch = await self._branch(s, actor, branch_id, "pledge_export_yearend")
            reviews = (
                await s.execute(
                    select(PledgeReview, Person.display_name)
                    .join(Pledge, Pledge.id == PledgeReview.pledge_id)
                    .join(Person, Person.id == PledgeReview.person_id)
                    .where(
                        Pledge.branch_id == branch_id,
                        Pledge.year == year,
                        PledgeReview.kind == "yearend",
                        PledgeReview.status.in_(("submitted", "locked")),  # type: ignore[attr-defined]
                    )
                    .order_by(Person.display_name)
                )
            ).all()
            for n, (r, name) in enumerate(reviews, 1):
                d = card_data(r, year)
                texts = dict(d.sections)
                sent: datetime | None = r.submitted_at
                per_level[r.level or ""] = per_level.get(r.level or "", 0) + 1
                rows.append(
                    [
                        n,
                        name,
                        STATUS_WORDS[r.status]() if r.status in STATUS_WORDS else "",
                        LEVELS[r.level]() if r.level in LEVELS else "",
                        d.points_common,
                        d.points_results,
                        d.points,
                        *[texts.get(sec.key, "") for sec in sections],
                        sent.astimezone(self.deps.settings.tz).date() if sent else None,
                        r.version or 1,
                    ]
                )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.export_yearend",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={"rows": len(rows), "year": year},
            )
        summary = [[_("Self-assessments sent"), len(rows)]]
        summary += [[LEVELS[key](), per_level.get(key, 0)] for key in LEVEL_KEYS]
        name = f"tu-danh-gia-cuoi-nam-{year}-{branch_id}.xlsx"
        data = xlsx_bytes([
            Sheet(_("Summary"), [_("Self-assessment {year}").format(year=year), _("Number")], summary),
            Sheet(_("Self-assessment {year}").format(year=year), headers, rows, wrap=True),
        ])
        key = await MediaStore(self.deps).save(data, XLSX_MIME, name, generated_for=branch_id)
        return key, name


def pledge_headers() -> list[str]:
    return [
        _("No."),
        _("Member's name"),
        _("Position or duty"),
        _("Pledge status"),
        _("Pledge version"),
        _("Pledge deed no."),
        _("Deed registered"),
        _("Measured by"),
        _("Deadline or frequency"),
        _("Shortcoming"),
        _("Remedy"),
        _("Check-ins done"),
        _("Check-ins in progress"),
        _("Check-ins not yet"),
        _("Linked deeds"),
    ]


async def pledge_rows(s, ext: Extensions, branch_id: int, year: int) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """One row per pledged deed of the branch's pledges for ``year`` (export and the branch workbook)."""
    rows: list[list[object]] = []
    pledges = (
        await s.execute(
            select(Pledge, Person.display_name)
            .join(Person, Person.id == Pledge.person_id)
            .where(Pledge.branch_id == branch_id, Pledge.year == year, Pledge.version > 0)
            .order_by(Person.display_name)
        )
    ).all()
    for n, (p, name) in enumerate(pledges, 1):
        items = await active_items(s, p.id or 0)
        progress = await item_progress(s, ext, [it.id or 0 for it in items])
        for i, it in enumerate(items, 1):
            prog = progress[it.id or 0]
            rows.append(
                [
                    n,
                    name,
                    p.duty,
                    status_label(p.status, p.approved_version),
                    p.version,
                    i,
                    it.what,
                    it.criterion,
                    it.when_text,
                    p.shortcoming,
                    p.remedy,
                    prog.done,
                    prog.doing,
                    prog.not_yet,
                    "; ".join(f"{d.strftime('%d/%m/%Y')}: {t}" for d, t in prog.deeds),
                ]
            )
    return rows


async def _workbook_sheet(  # type: ignore[no-untyped-def]
    s, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[object]]]:
    return pledge_headers(), await pledge_rows(s, deps.ext, branch_id, local_year(end, deps.settings.tz))


