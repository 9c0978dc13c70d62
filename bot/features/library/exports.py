"""The library workbook for the committee: a summary first (each item, its total opens, how many branches
opened it), then the opens of each item per branch. Counts only: no person is named."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.features.library.service import OrgCounts, month_label
from bot.i18n import _
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import branch_title


def _audience(counts: OrgCounts, branch_id: int | None) -> str:
    if branch_id is None:
        return _("The whole {org}").format(org=counts.org_name)
    return next((branch_title(b.name) for b in counts.branches if b.id == branch_id), "")


def library_xlsx(counts: OrgCounts, tz: ZoneInfo) -> bytes:
    summary = [
        [item.title, _audience(counts, item.branch_id), month_label(item.year, item.month), item.theme,
         item.created_at.astimezone(tz).date(),
         counts.total(item.id or 0), counts.branches_opened(item.id or 0), len(counts.for_branch(item))]
        for item in counts.items
    ]
    per_branch = [
        [item.title, branch_title(b.name), counts.opens.get((item.id or 0, b.id or 0), 0)]
        for item in counts.items for b in counts.for_branch(item)
    ]
    return xlsx_bytes([
        Sheet(_("Summary"), [_("Document"), _("For"), _("Month of use"), _("Theme"), _("Added on"), _("Opens"),
                             _("Branches that opened it"), _("Branches it is for")], summary),
        Sheet(_("Opens per branch"), [_("Document"), _("Branch"), _("Opens")], per_branch),
    ])
