"""The committee's workbook of visits (.xlsx, summary first) and a visit's minutes (.docx, "BIÊN BẢN KIỂM TRA,
GIÁM SÁT"). Ready to file: dates dd/mm/yyyy, Vietnamese status words, no internal ids."""

from __future__ import annotations

from bot.features.supervision.service import BranchRow, VisitView, result_word, task_status_word
from bot.i18n import _
from bot.services.documents import DocSpec, Heading, Paragraph, Signer, Table, docx_bytes, place_date_line
from bot.services.sheets import Sheet, xlsx_bytes
from bot.services.when import show
from bot.text import branch_title, clean_text, fold


def visits_xlsx(rows: list[BranchRow], views: list[VisitView]) -> bytes:
    summary = Sheet(_("Summary"), [_("Branch"), _("Visits planned"), _("Visits done"), _("Findings not met"),
                                   _("Open tasks"), _("Overdue tasks")],
                    [[branch_title(r.name), r.planned, r.done, r.not_met, r.open_tasks, r.overdue] for r in rows])
    visits = Sheet(_("Visits"), [_("Branch"), _("Visit date"), _("Team"), _("Status"), _("Conclusions")],
                   [[branch_title(v.branch_name), v.visit.planned_on, v.visit.team,
                     _("concluded") if v.visit.conclusions is not None else _("planned"), v.visit.conclusions or ""]
                    for v in views], wrap=True)
    findings = Sheet(_("Findings"), [_("Branch"), _("Visit date"), _("Checklist item"), _("What the bot knew"),
                                     _("Result"), _("Finding comment"), _("Finding evidence")],
                     [[branch_title(v.branch_name), v.visit.planned_on, i.title, i.prefill or "",
                       result_word(i.passed), i.comment or "",
                       i.evidence_text or (_("photo") if i.evidence_media_key else "")]
                      for v in views for i in v.items], wrap=True)
    tasks = Sheet(_("Tasks to fix"), [_("Branch"), _("Visit date"), _("Task"), _("Deadline to fix"), _("Status"),
                                      _("Reported fixed")],
                  [[branch_title(v.branch_name), v.visit.planned_on, t.text, t.due_on, task_status_word(t.status),
                    t.report_text or (_("photo") if t.report_media_key else "")]
                   for v in views for t in v.tasks], wrap=True)
    return xlsx_bytes([summary, visits, findings, tasks])


def minutes_name(view: VisitView) -> str:
    slug = "-".join(fold(clean_text(view.branch_name)).split())
    slug = "".join(c for c in slug if c.isalnum() or c == "-")[:50] or "chi-bo"
    return f"bien-ban-kiem-tra-{slug}-{view.visit.planned_on.strftime('%d-%m-%Y')}.docx"


def minutes_docx(view: VisitView) -> bytes:
    v = view.visit
    day = v.planned_on
    blocks: list[Heading | Paragraph | Table] = [
        Paragraph(_("Visited branch: {branch}").format(branch=branch_title(view.branch_name))),
        Paragraph(_("Date of the visit: {day}").format(day=show(day))),
        Paragraph(_("Supervision team: {team}").format(team=v.team)),
        Heading("I. " + _("Findings").upper()),
        Table([_("No."), _("Checklist item"), _("Result"), _("Comment and evidence")],
              [[n, i.title + (f" ({i.prefill})" if i.prefill else ""), result_word(i.passed),
                "; ".join(x for x in (i.comment or "", i.evidence_text or "",
                                      _("photo attached") if i.evidence_media_key else "") if x)]
               for n, i in enumerate(view.items, 1)], widths_cm=[1.2, 6.5, 2.3, 6]),
        Heading("II. " + _("Conclusions").upper()),
        Paragraph(v.conclusions or _("Not concluded yet.")),
        Heading("III. " + _("Tasks to fix").upper()),
    ]
    if view.tasks:
        blocks.append(Table([_("No."), _("Task"), _("Deadline to fix"), _("Status")],
                            [[n, t.text, show(t.due_on), task_status_word(t.status)]
                             for n, t in enumerate(view.tasks, 1)], widths_cm=[1.2, 9, 3, 3]))
    else:
        blocks.append(Paragraph(_("No task.")))
    spec = DocSpec(
        title=_("Minutes of the supervision visit"),
        blocks=blocks,
        org_lines=[view.org_name.upper()] if view.org_name else [],
        place_date=place_date_line("", day.day, day.month, day.year),
        signers=[Signer(_("FOR THE BRANCH")), Signer(_("FOR THE SUPERVISION TEAM"))],
    )
    return docx_bytes(spec)
