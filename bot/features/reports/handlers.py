"""📊 /baocao: the branch's figures with a chart and an Excel export; the committee's view of its branches."""

from __future__ import annotations

from collections.abc import Callable

from bot.features.reports.callbacks import CommitteeReport, Period, ReportExport, ReportFor, ShowReport
from bot.features.reports.service import ReportService
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.callbacks import CallbackData
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.branch_report import BranchReport, report_text
from bot.services.media import MediaStore
from bot.services.permissions import can_see_committee_view, committee_org
from bot.services.sheets import XLSX_MIME
from bot.text import branch_title, number

router = Router("reports")


def _periods(kind: Callable[[Period, int], CallbackData], target: int) -> list[list[Button]]:
    return [
        [
            Button(_("This month"), kind("m", target).pack()),
            Button(_("This quarter"), kind("q", target).pack()),
            Button(_("This year"), kind("y", target).pack()),
        ]
    ]


@router.command("baocao", "report", help=lambda: _("branch report and Excel export"), audience="manager")
async def report(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if can_see_committee_view(actor) and org_id is not None:
        await ctx.reply(_("📊 Report of the Party committee: which period?"), _periods(CommitteeReport, org_id))
        return
    branch_id = await pick_branch(ctx, ReportFor)
    if branch_id is not None:
        await ctx.reply(_("📊 Which period?"), _periods(ShowReport, branch_id))


@router.button(ReportFor)
async def report_for(ctx: Ctx, data: ReportFor) -> None:
    await ctx.reply(_("📊 Which period?"), _periods(ShowReport, data.branch_id))


@router.button(ShowReport)
async def branch_report(ctx: Ctx, data: ShowReport) -> None:
    period, branch_id = data.period, data.branch_id
    svc = ctx.svc(ReportService)
    r = await svc.branch_report(ctx.require_actor(), branch_id, period)
    await ctx.reply(report_text(r), [[Button(_("📥 Export to Excel"), ReportExport(period, branch_id).pack())]])
    png = await svc.chart(r)
    key = await ctx.svc(MediaStore).save(png, "image/png", "baocao.png")
    await ctx.reply(media=MediaRef(kind="photo", media_key=key, mime="image/png", file_name="baocao.png"))


@router.button(ReportExport)
async def export(ctx: Ctx, data: ReportExport) -> None:
    period, branch_id = data.period, data.branch_id
    data, name = await ctx.svc(ReportService).workbook(ctx.require_actor(), branch_id, period)
    key = await ctx.svc(MediaStore).save(data, XLSX_MIME, name, generated_for=branch_id)
    await ctx.reply(
        _("📥 The branch workbook: members, pledges, good deeds, meetings and attendance, notices."),
        media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name),
    )


@router.button(CommitteeReport)
async def committee(ctx: Ctx, data: CommitteeReport) -> None:
    period, org_id = data.period, data.org_id
    org, reports = await ctx.svc(ReportService).committee_view(ctx.require_actor(), org_id, period)
    await ctx.reply(committee_text(org.name, reports))


def committee_text(org_name: str, reports: list[BranchReport]) -> str:
    """The committee's view in chat: one line per branch, its flags under it, the lagging count."""
    label = reports[0].label if reports else ""
    lines = [
        _("📊 <b>{org}</b> — {period}: {n} branches").format(org=esc(org_name), period=label, n=len(reports))
    ]
    for r in reports:
        rates = r.rates
        att = f"{number(rates['attendance'])}%" if rates["attendance"] is not None else "—"
        lines.append(
            _("• {branch}: {members} members, meetings {regular}+{thematic}, attendance {att}").format(
                branch=esc(branch_title(r.branch_name)),
                members=number(r.get("members") or 0),
                regular=r.get("meetings_regular") or 0,
                thematic=r.get("meetings_thematic") or 0,
                att=att,
            )
        )
        if r.flags:
            lines.append("   ⚠️ " + esc("; ".join(r.flags)))
    lagging = [r for r in reports if r.flags]
    lines.append("")
    lines.append(_("Lagging branches: {n}").format(n=len(lagging)) if lagging else _("No branch is lagging."))
    return "\n".join(lines)
