"""Votes: the .xlsx of one meeting's votes. A summary sheet first (counts and results); a second sheet lists
who chose what for public votes only: an anonymous vote never puts a name in the file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.clock import as_utc
from bot.features.votes.models import Ballot, Vote
from bot.features.votes.service import Tally, counts_text, result_line, tally
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import load_branch
from bot.services.errors import NotFound
from bot.services.media import MediaStore
from bot.services.permissions import require_vote_runner
from bot.services.sheets import XLSX_MIME, Sheet, xlsx_bytes
from storage.models.people import Person


class VoteExport:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _local(self, at: datetime | None) -> datetime | str:
        return as_utc(at).astimezone(self.deps.settings.tz).replace(tzinfo=None) if at is not None else ""

    async def meeting_xlsx(self, actor: Actor, meeting_id: int) -> tuple[str, str]:
        """Saves the workbook in the media store; returns (media key, file name)."""
        now = self.deps.clock.now()
        fn = self.deps.ext.providers.meeting_brief
        present_fn = self.deps.ext.providers.present_at_meeting
        async with self.deps.db.session() as s:
            brief = await fn(s, meeting_id) if fn is not None else None
            if brief is None:
                raise NotFound(_("That meeting does not exist."))
            branch = await load_branch(s, brief[0])
            require_vote_runner(actor, branch.id, branch.org_id, "vote.export")
            votes = (await s.execute(select(Vote).where(Vote.meeting_id == meeting_id).order_by(Vote.id))
                     ).scalars().all()
            tallies: list[Tally] = [await tally(s, present_fn, v) for v in votes]
            public: list[list[object]] = []
            for n, v in enumerate(votes, 1):
                if v.anonymous:
                    continue  # never read, never written: who chose what in a secret ballot
                rows = await s.execute(select(Person.display_name, Ballot.choice, Ballot.at)
                                       .join(Person, Person.id == Ballot.person_id)
                                       .where(Ballot.vote_id == v.id).order_by(Person.display_name))
                for name, choice, at in rows.all():
                    label = v.options[choice] if 0 <= choice < len(v.options) else ""
                    public.append([n, v.question, name, label, self._local(at)])
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="vote.export",
                               org_id=branch.org_id, branch_id=branch.id, target=f"meeting:{meeting_id}",
                               details={"votes": len(votes)})
        summary = [
            [n, t.vote.question, _("Secret ballot") if t.vote.anonymous else _("Open vote"),
             self._local(t.vote.opened_at), self._local(t.vote.closed_at), counts_text(t), t.voters, t.present,
             t.members, _("Yes") if t.quorum else _("No"), result_line(t)]
            for n, t in enumerate(tallies, 1)
        ]
        day = as_utc(brief[1]).astimezone(self.deps.settings.tz)
        sheets = [
            Sheet(_("Votes"), [_("No."), _("Question"), _("Ballot"), _("Opened"), _("Closed"), _("Counts"),
                              _("Voted"), _("Present"), _("Members"), _("Two thirds present"), _("Result")],
                  summary, wrap=True),
            Sheet(_("Open votes"), [_("No."), _("Question"), _("Member's name"), _("Choice"), _("Time")], public,
                  wrap=True),
        ]
        name = f"bieu-quyet-{day.strftime('%Y-%m-%d')}.xlsx"
        key = await MediaStore(self.deps).save(xlsx_bytes(sheets), XLSX_MIME, name, generated_for=branch.id)
        return key, name
