"""Seed a đảng bộ of many branches straight into the tables (SQLAlchemy Core, bulk inserts): members who
joined and left, pledges and check-ins, good deeds, meetings with attendance, daily reads and their outbox
rows, notices with deliveries and acknowledgements, emulation projects and contest entries.

Used by the committee dashboard's tests (tests/dashboard/test_committee_bulk.py: the bulk figures equal the
per-branch ones on varied data) and its benchmark (benchmarks/bench_dashboard.py: 2,000 branches and
100,000 members). Deterministic for a given ``seed``; never used by the running bot.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.features.broadcasts.models import Broadcast, BroadcastAck
from bot.features.contests.models import Contest, ContestEntry
from bot.features.daily.models import DailyRead
from bot.features.deeds.models import Deed
from bot.features.emulation.models import EmulationCall, EmulationProject
from bot.features.meetings.models import Attendance, Meeting
from bot.features.pledges.models import Pledge, PledgeCheckin, PledgeCheckinRound
from storage.models.org import Branch, Organization
from storage.models.outbox import OutboxMessage
from storage.models.people import Membership, Person

BATCH = 5000


@dataclass
class Seeded:
    org_id: int
    branch_ids: list[int]
    members: int
    rows: dict[str, int] = field(default_factory=dict)


def _template(model: type[SQLModel], **required: Any) -> dict[str, Any]:
    """Every column with the model's defaults (default factories included), without the id."""
    row = model(**required).model_dump()
    row.pop("id", None)
    return row


async def _insert(s: AsyncSession, model: type[SQLModel], rows: Iterable[dict[str, Any]],
                  counts: dict[str, int]) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            await s.execute(insert(table), batch)
            counts[table.name] = counts.get(table.name, 0) + len(batch)
            batch = []
    if batch:
        await s.execute(insert(table), batch)
        counts[table.name] = counts.get(table.name, 0) + len(batch)


async def _ids(s: AsyncSession, column: Any, *where: Any) -> list[int]:
    return [int(i) for i in (await s.execute(select(column).where(*where).order_by(column))).scalars().all()]


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)), tz)


async def seed_org(s: AsyncSession, *, now: datetime, tz: ZoneInfo, branches: int, members_per_branch: int,
                   months: int = 3, read_share: float = 0.2, daily_outbox_days: int = 7, seed: int = 17,
                   org_name: str = "Đảng bộ thử nghiệm", branch_names: list[str] | None = None) -> Seeded:
    """One đảng bộ with ``branches`` branches of about ``members_per_branch`` members each, with ``months``
    months of activity before ``now`` (aware). Every branch differs a little (a few lag: no thematic meeting,
    no deed this month, low attendance), so the flags and the figures have something to find."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    today = now.astimezone(tz).date()
    first_day = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days + 1)]
    long_ago = _local(first_day - timedelta(days=400), 9, 0, tz)

    org_id = int((await s.execute(insert(Organization.__table__).values(  # type: ignore[attr-defined]
        name=org_name, created_at=long_ago).returning(Organization.id))).scalar_one())
    names = branch_names or [f"Chi bộ {i + 1:04d}" for i in range(branches)]
    await _insert(s, Branch, ({**_template(Branch, org_id=org_id, name=n), "created_at": long_ago} for n in names),
                  counts)
    branch_ids = await _ids(s, Branch.id, Branch.org_id == org_id)

    # People and memberships: most joined long ago, a few this period, a few left.
    sizes = [max(2, members_per_branch + rng.randint(-3, 3)) for _b in branch_ids]
    n_people = sum(sizes)
    person_t = _template(Person)
    start_id = int((await s.execute(select(Person.id).order_by(Person.id.desc()).limit(1))).scalar() or 0)
    await _insert(s, Person, ({**person_t, "display_name": f"Đảng viên {i + 1:06d}", "created_at": long_ago}
                              for i in range(n_people)), counts)
    people = await _ids(s, Person.id, Person.id > start_id)
    member_t = _template(Membership, person_id=0, branch_id=0)
    roster: dict[int, list[tuple[int, datetime, datetime | None]]] = {}  # branch -> (person, joined, left)
    memberships: list[dict[str, Any]] = []
    pos = 0
    for b, size in zip(branch_ids, sizes, strict=True):
        for pid in people[pos:pos + size]:
            r = rng.random()
            joined = long_ago if r < 0.92 else _local(rng.choice(days), 10, 0, tz)
            left = _local(rng.choice(days), 15, 0, tz) if r > 0.97 else None
            if left is not None and left < joined:
                left = joined + timedelta(days=1)
            roster.setdefault(b, []).append((pid, joined, left))
            memberships.append({**member_t, "person_id": pid, "branch_id": b,
                                "status": "left" if left else "active", "requested_at": joined,
                                "decided_at": joined, "left_at": left})
        pos += size
    await _insert(s, Membership, memberships, counts)
    members = sum(1 for m in memberships if m["status"] == "active")

    def present_at(b: int, at: datetime) -> list[int]:
        return [p for p, joined, left in roster[b] if joined <= at and (left is None or left > at)]

    # Meetings: a regular one each month, a thematic one in most branches each quarter; some cancelled.
    months_seen = sorted({(d.year, d.month) for d in days})
    meeting_t = _template(Meeting, branch_id=0, starts_at=long_ago)
    meetings: list[dict[str, Any]] = []
    for b in branch_ids:
        thematic = rng.random() > 0.1  # a tenth of the branches never hold one
        for y, m in months_seen:
            for kind, day in (("regular", 5), ("thematic", 12)):
                if kind == "thematic" and (not thematic or m % 3 != 2):  # the middle month of each quarter
                    continue
                at_day = date(y, m, day)
                if at_day > today:
                    continue
                meetings.append({**meeting_t, "branch_id": b, "kind": kind, "starts_at": _local(at_day, 19, 30, tz),
                                 "created_at": long_ago,
                                 "cancelled_at": _local(at_day, 8, 0, tz) if rng.random() < 0.02 else None})
    await _insert(s, Meeting, meetings, counts)
    held = (await s.execute(select(Meeting.id, Meeting.branch_id, Meeting.starts_at, Meeting.cancelled_at)
                            .where(Meeting.branch_id.in_(branch_ids)))).all()
    attendance_t = _template(Attendance, meeting_id=0, person_id=0)

    def attendance_rows() -> Iterable[dict[str, Any]]:
        for mid, b, starts, cancelled in held:
            starts_utc = starts if starts.tzinfo else starts.replace(tzinfo=now.tzinfo)
            if cancelled is not None or starts_utc > now or rng.random() < 0.08:  # not taken at some
                continue
            share = 0.55 if b % 7 == 0 else 0.9  # some branches attend badly
            expected = set(present_at(b, starts_utc))
            for pid, _joined, _left in roster[b]:
                if pid in expected:
                    here = rng.random() < share
                elif rng.random() < 0.3:  # a newcomer marked present before their membership was decided
                    here = True
                else:
                    continue
                yield {**attendance_t, "meeting_id": mid, "person_id": pid, "present": here,
                       "status": "present" if here else rng.choice(("absent", "excused"))}
    await _insert(s, Attendance, attendance_rows(), counts)

    # Good deeds: about one a member every two months; a few branches report none this month.
    deed_t = _template(Deed, person_id=0, branch_id=0, day=today)
    statuses = ("pending", "accepted", "accepted", "featured", "returned", "withdrawn")

    def deed_rows() -> Iterable[dict[str, Any]]:
        month_start = today.replace(day=1)
        for b in branch_ids:
            quiet = b % 9 == 0
            for pid, _joined, _left in roster[b]:
                for _i in range(rng.choice((0, 0, 0, 1, 1, 2))):
                    day = rng.choice(days)
                    if quiet and day >= month_start:
                        continue
                    yield {**deed_t, "person_id": pid, "branch_id": b, "day": day, "text": "Việc tốt",
                           "status": rng.choice(statuses), "created_at": _local(day, 20, rng.randint(0, 59), tz)}
    await _insert(s, Deed, deed_rows(), counts)

    # Pledges of the year (most submitted, many approved), a check-in round a quarter.
    pledge_t = _template(Pledge, person_id=0, branch_id=0, org_id=org_id, year=today.year)

    def pledge_rows() -> Iterable[dict[str, Any]]:
        for b in branch_ids:
            for pid, _joined, _left in roster[b]:
                if rng.random() < 0.15:
                    continue
                submitted = _local(rng.choice(days), 9, 0, tz) if rng.random() < 0.9 else None
                approved = submitted + timedelta(days=rng.randint(0, 20)) if submitted and rng.random() < 0.7 else None
                yield {**pledge_t, "person_id": pid, "branch_id": b, "year": today.year, "version": 1,
                       "first_submitted_at": submitted, "first_approved_at": approved, "created_at": long_ago}
    await _insert(s, Pledge, pledge_rows(), counts)
    round_t = _template(PledgeCheckinRound, branch_id=0, year=today.year, period="q1")
    quarters = sorted({(d.year, (d.month - 1) // 3 + 1) for d in days if d.month % 3 == 2 and d.day == 10})
    await _insert(s, PledgeCheckinRound, ({**round_t, "branch_id": b, "year": y, "period": f"q{q}",
                                           "created_at": _local(date(y, 3 * q - 1, 10), 9, 0, tz)}
                                          for b in branch_ids for y, q in quarters), counts)
    rounds = (await s.execute(select(PledgeCheckinRound.id, PledgeCheckinRound.branch_id,
                                     PledgeCheckinRound.created_at)
                              .where(PledgeCheckinRound.branch_id.in_(branch_ids)))).all()
    pledges = (await s.execute(select(Pledge.id, Pledge.branch_id, Pledge.person_id)
                               .where(Pledge.branch_id.in_(branch_ids)))).all()
    by_branch: dict[int, list[tuple[int, int]]] = {}
    for pl_id, b, pid in pledges:
        by_branch.setdefault(b, []).append((pl_id, pid))
    checkin_t = _template(PledgeCheckin, round_id=0, pledge_id=0, person_id=0)

    def checkin_rows() -> Iterable[dict[str, Any]]:
        for rid, b, created in rounds:
            for pl_id, pid in by_branch.get(b, []):
                answered = created + timedelta(days=rng.randint(0, 9)) if rng.random() < 0.7 else None
                yield {**checkin_t, "round_id": rid, "pledge_id": pl_id, "person_id": pid,
                       "created_at": created, "answered_at": answered}
    await _insert(s, PledgeCheckin, checkin_rows(), counts)

    # Daily reads (voluntary) and the daily items sent in the last ``daily_outbox_days`` days.
    read_t = _template(DailyRead, person_id=0, day=today)
    outbox_t = _template(OutboxMessage, key="", kind="daily", channel="telegram", chat_id="0")

    def read_rows() -> Iterable[dict[str, Any]]:
        for b in branch_ids:
            keen = read_share * (0.3 if b % 11 == 0 else 1.0)
            for pid, _joined, left in roster[b]:
                if left is not None:
                    continue
                for day in days:
                    if rng.random() < keen:
                        yield {**read_t, "person_id": pid, "day": day, "branch_id": b,
                               "at": _local(day, 7, rng.randint(0, 59), tz)}
    await _insert(s, DailyRead, read_rows(), counts)
    recent = days[-daily_outbox_days:] if daily_outbox_days else []

    def daily_rows() -> Iterable[dict[str, Any]]:
        for b in branch_ids:
            for pid, _joined, left in roster[b]:
                if left is not None:
                    continue
                for day in recent:
                    at = _local(day, 6, 30, tz)
                    yield {**outbox_t, "key": f"seed-daily:{pid}:{day.isoformat()}", "kind": "daily",
                           "person_id": pid, "branch_id": b, "chat_id": str(pid), "status": "sent",
                           "due_at": at, "created_at": at, "sent_at": at}
    await _insert(s, OutboxMessage, daily_rows(), counts)

    # Notices: two a month a branch, half asking for an acknowledgement, delivered to the members.
    author = people[0]
    broadcast_t = _template(Broadcast, author_person_id=author, org_id=org_id)
    await _insert(s, Broadcast, (
        {**broadcast_t, "author_person_id": author, "org_id": org_id, "branch_id": b, "text": "Thông báo",
         "ack_requested": i % 2 == 0, "status": "done" if rng.random() < 0.95 else "draft",
         "created_at": _local(date(y, m, 3 + 10 * i), 8, 0, tz), "started_at": _local(date(y, m, 3 + 10 * i), 8, 0, tz)}
        for b in branch_ids for y, m in months_seen for i in range(2) if date(y, m, 3 + 10 * i) <= today), counts)
    notices = (await s.execute(select(Broadcast.id, Broadcast.branch_id, Broadcast.ack_requested, Broadcast.started_at)
                               .where(Broadcast.branch_id.in_(branch_ids), Broadcast.status == "done"))).all()
    acks: list[dict[str, Any]] = []
    ack_t = _template(BroadcastAck, broadcast_id=0, person_id=0)

    def notice_rows() -> Iterable[dict[str, Any]]:
        for bid, b, ack, started in notices:
            for pid, _joined, left in roster[b]:
                if left is not None or rng.random() < 0.05:  # a few have no reachable account
                    continue
                yield {**outbox_t, "key": f"seed-broadcast:{bid}:{pid}", "kind": "broadcast",
                       "ref": f"broadcast:{bid}", "person_id": pid, "branch_id": b, "chat_id": str(pid),
                       "status": "sent" if rng.random() < 0.97 else "failed", "due_at": started,
                       "created_at": started, "sent_at": started}
                if ack and rng.random() < 0.6:
                    acks.append({**ack_t, "broadcast_id": bid, "person_id": pid})
    await _insert(s, OutboxMessage, notice_rows(), counts)
    await _insert(s, BroadcastAck, acks, counts)

    # Emulation projects (a call, a project in some branches) and contest entries.
    call_t = _template(EmulationCall, org_id=org_id, title="Đợt thi đua", deadline=today)
    call_id = int((await s.execute(insert(EmulationCall.__table__).values(  # type: ignore[attr-defined]
        **{**call_t, "created_at": long_ago}).returning(EmulationCall.id))).scalar_one())
    project_t = _template(EmulationProject, call_id=call_id, org_id=org_id, branch_id=0, owner_id=author,
                          name="", name_key="", category="")
    await _insert(s, EmulationProject, (
        {**project_t, "branch_id": b, "owner_id": roster[b][0][0], "name": f"Công trình {i}",
         "name_key": f"cong trinh {i}", "category": "Công trình", "created_at": _local(rng.choice(days), 10, 0, tz)}
        for b in branch_ids for i in range(rng.choice((0, 0, 1, 2)))), counts)
    contest_t = _template(Contest, org_id=org_id, title="Hội thi", deadline=today, created_by=author)
    contest_id = int((await s.execute(insert(Contest.__table__).values(  # type: ignore[attr-defined]
        **{**contest_t, "created_at": long_ago}).returning(Contest.id))).scalar_one())
    entry_t = _template(ContestEntry, contest_id=contest_id, number=0, slot="", person_id=author, branch_id=0,
                        kind="text")

    def entry_rows() -> Iterable[dict[str, Any]]:
        number = 0
        for b in branch_ids:
            for pid, _joined, _left in roster[b]:
                if rng.random() < 0.03:
                    number += 1
                    yield {**entry_t, "number": number, "slot": f"m{pid}", "person_id": pid, "branch_id": b,
                           "text": "Bài dự thi", "created_at": _local(rng.choice(days), 21, 0, tz)}
    await _insert(s, ContestEntry, entry_rows(), counts)
    return Seeded(org_id, branch_ids, members, counts)
