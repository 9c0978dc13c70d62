"""The audit log of a đảng bộ, for its committee: who did what, when, newest first, a page at a time.

Rows are the đảng bộ's own (``AuditLog.org_id``) and those of its branches; actions are said in plain words,
never as the internal codes the log stores."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from bot.clock import as_utc
from bot.features.dashboard.page import Page
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import org_branches
from bot.services.permissions import require_org_admin
from storage.models.people import Person
from storage.models.system import AuditLog

PAGE_SIZE = 50


def _actions() -> dict[str, str]:
    return {
        "dashboard.export": _("Downloaded a table from the dashboard"),
        "report.export": _("Downloaded the branch report"),
        "yearfile.export": _("Downloaded a member's year file"),
        "yearfile.branch_export": _("Downloaded the branch's year files"),
        "pledge.approve": _("Approved a pledge"),
        "pledge.return": _("Returned a pledge for changes"),
        "pledge.submit": _("Sent a pledge"),
        "pledge.export": _("Downloaded the pledges"),
        "pledge.export_yearend": _("Downloaded the year-end self-assessments"),
        "deed.accept": _("Accepted a good deed"),
        "deed.accept_all": _("Accepted good deeds"),
        "deed.return": _("Returned a good deed"),
        "deed.feature": _("Commended a good deed"),
        "deed.record_for": _("Recorded a good deed for a member"),
        "join.approve": _("Approved a join request"),
        "membership.leave": _("Left the branch"),
        "meeting.schedule": _("Scheduled a meeting"),
        "meeting.cancel": _("Cancelled a meeting"),
        "meeting.move": _("Moved a meeting"),
        "broadcast.send": _("Sent a notice"),
        "broadcast.cancel": _("Cancelled a notice"),
        "person.erase": _("Erased a person's data"),
        "org_role.grant": _("Made someone a committee admin"),
        "branch.create": _("Created a branch"),
        "branch.settings": _("Changed the branch's settings"),
        "classification.propose": _("Proposed a member's level"),
        "classification.confirm": _("Confirmed the branch's classification"),
        "classification.export": _("Downloaded the classification"),
        "dialogue.answer": _("Answered an opinion"),
        "dialogue.export": _("Downloaded the opinions"),
        "vote.open": _("Opened a vote"),
        "vote.close": _("Closed a vote"),
        "vote.export": _("Downloaded the vote results"),
        "minutes.export": _("Downloaded the minutes"),
        "supervision.plan": _("Planned a supervision visit"),
        "supervision.conclude": _("Concluded a supervision visit"),
        "contest_export": _("Downloaded the contest results"),
    }


def _families() -> dict[str, str]:
    return {
        "pledge": _("Pledges"), "deed": _("Good deeds"), "meeting": _("Meetings"), "minutes": _("Meetings"),
        "broadcast": _("Notices"), "join": _("Joining"), "membership": _("Joining"), "code": _("Joining"),
        "classification": _("Year-end classification"), "dialogue": _("Opinions and proposals"),
        "vote": _("Votes"), "supervision": _("Supervision"), "emulation": _("Emulation"),
        "contest": _("Contests"), "library": _("Materials"), "daily": _("Daily study"),
        "yearfile": _("Year files"), "report": _("Reports"), "branch": _("Branch settings"),
        "org": _("Party committee settings"), "person": _("Accounts"), "org_role": _("Accounts"),
    }


def plain_action(action: str) -> str:
    """The action in plain words: its own phrase, else the part of the work it belongs to."""
    known = _actions().get(action)
    if known:
        return known
    families = _families()
    head = action.split(".", 1)[0]  # "pledge.approve" -> "pledge"; "contest_export" -> "contest"
    words = families.get(head) or families.get(head.split("_", 1)[0])
    if "export" in action:
        return _("Downloaded a file ({what})").format(what=words) if words else _("Downloaded a file")
    return words or _("Other work")


async def audit_page(deps: Deps, actor: Actor, org_id: int, page: int = 1) -> Page:
    """Committee admins of the đảng bộ only; ``page`` counts from 1 (the web layer may pass ``?page=``)."""
    require_org_admin(actor, org_id, "dashboard.audit")
    page = max(1, page)
    async with deps.db.session() as s:
        org, branches = await org_branches(s, org_id)
        names = {b.id: b.name for b in branches}
        mine = or_(AuditLog.org_id == org_id, AuditLog.branch_id.in_(list(names) or [-1]))
        total = (await s.execute(select(func.count()).select_from(AuditLog).where(mine))).scalar_one()
        rows = (
            await s.execute(
                select(AuditLog, Person.display_name, Person.erased_at)
                .outerjoin(Person, Person.id == AuditLog.actor_person_id)
                .where(mine)
                .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        ).all()
        # Who an entry is about, when it names a person ("person:12"): their name, for the committee.
        about_ids = {int(t.split(":")[1]) for a, _n, _e in rows
                     if (t := a.target or "").startswith("person:") and t.split(":")[1].isdigit()}
        about = dict((await s.execute(select(Person.id, Person.display_name).where(Person.id.in_(about_ids)))).all()
                     ) if about_ids else {}
    tz = deps.clock.tz
    lines = []
    for entry, who, erased in rows:
        if entry.actor_person_id is None:
            who_text = _("The bot")
        elif erased is not None or not who:
            who_text = _("(erased)")
        else:
            who_text = who
        target = entry.target or ""
        subject = ""
        if target.startswith("person:") and target.split(":")[1].isdigit():
            subject = about.get(int(target.split(":")[1])) or _("(erased)")
        where = names.get(entry.branch_id, "") if entry.branch_id else ""
        lines.append(
            # What first: on a phone the table scrolls sideways, and the action is what people look for.
            f"<tr><td>{esc(plain_action(entry.action))}</td><td>{esc(who_text)}</td>"
            f"<td class=\"when\">{as_utc(entry.at).astimezone(tz).strftime('%d/%m/%Y %H:%M')}</td>"
            f"<td>{esc(where)}</td><td>{esc(subject)}</td></tr>"
        )
    if not lines:
        lines.append(f"<tr><td colspan=\"5\">{esc(_('Nothing recorded yet.'))}</td></tr>")
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    nav = []
    if page > 1:
        nav.append(f"<a rel=\"prev\" href=\"/dashboard/org/{org_id}/audit?page={page - 1}\">{esc(_('Newer'))}</a>")
    nav.append(f"<span>{esc(_('Page {page} of {pages}').format(page=page, pages=pages))}</span>")
    if page < pages:
        nav.append(f"<a rel=\"next\" href=\"/dashboard/org/{org_id}/audit?page={page + 1}\">{esc(_('Older'))}</a>")
    body = (
        f"<p class=\"hint\">{esc(_('Who did what, newest first. Every download is written here.'))}</p>"
        f"<div class=\"table-wrap\"><table class=\"table data audit\"><thead><tr>"
        f"<th scope=\"col\">{esc(_('What'))}</th><th scope=\"col\">{esc(_('Who'))}</th>"
        f"<th scope=\"col\">{esc(_('When'))}</th>"
        f"<th scope=\"col\">{esc(_('Branch'))}</th><th scope=\"col\">{esc(_('About'))}</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table></div><nav class=\"pager\">{' '.join(nav)}</nav>"
    )
    return Page(title=_("Audit log of {org}").format(org=org.name), body=body,
                crumbs=[(org.name, f"/dashboard/org/{org_id}")])
