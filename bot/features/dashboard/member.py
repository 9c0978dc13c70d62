"""A member's page: their year file (hồ sơ năm) — each feature's section as large numbers, the dated records
behind every figure, and links to the other years.

The sections come from ``deps.ext.year_file_sections`` (each feature draws its own, the yearfile feature shows
the same in chat). Seen by the member, their branch's secretary or deputy and the committee of its đảng bộ
(``permissions.can_see_year_file``); another member gets 403.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import local_today
from bot.features.dashboard.charts import big_number
from bot.features.dashboard.page import Page
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import InvalidInput, NotFound
from bot.services.extensions import YearSection
from bot.services.permissions import can_manage_branch, can_see_year_file, require_year_file_reader
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person

FIRST_YEAR = 2000
SEEN = (MembershipStatus.ACTIVE.value, MembershipStatus.LEFT.value)  # a member, now or before
MAX_ROWS = 200  # dated records listed under one figure (the chat's year file has the rest)


def _section_html(sec: YearSection) -> str:
    tiles = "".join(big_number(fig.label, fig.value, note=fig.note) for fig in sec.figures)
    details = []
    for fig in sec.figures:
        if not fig.rows:
            continue
        rows = "".join(f"<tr><td class=\"day\">{row.day.strftime('%d/%m/%Y')}</td><td>{esc(row.text)}</td></tr>"
                       for row in list(fig.rows)[:MAX_ROWS])
        details.append(
            f"<details class=\"year-rows\"><summary>{esc(fig.label)}: {len(fig.rows)}</summary>"
            f"<div class=\"table-wrap\"><table class=\"table data\"><thead><tr><th scope=\"col\">{esc(_('Day'))}</th>"
            f"<th scope=\"col\">{esc(_('What'))}</th></tr></thead><tbody>{rows}</tbody></table></div></details>"
        )
    return (f"<section class=\"card year-section\" id=\"section-{esc(sec.key)}\"><h2>{esc(sec.title)}</h2>"
            f"<div class=\"figures tiles\">{tiles}</div>{''.join(details)}</section>")


async def member_page(deps: Deps, actor: Actor, person_id: int, year: int | None) -> Page:
    this_year = local_today(deps.clock).year
    year = this_year if year is None else year
    if not FIRST_YEAR <= year <= this_year:
        raise InvalidInput(_("Please choose a year from {first} to {last}.").format(first=FIRST_YEAR, last=this_year))
    async with deps.db.session() as s:
        seats = (
            await s.execute(
                select(Membership, Branch)
                .join(Branch, Branch.id == Membership.branch_id)
                .where(Membership.person_id == person_id, Membership.status.in_(SEEN))
                .order_by(Membership.status, Membership.id.desc())  # "active" before "left", newest first
            )
        ).all()
        # The branch whose file the reader may see: the member's own view follows their current branch; a
        # secretary sees the file kept in the branch they manage, never in another one.
        allowed = [(m, b) for m, b in seats if can_see_year_file(actor, person_id, b.id, b.org_id)]
        if not allowed:
            if actor.person_id != person_id and seats:
                _m, first = seats[0]
                require_year_file_reader(actor, person_id, first.id, first.org_id)  # raises, and logs it
            raise NotFound(_("That person is not a member of any branch."))
        managed = [(m, b) for m, b in allowed if can_manage_branch(actor, b.id, b.org_id)]
        seat, branch = (managed or allowed)[0] if actor.person_id != person_id else allowed[0]
        person = await s.get(Person, person_id)
        if person is None:
            raise NotFound(_("That person is not a member of any branch."))
        tz = deps.settings.tz
        found = [await fn(s, deps, person_id, branch.id, year, tz) for fn in deps.ext.year_file_sections]
        first_year = (seat.decided_at or seat.requested_at).year
    sections = sorted((sec for sec in found if sec is not None), key=lambda sec: sec.order)
    name = person.display_name or _("(no name)")
    years = range(max(FIRST_YEAR, min(first_year, year)), this_year + 1)
    year_links = " ".join(
        f"<span class=\"current\" aria-current=\"page\">{y}</span>" if y == year
        else f"<a href=\"/dashboard/member/{person_id}?year={y}\">{y}</a>"
        for y in years
    )
    body = [
        f"<p class=\"who\"><span class=\"name\">{esc(name)}</span> — {esc(branch_title(branch.name))}</p>",
        f"<nav class=\"years\" aria-label=\"{esc(_('Years'))}\">{year_links}</nav>",
        f"<p class=\"hint\">{esc(_('Year file {year}: counted from the records only.').format(year=year))}</p>",
    ]
    body += [_section_html(sec) for sec in sections] or [f"<p>{esc(_('Nothing recorded this year yet.'))}</p>"]
    crumbs: list[tuple[str, str]] = []
    if can_manage_branch(actor, branch.id, branch.org_id):
        crumbs.append((branch_title(branch.name), f"/dashboard/branch/{branch.id}"))
    return Page(title=_("Year file of {name}").format(name=name), body="".join(body), crumbs=crumbs)
