"""The branch's plan and reports: drafted from the bot's figures (``deps.ext.branch_figures``), edited by the
secretary, sent to the đảng ủy, which acknowledges or returns them with a comment (one notify path).

The plan follows the seeds' unified plan form (goals, the collective's commitments, measures, timetable);
the reports add the figures of the half-year or the year to the secretary's free text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today, to_utc
from bot.features.branch_plan.callbacks import DocDecision, DocFile
from bot.features.branch_plan.models import BranchDoc, DocStatus
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services.actor import Actor
from bot.services.branch_report import BranchReport, fmt_pct, fmt_value
from bot.services.deps import Deps
from bot.services.directory import committee_admin_ids, load_branch, manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.notify import notify
from bot.services.permissions import (
    can_review_branch_document,
    can_send_branch_document,
    require_branch_document_reviewer,
    require_branch_document_sender,
)
from bot.text import branch_title
from storage.models.org import Branch, Organization

KINDS = ("plan", "half", "year")
MAX_FIELD = 3000
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Part:
    key: str
    title: Callable[[], str]  # the section heading in the document
    ask: Callable[[], str]  # the form's question


PLAN_PARTS = (
    Part("goals", lambda: _("I. Goals"), lambda: _("🎯 The branch's goals for the year?")),
    Part("commitments", lambda: _("II. Collective commitments of the branch"),
         lambda: _("🤝 The branch's collective commitments (one per line)?")),
    Part("measures", lambda: _("III. Measures"), lambda: _("🛠 The measures to carry them out?")),
    Part("timetable", lambda: _("IV. Timetable"),
         lambda: _("🗓 The timetable (what, by when; one per line)?")),
)
REPORT_PARTS = (
    Part("results", lambda: _("Notable results"), lambda: _("✅ Notable results, in a few sentences?")),
    Part("limits", lambda: _("II. Shortcomings and their causes"),
         lambda: _("⚠️ Shortcomings and their causes?")),
    Part("next", lambda: _("III. Directions and tasks ahead"), lambda: _("➡️ Directions and tasks ahead?")),
)


def parts(kind: str) -> tuple[Part, ...]:
    return PLAN_PARTS if kind == "plan" else REPORT_PARTS


def kind_label(kind: str, year: int) -> str:
    return {
        "plan": _("Plan for {year}"),
        "half": _("Six-month report {year}"),
        "year": _("Year-end report {year}"),
    }[kind].format(year=year)


def status_label(status: str | None) -> str:
    return {
        None: _("not started"),
        DocStatus.DRAFT.value: _("draft"),
        DocStatus.SENT.value: _("sent to the Party committee"),
        DocStatus.RETURNED.value: _("returned by the Party committee"),
        DocStatus.ACKNOWLEDGED.value: _("acknowledged by the Party committee"),
    }.get(status, status or "")


def period(kind: str, year: int) -> tuple[date, date]:
    """[start, end) local days a report covers: the first half of the year, or the whole year."""
    return (date(year, 1, 1), date(year, 7, 1)) if kind == "half" else (date(year, 1, 1), date(year + 1, 1, 1))


def figure_lines(figures: dict[str, Any]) -> list[str]:
    """The report's figures as Vietnamese lines (the same rates /baocao shows)."""
    r = BranchReport(0, "", "", "", {k: v for k, v in figures.items() if isinstance(v, int | float)})
    f, rates = r.figures, r.rates
    return [
        _("Members: {n}").format(n=fmt_value(f.get("members"))),
        _("Pledged: {n} ({pct}); approved: {approved}").format(
            n=fmt_value(f.get("pledged")), pct=fmt_pct(rates["pledged"]),
            approved=fmt_value(f.get("pledges_approved"))),
        _("Pledge check-ins answered: {pct}").format(pct=fmt_pct(rates["checkin"])),
        _("Good deeds: {reported} reported, {accepted} recorded, {featured} commended").format(
            reported=fmt_value(f.get("deeds_reported")), accepted=fmt_value(f.get("deeds_accepted")),
            featured=fmt_value(f.get("deeds_featured"))),
        _("Meetings held: {regular} regular, {thematic} thematic; attendance {pct}").format(
            regular=fmt_value(f.get("meetings_regular")), thematic=fmt_value(f.get("meetings_thematic")),
            pct=fmt_pct(rates["attendance"])),
        _("Daily reading: {read} of {sent} items read").format(
            read=fmt_value(f.get("daily_read")), sent=fmt_value(f.get("daily_sent"))),
        _("Notices: {n} sent, confirmed {pct}").format(n=fmt_value(f.get("notices")), pct=fmt_pct(rates["ack"])),
    ]


class BranchPlanService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def year(self) -> int:
        return local_today(self.deps.clock).year

    async def _figures(self, s: AsyncSession, branch: Branch, kind: str, year: int) -> dict[str, Any]:
        if kind == "plan":
            return {}
        start, end = period(kind, year)
        tz = self.deps.settings.tz
        return await self.deps.ext.branch_figures(
            s, self.deps, branch.id,  # type: ignore[arg-type]
            to_utc(datetime.combine(start, datetime.min.time()), tz),
            to_utc(datetime.combine(end, datetime.min.time()), tz))

    async def _find(self, s: AsyncSession, branch_id: int, kind: str, year: int) -> BranchDoc | None:
        return (await s.execute(select(BranchDoc).where(
            BranchDoc.branch_id == branch_id, BranchDoc.kind == kind, BranchDoc.year == year))).scalars().first()

    async def overview(self, actor: Actor, branch_id: int) -> tuple[Branch, int, dict[str, BranchDoc | None]]:
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_branch_document_sender(actor, branch.id, branch.org_id)  # type: ignore[arg-type]
            return branch, year, {k: await self._find(s, branch_id, k, year) for k in KINDS}

    async def save(self, actor: Actor, branch_id: int, kind: str, texts: dict[str, str | None]) -> BranchDoc:
        """Keep the secretary's text (None keeps what was there). A sent or acknowledged paper is not edited."""
        if kind not in KINDS:
            raise InvalidInput(_("Unknown kind of paper."))
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_branch_document_sender(actor, branch.id, branch.org_id)  # type: ignore[arg-type]
            doc = await self._find(s, branch_id, kind, year)
            if doc is None:
                doc = BranchDoc(branch_id=branch_id, org_id=branch.org_id, kind=kind, year=year, fields={})
            elif doc.status in (DocStatus.SENT.value, DocStatus.ACKNOWLEDGED.value):
                raise Conflict(_("This paper is {status}; it can no longer be edited.").format(
                    status=status_label(doc.status)))
            merged = dict(doc.fields or {})
            for part in parts(kind):
                value = texts.get(part.key)
                if value is not None:
                    value = value.strip()
                    if len(value) > MAX_FIELD:
                        raise InvalidInput(_("That is too long. Please shorten it."))
                    merged[part.key] = value
            doc.fields = merged
            doc.updated_by, doc.updated_at = actor.person_id, self.deps.clock.now()
            s.add(doc)
            await s.flush()
            return doc

    async def _doc(self, s: AsyncSession, doc_id: int) -> tuple[BranchDoc, Branch]:
        doc = await s.get(BranchDoc, doc_id)
        if doc is None:
            raise NotFound(_("That paper no longer exists."))
        return doc, await load_branch(s, doc.branch_id)

    async def send(self, actor: Actor, doc_id: int) -> BranchDoc:
        async with self.deps.db.session() as s:
            doc, branch = await self._doc(s, doc_id)
            require_branch_document_sender(actor, branch.id, branch.org_id)  # type: ignore[arg-type]
            if doc.status not in (DocStatus.DRAFT.value, DocStatus.RETURNED.value):
                raise Conflict(_("This paper is {status}.").format(status=status_label(doc.status)))
            doc.figures = await self._figures(s, branch, doc.kind, doc.year)
            doc.status, doc.sent_at, doc.comment = DocStatus.SENT.value, self.deps.clock.now(), None
            doc.sent_count += 1
            s.add(doc)
            await s.flush()
            title, bname, n = kind_label(doc.kind, doc.year), branch.name, doc.sent_count
            def render() -> Reply:
                head = _("📑 {branch} sent its {title}.") if n == 1 else _("📑 {branch} sent its {title} again, "
                                                                         "revised.")
                return Reply(text=head.format(branch=esc(branch_title(bname)), title=title), buttons=[
                    [Button(_("📄 Open (.docx)"), DocFile(doc_id).pack())],
                    [Button(_("✅ Acknowledge"), DocDecision(True, doc_id).pack()),
                     Button(_("↩️ Return with a comment"), DocDecision(False, doc_id).pack())]])

            for admin_id in await committee_admin_ids(s, branch.org_id):
                await notify(s, self.deps, admin_id, kind="branch_news", key=f"branch_doc_sent:{doc_id}:{n}:{admin_id}",
                             render=render, branch_id=branch.id)
            return doc

    async def decide(self, actor: Actor, doc_id: int, acknowledge: bool, comment: str | None = None) -> BranchDoc:
        comment = (comment or "").strip() or None
        if not acknowledge and not comment:
            raise InvalidInput(_("Please write a short comment: what should the branch change?"))
        if comment and len(comment) > MAX_COMMENT:
            raise InvalidInput(_("That is too long. Please shorten it."))
        async with self.deps.db.session() as s:
            doc, branch = await self._doc(s, doc_id)
            require_branch_document_reviewer(actor, branch.org_id)
            if doc.status != DocStatus.SENT.value:
                raise Conflict(_("This paper is {status}.").format(status=status_label(doc.status)))
            doc.status = (DocStatus.ACKNOWLEDGED if acknowledge else DocStatus.RETURNED).value
            doc.comment, doc.decided_by, doc.decided_at = comment, actor.person_id, self.deps.clock.now()
            s.add(doc)
            title, status, n = kind_label(doc.kind, doc.year), doc.status, doc.sent_count

            def text() -> str:
                out = _("📑 {title}: {status}.").format(title=title, status=status_label(status))
                if comment:
                    out += "\n" + _("Comment: {comment}").format(comment=esc(comment))
                    out += "\n" + _("To revise and send it again: /kehoach")
                return out

            for pid in await manager_ids(s, branch):
                await notify(s, self.deps, pid, kind="branch_news", key=f"branch_doc_decided:{doc_id}:{n}:{pid}",
                             render=lambda: Reply(text=text()), branch_id=branch.id)
            return doc

    async def document(self, actor: Actor, doc_id: int) -> tuple[bytes, str, int]:
        """The paper as .docx: the branch's managers and the committee of its đảng bộ may open it."""
        from bot.features.branch_plan.documents import render_docx

        async with self.deps.db.session() as s:
            doc, branch = await self._doc(s, doc_id)
            if not (can_send_branch_document(actor, branch.id, branch.org_id)  # type: ignore[arg-type]
                    or can_review_branch_document(actor, branch.org_id)):
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            figures = doc.figures if doc.status != DocStatus.DRAFT.value and doc.figures is not None else (
                await self._figures(s, branch, doc.kind, doc.year))
            org = await s.get(Organization, branch.org_id)
            today = local_today(self.deps.clock)
            data = render_docx(doc, branch.name, org.name if org else "", figures, today)
            names = {"plan": "ke-hoach", "half": "bao-cao-6-thang", "year": "bao-cao-nam"}
            return data, f"{names[doc.kind]}-{doc.year}.docx", branch.id  # type: ignore[return-value]
