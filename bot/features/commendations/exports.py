"""Commendation papers: the branch's workbook (summary first) and the proposal list as .docx, and the
committee's workbook with one row per branch. Dates local dd/mm/yyyy; statuses in Vietnamese; no ids."""

from __future__ import annotations

import asyncio

from bot.features.commendations.models import CommendAward, CommendProposal
from bot.features.commendations.service import (
    BranchCount,
    CommendService,
    Shortlist,
    award_label,
    kind_label,
    level_label,
    status_label,
)
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.documents import Bullets, DocSpec, Heading, Paragraph, Signer, Table, docx_bytes, place_date_line
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import branch_title
from storage.models.org import Organization


def _proposal_rows(props: list[CommendProposal], tz: object) -> list[list[object]]:
    return [[i, p.name, kind_label(p.kind), p.reason, "\n".join(p.evidence),
             p.created_at.astimezone(tz).date() if p.created_at.tzinfo else p.created_at.date(),  # type: ignore[arg-type]
             status_label(p.status), p.comment or ""] for i, p in enumerate(props, 1)]


def _proposal_header() -> list[str]:
    return [_("No."), _("Name"), _("Kind of proposal"), _("Reason"), _("Evidence"), _("Day proposed"), _("Status"),
            _("Comment")]


def branch_workbook(shortlist: Shortlist, props: list[CommendProposal], awards: list[tuple[CommendAward, int]],
                    tz: object) -> bytes:
    pool = shortlist.pool()
    summary = Sheet(_("Summary"), [_("Item"), _("Value")], [
        [_("Branch"), branch_title(shortlist.branch.name)],
        [_("Year"), shortlist.year],
        [_("Members"), len(shortlist.rows)],
        [_("On the shortlist"), len(pool)],
        [_("Proposals sent"), len(props)],
        [_("Awards this year"), sum(1 for a, _n in awards if a.year == shortlist.year)],
    ])
    rows = [[i, r.name, "✓" if r.in_pool else "",
             level_label(r.level) if shortlist.level_known else _("not yet"),
             r.pledge_text(shortlist.pledge_known), len(r.deeds),
             "\n".join(f"{d.strftime('%d/%m/%Y')}: {t}" for d, t in r.deeds)]
            for i, r in enumerate(shortlist.rows, 1)]
    sheet_short = Sheet(_("Shortlist"), [_("No."), _("Member name"), _("On the shortlist"), _("Classification"),
                                         _("Pledge"), _("Commended deeds"), _("Commended deeds and nominations")],
                        rows, wrap=True)
    sheet_props = Sheet(_("Proposals"), _proposal_header(), _proposal_rows(props, tz), wrap=True)
    sheet_awards = Sheet(_("Awards"),
                         [_("Year"), _("Name"), _("Kind of proposal"), _("Form of award"), _("Years running")],
                         [[a.year, a.name, kind_label(a.kind), award_label(a.form), n] for a, n in awards])
    return xlsx_bytes([summary, sheet_short, sheet_props, sheet_awards])


def org_workbook(org_name: str, year: int, counts: list[BranchCount], props: list[CommendProposal],
                 names: dict[int, str], tz: object) -> bytes:
    summary = Sheet(_("Summary"), [_("Branch"), _("Proposals"), _("Awarded"), _("Waiting")],
                    [[branch_title(c.name), c.proposals, c.awarded, c.waiting] for c in counts]
                    + [[_("Total"), sum(c.proposals for c in counts), sum(c.awarded for c in counts),
                        sum(c.waiting for c in counts)]])
    rows = [[branch_title(names.get(p.branch_id, "")), *row] for p, row in zip(props, _proposal_rows(props, tz),
                                                                               strict=True)]
    return xlsx_bytes([summary, Sheet(_("Proposals"), [_("Branch"), *_proposal_header()], rows, wrap=True)])


def proposal_docx(shortlist: Shortlist, props: list[CommendProposal], org_name: str, day: tuple[int, int, int]
                  ) -> bytes:
    branch = shortlist.branch
    d, m, y = day
    people = [p for p in props if p.kind == "individual"]
    groups = [p for p in props if p.kind == "collective"]

    def table(items: list[CommendProposal]) -> Table:
        return Table([_("No."), _("Name"), _("Reason"), _("Evidence"), _("Status")],
                     [[i, p.name, p.reason, "; ".join(p.evidence), status_label(p.status)]
                      for i, p in enumerate(items, 1)], widths_cm=(1.0, 4.0, 5.0, 5.0, 2.5))

    blocks: list = [
        Paragraph(_("{branch} proposes to the Party committee of {org} the commendation of the following "
                    "collectives and individuals for their achievements in {year}.").format(
            branch=branch_title(branch.name), org=org_name, year=shortlist.year)),
        Heading(_("I. Collectives")),
        table(groups) if groups else Paragraph(_("None."), italic=True),
        Heading(_("II. Individuals")),
        table(people) if people else Paragraph(_("None."), italic=True),
    ]
    if shortlist.pool():
        blocks += [Heading(_("III. The shortlist considered")),
                   Bullets([f"{r.name}: {level_label(r.level)}, {len(r.deeds)} "
                            + _("commended deeds") for r in shortlist.pool()])]
    return docx_bytes(DocSpec(
        title=_("List of commendation proposals, year {year}").format(year=shortlist.year),
        org_lines=(org_name.upper(), branch_title(branch.name).upper()),
        place_date=place_date_line("", d, m, y),
        blocks=blocks,
        signers=(Signer(_("ON BEHALF OF THE BRANCH COMMITTEE")),),
    ))


class CommendExports:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def branch_files(self, actor: Actor, branch_id: int, *, docx: bool) -> tuple[bytes, str]:
        svc = self.deps_service()
        shortlist = await svc.shortlist(actor, branch_id)
        _b, props = await svc.branch_proposals(actor, branch_id)
        tz = self.deps.settings.tz
        if docx:
            async with self.deps.db.session() as s:
                org = await s.get(Organization, shortlist.branch.org_id)
                org_name = org.name if org else ""
            today = self.deps.clock.now().astimezone(tz).date()
            data = await asyncio.to_thread(proposal_docx, shortlist, props, org_name,
                                           (today.day, today.month, today.year))
            return data, f"de-nghi-khen-thuong-{shortlist.year}.docx"
        awards = await svc.branch_awards(actor, branch_id)
        data = await asyncio.to_thread(branch_workbook, shortlist, props, awards, tz)
        return data, f"khen-thuong-{shortlist.year}.xlsx"

    async def org_file(self, actor: Actor, org_id: int) -> tuple[bytes, str, list[int]]:
        """The committee's workbook, its name, and the branches whose people it names (for erasure)."""
        svc = self.deps_service()
        org, counts, props, names = await svc.org_view(actor, org_id)
        data = await asyncio.to_thread(org_workbook, org.name, svc.year(), counts, props, names, self.deps.settings.tz)
        return data, f"khen-thuong-dang-bo-{svc.year()}.xlsx", sorted({p.branch_id for p in props})

    def deps_service(self) -> CommendService:
        return CommendService(self.deps)
