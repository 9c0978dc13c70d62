"""The one path for proactive messages: every message the bot sends on its own goes through here.

A caller names the *kind* of message and how to render it; this module resolves the rest from one policy
table (:data:`POLICIES`): the recipient's channel (their preferred reachable identity) and locale, the
delivery time, the branch's quiet hours, the member's pause ("Tạm dừng", ``paused_until`` from /caidat),
whether the Zalo quota pauses it (the zalo_quota send gate reads :func:`zalo_quota_pauses`), and the outbox
key that keeps the enqueue idempotent. Only this module (and the outbox/sender themselves) calls the outbox
enqueue functions; ``tests/notify/test_one_path.py`` fails otherwise.

Replies to what a person just did (the answer to a button, a form's next question) are not proactive and
do not come here: the conversation engine sends them directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.i18n import use_locale
from bot.messages import ChatRef, Reply
from bot.services import bot_binding, outbox
from bot.services.extensions import BULK_CHUNK, DEFAULT_QUIET_HOURS, in_quiet_hours
from storage.models.people import Person

if TYPE_CHECKING:
    from bot.services.deps import Deps


class Timing(StrEnum):
    NOW = "now"  # as soon as it may be sent (the caller's not_before at the earliest)
    MEMBER_TIME = "member_time"  # the recipient's own delivery time of day (/caidat); now once it has passed
    SLOT = "slot"  # the caller's slot (not_before, kept even if past): the daily minute, the digest time


class OnPause(StrEnum):
    SEND = "send"  # the recipient's pause does not apply
    HOLD = "hold"  # held until the day after the pause ends
    SKIP = "skip"  # not queued at all (it belongs to its day)


@dataclass(frozen=True, slots=True)
class Policy:
    timing: Timing
    quiet: bool  # held until the end of the branch's quiet hours
    pause: OnPause
    zalo_quota: bool  # held back (skipped) by the send gate when the Zalo bot's month is used up
    why: str


_M, _S = "member-facing prompt", "secretary-facing work"

# One row per proactive kind; the kind is also the outbox row's ``kind``. docs/NOTIFY.md shows this table.
POLICIES: dict[str, Policy] = {
    # --- daily ---
    "daily": Policy(Timing.SLOT, False, OnPause.SKIP, True,
                    "the member chose the minute; a paused day's item is stale later; bulk, replaceable"),
    "daily_group": Policy(Timing.SLOT, False, OnPause.SEND, False,
                          "the branch chose the group's minute; a group has no personal pause"),
    # --- pledges ---
    "pledge_checkin": Policy(Timing.MEMBER_TIME, True, OnPause.HOLD, False, f"{_M}: waits for the pause"),
    "pledge_midyear": Policy(Timing.MEMBER_TIME, True, OnPause.HOLD, False, f"{_M}: waits for the pause"),
    "pledge_yearend": Policy(Timing.MEMBER_TIME, True, OnPause.HOLD, False, f"{_M}: waits for the pause"),
    "pledge_reminder": Policy(Timing.MEMBER_TIME, True, OnPause.HOLD, False, f"{_M}: waits for the pause"),
    "pledge_to_approve": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: not at night"),
    "pledge_decision": Policy(Timing.NOW, True, OnPause.SEND, False,
                              "the answer the member asked for; the secretary chose to send it"),
    "pledge_digest": Policy(Timing.MEMBER_TIME, True, OnPause.SEND, False,
                            f"{_S} at the secretary's own time of day"),
    # --- deeds ---
    "deed_outcome": Policy(Timing.NOW, True, OnPause.SEND, False,
                           "the answer the member asked for; the secretary chose to send it"),
    "deed_digest": Policy(Timing.SLOT, True, OnPause.SEND, False, f"{_S} at the secretary's digest time"),
    "deed_stale": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: not at night"),
    "deed_pack": Policy(Timing.SLOT, True, OnPause.SEND, False, f"{_S}: the pack's day at 08:00"),
    "group_deed": Policy(Timing.NOW, True, OnPause.SEND, False, "a group post; not at night"),
    # --- dialogue (opinions and proposals) ---
    "dialogue_new": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: a member's opinion to answer; not at night"),
    "dialogue_status": Policy(Timing.NOW, True, OnPause.SEND, False,
                              "the answer the member asked for; the secretary or committee chose to send it"),
    # --- meetings ---
    "meeting_notice": Policy(Timing.NOW, True, OnPause.SEND, False,
                             "a Party duty, not a study prompt; not at night; it expires at the meeting"),
    "meeting_reminder": Policy(Timing.NOW, True, OnPause.SEND, False,
                               "a Party duty, not a study prompt; not at night; it expires at the meeting"),
    "meeting_checkin": Policy(Timing.NOW, False, OnPause.SEND, False,
                              "the secretary is at the meeting now: its check-in code was turned off"),
    "reminder": Policy(Timing.NOW, True, OnPause.SEND, False,
                       "calendar reminders to secretaries (the tick also waits for their reminder time)"),
    # --- votes ---
    "vote_ballot": Policy(Timing.NOW, False, OnPause.SEND, False,
                          "the member is at the meeting now and the secretary waits for the ballots"),
    "vote_result": Policy(Timing.NOW, False, OnPause.SEND, False,
                          "the outcome of a vote taken at the meeting the member is at"),
    # --- emulation projects ---
    "emulation_reminder": Policy(Timing.NOW, True, OnPause.SEND, False,
                                 "a milestone the owner registered and is due to report; not at night"),
    "emulation_news": Policy(Timing.NOW, True, OnPause.SEND, False,
                             "a call, a report to confirm, a confirmation or an appraisal; not at night"),
    # --- broadcasts ---
    "broadcast": Policy(Timing.SLOT, False, OnPause.SEND, False,
                        "the secretary chose the moment (or scheduled it) and watches its live progress"),
    "broadcast_nudge": Policy(Timing.NOW, False, OnPause.SEND, False,
                              "the secretary pressed remind and watches the confirmations"),
    "broadcast_progress": Policy(Timing.SLOT, False, OnPause.SEND, False,
                                 "the live progress of the secretary's own action"),
    # --- joining and housekeeping ---
    "join_request": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: not at night"),
    "join_decision": Policy(Timing.NOW, False, OnPause.SEND, False,
                            "the person is waiting to start; the secretary chose to send it"),
    "join_reminder": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: not at night"),
    "branch_news": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S} (a member left, ...): not at night"),
    # --- classification ---
    "classification_result": Policy(Timing.NOW, True, OnPause.SEND, False,
                                    "the branch's vote on the member's level: a Party duty; not at night"),
    "classification_committee": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S} (the đảng ủy): not at night"),
    # --- supervision visits ---
    "supervision_planned": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: a visit to prepare; not at night"),
    "supervision_conclusions": Policy(Timing.NOW, True, OnPause.SEND, False,
                                      f"{_S}: the committee's conclusions and tasks; not at night"),
    "supervision_task_reminder": Policy(Timing.NOW, True, OnPause.SEND, False,
                                        f"{_S}: a task's deadline is near; not at night"),
    "supervision_task_reported": Policy(Timing.NOW, True, OnPause.SEND, False,
                                        "committee-facing work: a task reported fixed; not at night"),
    "supervision_task_closed": Policy(Timing.NOW, True, OnPause.SEND, False,
                                      "the answer the secretary asked for; not at night"),
    # --- contests ---
    "contest_news": Policy(Timing.NOW, True, OnPause.SEND, False,
                           f"{_S} (a contest opened, its winners): not at night"),
    # --- zalo quota ---
    "zalo_quota": Policy(Timing.NOW, True, OnPause.SEND, False, f"{_S}: an operational warning, not at night"),
    # --- operations ---
    "bot_revoked": Policy(Timing.NOW, False, OnPause.SEND, False,
                          "an alarm to the system admins: a bot stopped sending (its token was refused)"),
}


def policy(kind: str) -> Policy:
    try:
        return POLICIES[kind]
    except KeyError:
        raise KeyError(f"no notify policy for kind {kind!r}: add a row to bot.services.notify.POLICIES") from None


def zalo_quota_pauses(kind: str) -> bool:
    """The zalo_quota send gate asks this for every row on Zalo."""
    p = POLICIES.get(kind)
    return p is not None and p.zalo_quota


# --- timing ----------------------------------------------------------------------------------------


def next_send_at(now: datetime, tz: ZoneInfo, at: time, quiet: tuple[time, time] | None) -> datetime:
    """The first moment at or after ``now`` that is the member's time of day (moved out of quiet hours),
    or now when that time has passed today and now is not quiet."""
    if quiet is not None and in_quiet_hours(at, quiet):
        at = quiet[1]  # a 06:30 delivery time waits for the end of the quiet hours
    local = now.astimezone(tz)
    today_at = datetime.combine(local.date(), at, tzinfo=tz)
    if today_at >= local:
        return to_utc(today_at, tz)
    if quiet is None or not in_quiet_hours(local.time(), quiet):
        return now
    return to_utc(datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz), tz)


def out_of_quiet(moment: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime:
    """``moment``, or the end of the quiet hours it falls in."""
    local = moment.astimezone(tz)
    if not in_quiet_hours(local.time(), quiet):
        return moment
    end = datetime.combine(local.date(), quiet[1], tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return to_utc(end, tz)


def plan_due(p: Policy, *, now: datetime, tz: ZoneInfo, at: time, quiet: tuple[time, time],
             paused_until: date | None, not_before: datetime | None = None) -> datetime | None:
    """When a message of policy ``p`` is due, or None to skip it. Pure: the table test drives it too."""
    if not_before is None:
        start = now
    else:  # a slot keeps its own moment even when a late tick queues it (the daily catch-up)
        start = not_before if p.timing is Timing.SLOT else max(now, not_before)
    if p.pause is not OnPause.SEND and paused_until is not None and paused_until >= start.astimezone(tz).date():
        if p.pause is OnPause.SKIP:
            return None
        start = max(start, to_utc(datetime.combine(paused_until + timedelta(days=1), time(0), tzinfo=tz), tz))
    if p.timing is Timing.MEMBER_TIME:
        return next_send_at(start, tz, at, quiet if p.quiet else None)
    return out_of_quiet(start, tz, quiet) if p.quiet else start


# --- sending ---------------------------------------------------------------------------------------

Render = Callable[[], Reply | Awaitable[Reply]]


async def _render(render: Render, locale: str | None) -> Reply:
    with use_locale(locale):
        got = render()
        return await got if inspect.isawaitable(got) else got


async def _due(s: AsyncSession, deps: Deps, p: Policy, person_id: int | None, branch_id: int | None,
               not_before: datetime | None) -> datetime | None:
    ext = deps.ext
    at = await ext.delivery_time(s, person_id) if p.timing is Timing.MEMBER_TIME and person_id else time(0)
    quiet = await ext.quiet_hours(s, branch_id) if p.quiet else DEFAULT_QUIET_HOURS  # unused otherwise
    paused = None
    if p.pause is not OnPause.SEND and person_id is not None:
        paused = (await ext.paused_until(s, [person_id])).get(person_id)
    return plan_due(p, now=deps.clock.now(), tz=deps.settings.tz, at=at, quiet=quiet, paused_until=paused,
                    not_before=not_before)


async def notify(
    s: AsyncSession,
    deps: Deps,
    person_id: int,
    *,
    kind: str,
    key: str,
    render: Render,
    branch_id: int | None = None,
    ref: str | None = None,
    priority: int = 0,
    expires_at: datetime | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue one proactive message to a person. Returns True when a row was added (False: erased,
    unreachable, skipped by the pause, or already queued under ``key``)."""
    p = policy(kind)
    person = await s.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return False
    to = await outbox.recipient_for_person(s, person_id)
    if to is None:
        return False
    to = await bot_binding.home_recipient(s, deps, to)  # TELEGRAM_BOTS: their đảng bộ's bot
    due = await _due(s, deps, p, person_id, branch_id, not_before)
    if due is None:
        return False
    reply = await _render(render, person.locale)
    return await outbox.enqueue(s, key=key, kind=kind, to=to, reply=reply, due_at=due, priority=priority,
                                ref=ref, branch_id=branch_id, expires_at=expires_at)


async def notify_chat(
    s: AsyncSession,
    deps: Deps,
    chat: ChatRef,
    *,
    kind: str,
    key: str,
    render: Render,
    locale: str | None = None,
    person_id: int | None = None,
    branch_id: int | None = None,
    ref: str | None = None,
    priority: int = 0,
    expires_at: datetime | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue one proactive message to a chat: a branch group, or a known chat of a person (the live
    progress of a broadcast). ``locale`` defaults to the person's, else the bot's default language."""
    p = policy(kind)
    due = await _due(s, deps, p, person_id, branch_id, not_before)
    if due is None:
        return False
    if locale is None and person_id is not None:
        person = await s.get(Person, person_id)
        locale = person.locale if person is not None else None
    reply = await _render(render, locale or deps.settings.default_locale)
    return await outbox.enqueue(s, key=key, kind=kind, to=outbox.Recipient(chat, person_id), reply=reply,
                                due_at=due, priority=priority, ref=ref, branch_id=branch_id,
                                expires_at=expires_at)


@dataclass(frozen=True, slots=True)
class Addressee:
    """One row of :func:`notify_many`: the caller resolved the recipient in one set-based query (the same
    rule as ``recipient_for_person``: preferred reachable identity) and the person's locale."""

    key: str
    to: outbox.Recipient
    locale: str | None
    branch_id: int | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None


async def notify_many(
    s: AsyncSession,
    deps: Deps,
    addressees: Sequence[Addressee],
    *,
    kind: str,
    render: Callable[[int | None], Reply | Awaitable[Reply]],
    ref: str | None = None,
    priority: int = 0,
) -> int:
    """Bulk :func:`notify` for the daily tick and broadcasts (thousands of rows, one executemany).
    ``render(branch_id)`` runs once per (branch, locale). Returns the number of rows offered to the outbox
    (after the pause skipped or held some)."""
    p = policy(kind)
    if not addressees:
        return 0
    if bot_binding.several(deps):  # TELEGRAM_BOTS: each person's rows go through their đảng bộ's bot
        people = {a.to.person_id: a.to for a in addressees
                  if a.to.person_id is not None and a.to.identity_id is not None}
        home = await bot_binding.home_recipients(s, deps, people)
        addressees = [replace(a, to=home[a.to.person_id]) if a.to.person_id in people else a
                      for a in addressees]
    ext, now, tz = deps.ext, deps.clock.now(), deps.settings.tz
    # Everything plan_due reads is loaded up front for all addressees in a bounded number of queries (one
    # per 500 ids), never one per branch or person: the daily tick queues thousands across many branches.
    paused: dict[int, date] = {}
    if p.pause is not OnPause.SEND:
        people = sorted({a.to.person_id for a in addressees if a.to.person_id is not None})
        for i in range(0, len(people), BULK_CHUNK):  # SQLite caps bound parameters per statement
            paused.update(await ext.paused_until(s, people[i:i + BULK_CHUNK]))
    # Quiet hours only matter to policies that respect them (plan_due ignores them otherwise).
    quiet = await ext.quiet_hours_many(s, [a.branch_id for a in addressees]) if p.quiet else {}
    at: dict[int, time] = {}
    if p.timing is Timing.MEMBER_TIME:
        at = await ext.delivery_times(s, [a.to.person_id for a in addressees if a.to.person_id is not None])
    payloads: dict[tuple[int | None, str | None], dict[str, object]] = {}
    rows: list[outbox.Queued] = []
    for a in addressees:
        pid = a.to.person_id
        due = plan_due(p, now=now, tz=tz, at=at.get(pid or 0, time(0)),
                       quiet=quiet.get(a.branch_id, DEFAULT_QUIET_HOURS),
                       paused_until=paused.get(pid) if pid is not None else None, not_before=a.not_before)
        if due is None:
            continue
        pkey = (a.branch_id, a.locale)
        if pkey not in payloads:
            with use_locale(a.locale):
                got = render(a.branch_id)
                payloads[pkey] = (await got if inspect.isawaitable(got) else got).to_dict()
        rows.append(outbox.Queued(key=a.key, kind=kind, to=a.to, payload=payloads[pkey], due_at=due,
                                  priority=priority, ref=ref, branch_id=a.branch_id, expires_at=a.expires_at))
    await outbox.enqueue_many(s, rows)
    return len(rows)
