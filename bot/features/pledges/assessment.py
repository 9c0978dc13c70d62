"""Pledges: the member's mid-year self-check and year-end self-assessment.

The year-end self-assessment follows the form's sections (yearend_form.py), pre-filled from the member's own
records; the member edits each section, gives points (30 common + 70 results, bot/services/levels.py) and
proposes a level, then sends it after a review card and a confirmation. It can be withdrawn back to an editable
draft until the branch acts on it (``lock_self_assessment``). Every sent version is kept. The draft is offered
only inside the branch's review window (default 15/11–31/12).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.assessment_card import (
    EDITABLE,
    CardData,
    card_data,
    card_text,
    joined_text,
    sections_of,
)
from bot.features.pledges.models import Pledge, PledgeBranchSettings, PledgeReview, PledgeReviewVersion
from bot.features.pledges.reads import branch_settings, year_record
from bot.features.pledges.texts import yearend_draft
from bot.features.pledges.yearend_form import DEFAULT_FORM, SECTION_MAX, form_sections, section, text_sections
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.directory import reviewer_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.extensions import Extensions
from bot.services.levels import COMMON_POINTS_MAX, LEVEL_KEYS, RESULTS_POINTS_MAX
from bot.services.notify import notify
from bot.services.when import show
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.pledges")


REVIEW_MAX = SECTION_MAX


def review_window(st: PledgeBranchSettings, year: int) -> tuple[date, date]:
    """The branch's review window in ``year`` (first and last day, inclusive)."""
    return (_day(year, st.yearend_start_month, st.yearend_start_day),
            _day(year, st.yearend_end_month, st.yearend_end_day))


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29/02 in a common year
        return date(year, month, 28)


def window_closed_text(start: date, end: date, today: date) -> str:
    if today < start:
        return _("Comrade, the year-end self-assessment opens on {start} (the branch's review window is "
                 "{start}–{end}). The bot will send your draft then.").format(start=show(start), end=show(end))
    return _("Comrade, the branch's review window for the year-end self-assessment ({start}–{end}) has "
             "closed. Please ask the secretary if you need to change it.").format(start=show(start), end=show(end))


async def draft_sections(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo, form: str) -> dict[str, str]:
    """Each text section's first draft, from the member's records only: the results from the year record (the
    yearfile's summary added when that feature is installed), the shortcoming and remedy from the pledge."""
    results = yearend_draft(await year_record(s, ext, p, tz))
    if ext.providers.year_file_summary is not None:
        lines = await ext.providers.year_file_summary(s, p.person_id, p.branch_id, p.year)
        if lines:
            results += "\n" + _("From my year file:") + "\n" + "\n".join(f"- {line}" for line in lines)
    sources = {"results": results, "shortcoming": p.shortcoming, "remedy": p.remedy}
    return {sec.key: sources.get(sec.prefill, "")[:SECTION_MAX] for sec in text_sections(form)}


async def ensure_draft(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo, now: datetime
                       ) -> tuple[PledgeReview, bool]:
    """The pledge's year-end self-assessment, drafted once (the member's edits are never overwritten).
    Returns (review, created)."""
    r = (await s.execute(select(PledgeReview).where(PledgeReview.pledge_id == p.id,
                                                    PledgeReview.kind == "yearend"))).scalar_one_or_none()
    if r is not None:
        return r, False
    sections = await draft_sections(s, ext, p, tz, DEFAULT_FORM)
    r = PledgeReview(pledge_id=p.id, person_id=p.person_id, kind="yearend", form=DEFAULT_FORM,
                     sections=sections, text=joined_text(DEFAULT_FORM, sections), created_at=now)
    s.add(r)
    await s.flush()
    return r, True


def _content(r: PledgeReview) -> dict[str, Any]:
    return {"form": r.form, "sections": sections_of(r), "points_common": r.points_common,
            "points_results": r.points_results, "level": r.level, "band_confirmed": r.band_confirmed}


class SelfAssessment(PledgeUseCase):
    async def _own_pledge(self, s: AsyncSession, actor: Actor, pledge_id: int) -> Pledge:
        p = await s.get(Pledge, pledge_id)
        if p is None or p.person_id != actor.person_id:
            log.warning("pledge button of someone else: person=%s pledge=%s", actor.person_id, pledge_id)
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        return p

    async def require_own_pledge(self, actor: Actor, pledge_id: int) -> None:
        async with self.deps.db.session() as s:
            await self._own_pledge(s, actor, pledge_id)

    async def save_midyear(self, actor: Actor, pledge_id: int, text: str) -> None:
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._own_pledge(s, actor, pledge_id)
            row = (
                await s.execute(
                    select(PledgeReview).where(PledgeReview.pledge_id == p.id, PledgeReview.kind == "midyear")
                )
            ).scalar_one_or_none()
            row = row or PledgeReview(pledge_id=p.id, person_id=p.person_id, kind="midyear", created_at=now)
            row.text, row.status, row.submitted_at = text, "submitted", now
            s.add(row)

    # --- the year-end self-assessment -----------------------------------------------------------------

    async def _window_open(self, s: AsyncSession, p: Pledge) -> None:
        """Refuse (politely, saying when) outside the branch's review window."""
        start, end = review_window(await branch_settings(s, p.branch_id), p.year)
        today = self.now().astimezone(self.tz).date()
        if not start <= today <= end:
            raise Conflict(window_closed_text(start, end, today))

    async def open_yearend(self, actor: Actor) -> CardData:
        """The member's year-end self-assessment (/tudanhgia): drafted on first use, inside the window only."""
        seat = self._seat(actor)
        year = self.year()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, year)
            if p is None or p.version == 0:
                raise NotFound(_("Comrade, the year-end self-assessment is drafted from your pledge of {year}, and "
                                 "you have not sent one. Send /dangky first.").format(year=year))
            r = (await s.execute(select(PledgeReview).where(PledgeReview.pledge_id == p.id,
                                                            PledgeReview.kind == "yearend"))).scalar_one_or_none()
            if r is None or r.status in EDITABLE:
                await self._window_open(s, p)
            if r is None:
                r, _created = await ensure_draft(s, self.deps.ext, p, self.tz, self.now())
            return card_data(r, p.year)

    async def _own(self, s: AsyncSession, actor: Actor, review_id: int, verb: str) -> tuple[PledgeReview, Pledge]:
        r = await _own_yearend(s, actor, review_id, verb)
        p = await s.get(Pledge, r.pledge_id)
        assert p is not None
        return r, p

    async def _editable(self, s: AsyncSession, actor: Actor, review_id: int, verb: str
                        ) -> tuple[PledgeReview, Pledge]:
        r, p = await self._own(s, actor, review_id, verb)
        if r.status not in EDITABLE:
            raise Conflict(_("Your self-assessment was already sent to the secretary. Withdraw it first to "
                             "change it.") if r.status == "submitted" else
                           _("Comrade, the branch is already reviewing your self-assessment; it can no longer "
                             "be changed."))
        await self._window_open(s, p)
        return r, p

    async def card(self, actor: Actor, review_id: int) -> CardData:
        async with self.deps.db.session() as s:
            r, p = await self._own(s, actor, review_id, "view")
            return card_data(r, p.year)

    async def editable_card(self, actor: Actor, review_id: int) -> CardData:
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "edit")
            return card_data(r, p.year)

    async def edit_section(self, actor: Actor, review_id: int, key: str, text: str) -> CardData:
        if len(text) > SECTION_MAX:
            raise InvalidInput(_("That is too long. Please keep it within {n} characters.").format(n=SECTION_MAX))
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "edit")
            if section(r.form, key) is None:
                raise StaleButton(f"unknown section {key!r}")
            sections = sections_of(r)
            sections[key] = text
            r.sections, r.text = sections, joined_text(r.form, sections)
            s.add(r)
            return card_data(r, p.year)

    async def set_points(self, actor: Actor, review_id: int, common: int, results: int) -> CardData:
        check_points(common, results)
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "points")
            r.points_common, r.points_results, r.band_confirmed = common, results, False
            s.add(r)
            return card_data(r, p.year)

    async def set_level(self, actor: Actor, review_id: int, level: str) -> CardData:
        if level not in LEVEL_KEYS:
            raise InvalidInput(_("Please choose one of the four levels."))
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "level")
            r.level, r.band_confirmed = level, False
            s.add(r)
            return card_data(r, p.year)

    async def keep_level(self, actor: Actor, review_id: int) -> CardData:
        """The member keeps a level whose band does not hold their points (said so on the card)."""
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "keep_level")
            r.band_confirmed = True
            s.add(r)
            return card_data(r, p.year)

    async def submit_yearend(self, actor: Actor, review_id: int) -> CardData:
        now = self.now()
        async with self.deps.db.session() as s:
            r, p = await self._editable(s, actor, review_id, "submit")
            d = card_data(r, p.year)
            if d.level is None:
                raise Conflict(_("Comrade, please propose your level first (✏️ Edit)."))
            if d.band_level is not None and not d.band_confirmed:
                raise Conflict(_("Comrade, your points and your level do not match: fix one or keep the level."))
            r.version += 1
            r.status, r.submitted_at, r.locked_at = "submitted", now, None
            s.add(r)
            s.add(PledgeReviewVersion(review_id=r.id or 0, person_id=r.person_id, year=p.year, version=r.version,
                                      content=_content(r), submitted_at=now))
            sent = card_data(r, p.year)

            def render(name: str) -> Reply:  # rendered when sent, in the reader's language
                return Reply(text=card_text(sent, name))

            await self._tell_reviewers(s, actor, r, "sent", render, "pledge.yearend", now)
            return sent

    async def withdraw_yearend(self, actor: Actor, review_id: int) -> CardData:
        """Take a sent self-assessment back to an editable draft, until the branch acts on it. The sent
        version stays kept; the secretaries are told."""
        now = self.now()
        async with self.deps.db.session() as s:
            r, p = await self._own(s, actor, review_id, "withdraw")
            if r.status == "locked":
                raise Conflict(_("Comrade, the branch has already acted on your self-assessment, so it can no "
                                 "longer be withdrawn. Please speak to the secretary."))
            if r.status != "submitted":
                raise Conflict(_("Comrade, this self-assessment is not waiting with the secretary, so there is "
                                 "nothing to withdraw."))
            await self._window_open(s, p)  # withdrawn after the close, it could not be sent again
            r.status, r.submitted_at = "withdrawn", None
            s.add(r)
            v = (await s.execute(select(PledgeReviewVersion).where(PledgeReviewVersion.review_id == r.id,
                                                                   PledgeReviewVersion.version == r.version))
                 ).scalar_one_or_none()
            if v is not None:
                v.withdrawn_at = now
                s.add(v)
            year = p.year

            def render(name: str) -> Reply:
                return Reply(text=_(
                    "↩️ {name} has withdrawn the year-end self-assessment {year} to revise it; it will "
                    "come again when sent.").format(year=year, name=esc(name)))

            await self._tell_reviewers(s, actor, r, "withdrawn", render, "pledge.yearend_withdraw", now)
            return card_data(r, p.year)

    async def current_review_id(self, actor: Actor) -> int:
        """The member's year-end self-assessment of this year (for /rutdanhgia)."""
        seat = self._seat(actor)
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            r = None if p is None else (await s.execute(select(PledgeReview).where(
                PledgeReview.pledge_id == p.id, PledgeReview.kind == "yearend"))).scalar_one_or_none()
            if r is None:
                raise NotFound(_("Comrade, you have no year-end self-assessment this year."))
            return r.id or 0

    async def _tell_reviewers(self, s: AsyncSession, actor: Actor, r: PledgeReview, event: str,
                              render: Callable[[str], Reply], action: str, now: datetime) -> None:
        """Tell the member's reviewers (never the member themself) that a self-assessment was sent or
        withdrawn, and audit it. Each sending is a new notice: one withdrawn and sent again is told again."""
        p = await s.get(Pledge, r.pledge_id)
        assert p is not None
        branch = await s.get(Branch, p.branch_id)
        assert branch is not None
        person = await s.get(Person, r.person_id)
        name = person.display_name if person else "?"
        nonce = secrets.token_hex(4)
        for manager_id in await reviewer_ids(s, branch, r.person_id):
            await notify(s, self.deps, manager_id, key=f"pledge_yearend_{event}:{r.id}:{manager_id}:{nonce}",
                         kind="pledge_to_approve", render=lambda: render(name), branch_id=p.branch_id)
        await audit.record(s, at=now, actor_person_id=actor.person_id, action=action, org_id=p.org_id,
                           branch_id=p.branch_id, target=f"review:{r.id}", details={"version": r.version})


def check_points(common: int, results: int) -> None:
    """Points inside the framework (30 common + 70 results), else a polite refusal."""
    if not 0 <= common <= COMMON_POINTS_MAX:
        raise InvalidInput(_("The common criteria are out of {n} points: please give a number from 0 to {n}.")
                           .format(n=COMMON_POINTS_MAX))
    if not 0 <= results <= RESULTS_POINTS_MAX:
        raise InvalidInput(_("The task results are out of {n} points: please give a number from 0 to {n}.")
                           .format(n=RESULTS_POINTS_MAX))


async def _own_yearend(s: AsyncSession, actor: Actor, review_id: int, verb: str) -> PledgeReview:
    """The actor's own year-end self-assessment; anyone else's (or another kind) is refused and logged."""
    r = await s.get(PledgeReview, review_id)
    if r is None or r.person_id != actor.person_id or r.kind != "yearend":
        log.warning("year-end %s of someone else: person=%s review=%s", verb, actor.person_id, review_id)
        raise PermissionDenied(_("Sorry, you are not allowed to do that."))
    return r


# --- providers (contracts.md) ----------------------------------------------------------------------------

async def _yearend_of(s: AsyncSession, person_id: int, year: int) -> tuple[PledgeReview, Pledge] | None:
    row = (await s.execute(
        select(PledgeReview, Pledge).join(Pledge, Pledge.id == PledgeReview.pledge_id)
        .where(PledgeReview.person_id == person_id, PledgeReview.kind == "yearend", Pledge.year == year)
        .order_by(PledgeReview.id.desc())  # type: ignore[union-attr]
    )).first()
    return (row[0], row[1]) if row else None


async def _self_assessment(s: AsyncSession, person_id: int, year: int) -> dict[str, Any] | None:
    found = await _yearend_of(s, person_id, year)
    if found is None:
        return None
    r, p = found
    d = card_data(r, p.year)
    texts = dict(d.sections)
    return {"id": r.id, "status": r.status, "level": r.level, "points": d.points,
            "submitted_at": r.submitted_at,
            "sections": [(sec.title(), texts.get(sec.key, "")) for sec in form_sections(r.form)
                         if sec.kind == "text"]}


async def _lock_self_assessment(s: AsyncSession, person_id: int, year: int, now: datetime) -> None:
    """The branch acted on it: a sent self-assessment can no longer be withdrawn. A draft stays a draft
    (the member may still send it), with the time noted."""
    found = await _yearend_of(s, person_id, year)
    if found is None:
        return
    r = found[0]
    if r.status == "submitted":
        r.status = "locked"
    r.locked_at = r.locked_at or now
    s.add(r)
