"""The branch's summary table for the đảng ủy: .xlsx (summary sheet first) and .docx, ready to file.

Only names, Vietnamese level and status words, counts and dates dd/mm/yyyy: no internal codes or ids.
"""

from __future__ import annotations

from bot.clock import local_now
from bot.features.classification.service import Classification, Overview, status_word
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.documents import DOCX_MIME, DocSpec, Paragraph, Signer, Table, docx_bytes, place_date_line
from bot.services.levels import LEVEL_KEYS, LEVELS
from bot.services.media import MediaStore
from bot.services.sheets import XLSX_MIME, Sheet, xlsx_bytes
from storage.models.org import Organization


def _headers() -> list[str]:
    return [_("No."), _("Full name"), _("Self-assessed level"), _("Branch's proposal"), _("Vote result"),
            _("Notes")]


def _vote_text(o: Overview, i: int) -> str:
    p = o.rows[i].proposal
    if p is None or p.vote_counts is None:
        return ""
    a, d, n = [*p.vote_counts, 0, 0, 0][:3]
    verdict = _("passed") if p.vote_passed else _("not passed")
    return _("Agree {a}, disagree {d}, abstain {n}; {verdict}").format(a=a, d=d, n=n, verdict=verdict)


def _note(o: Overview, i: int) -> str:
    p = o.rows[i].proposal
    parts = [status_word(p)]
    if p is not None and p.cap_reason:
        parts.append(_("above the cap: {reason}").format(reason=p.cap_reason))
    return "; ".join(parts)


def summary_rows(o: Overview) -> list[list[object]]:
    rows: list[list[object]] = []
    for i, r in enumerate(o.rows):
        p = r.proposal
        proposed = LEVELS[p.level]() if p is not None and p.level and p.status != "draft" else ""
        own = LEVELS[r.self_level]() if r.self_level in LEVELS else _("not yet")
        rows.append([i + 1, r.name, own, proposed, _vote_text(o, i), _note(o, i)])
    return rows


def count_rows(o: Overview) -> list[list[object]]:
    """Counts per level of the branch's proposals (not drafts), then the share of the top level."""
    counted = [r.proposal.level for r in o.rows
               if r.proposal is not None and r.proposal.status != "draft" and r.proposal.level]
    rows: list[list[object]] = [[LEVELS[k](), counted.count(k)] for k in LEVEL_KEYS]
    rows.append([_("Not proposed yet"), len(o.rows) - len(counted)])
    rows.append([_("Total members"), len(o.rows)])
    return rows


def title(year: int) -> str:
    return _("SUMMARY OF THE RESULTS OF THE QUALITY CLASSIFICATION OF PARTY MEMBERS IN {year}").format(year=year)


def workbook(o: Overview) -> bytes:
    summary = Sheet(_("Summary"), [_("Level"), _("Members")],
                    [*count_rows(o), [_("Share of the top level"), o.cap.line()]])
    return xlsx_bytes([summary, Sheet(_("Classification"), _headers(), summary_rows(o), wrap=True)])


def document(o: Overview, org_name: str, day: tuple[int, int, int]) -> bytes:
    counts = "; ".join(f"{label}: {n}" for label, n in count_rows(o))
    spec = DocSpec(
        title=title(o.year),
        org_lines=(org_name.upper(), o.branch.name.upper()),
        place_date=place_date_line("", *day),
        blocks=(
            Table(_headers(), summary_rows(o), widths_cm=(1.2, 4.5, 3.2, 3.2, 3.6, 3.0)),
            Paragraph(counts),
            Paragraph(o.cap.line()),
        ),
        signers=(Signer(_("ON BEHALF OF THE BRANCH")),),
    )
    return docx_bytes(spec)


class ClassificationExport(Classification):
    async def files(self, actor: Actor, branch_id: int) -> list[tuple[str, str, str]]:
        """The summary as (media key, file name, mime), .xlsx then .docx."""
        o = await self.overview(actor, branch_id)
        now = local_now(self.deps.clock)
        async with self.deps.db.session() as s:
            org = await s.get(Organization, o.branch.org_id)
            org_name = org.name if org else ""
            await audit.record(s, at=self.now(), actor_person_id=actor.person_id, action="classification.export",
                               org_id=o.branch.org_id, branch_id=branch_id, details={"year": o.year})
        store = MediaStore(self.deps)
        base = f"xep-loai-dang-vien-{o.year}"
        xlsx = await store.save(workbook(o), XLSX_MIME, f"{base}.xlsx", generated_for=branch_id)
        docx = await store.save(document(o, org_name, (now.day, now.month, now.year)), DOCX_MIME, f"{base}.docx",
                                generated_for=branch_id)
        return [(xlsx, f"{base}.xlsx", XLSX_MIME), (docx, f"{base}.docx", DOCX_MIME)]
