"""Deed ticks: the secretary's daily digest, the 7-day stale reminder and the monthly meeting pack.

All three are idempotent: every row they queue has a unique outbox key (per day, per deed batch, per
month), so running a tick twice, or catching up after downtime, never sends anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.callbacks import AcceptAll, ReviewListFor
from bot.features.deeds.digest import STALE_AFTER, digest_time, pending_deeds
from bot.features.deeds.models import Deed, DeedStatus
from bot.features.deeds.pack import (
    build_pack,
    pack_day_for,
    period_for,
    photo_archive_name,
    photos_caption,
    store_pack,
    store_photos,
)
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc
from bot.services.deps import Deps, Services
from bot.services.directory import manager_ids, reviewer_ids
from bot.services.notify import notify
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage
from storage.models.people import Person

log = logging.getLogger("hocbac.deeds")

DIGEST_NAMES = 5  # authors named in the evening summary
PACK_HOUR = time(8, 0)  # local time the pack goes out on its day
PACK_PARTS = ("text", "xlsx", "png", "photos")  # "photos" (the zip) only in a month with photos


# --- the daily digest ---------------------------------------------------------------------------------


async def enqueue_digest(
    s: AsyncSession,
    deps: Deps,
    branch: Branch,
    manager_id: int,
    deeds: list[tuple[Deed, str]],
    day_label: str,
    due: datetime,
) -> bool:
    """One digest for one manager: a single summary ("5 good deeds are waiting…") with a button that opens
    them (the cards, with their photos, come on demand, not every evening) and "accept all". Returns False
    when there was nothing to send."""
    if not deeds:
        return False
    up_to = max(d.id or 0 for d, _n in deeds)
    expires = due + timedelta(days=1)
    authors: dict[str, int] = {}
    for _d, name in deeds:
        authors[name] = authors.get(name, 0) + 1

    def build() -> Reply:
        names = ", ".join(esc(n) + (f" ({k})" if k > 1 else "") for n, k in list(authors.items())[:DIGEST_NAMES])
        if len(authors) > DIGEST_NAMES:
            names += ", …"
        text = _("🗂 <b>{n} good deed(s) waiting for review</b> — {branch}\nFrom: {names}").format(
            n=len(deeds), branch=esc(branch_title(branch.name)), names=names)
        return Reply(
            text=text,
            buttons=[[Button(_("🗂 Open them to review"), ReviewListFor(branch.id).pack())],
                     [Button(_("✅ Accept all"), AcceptAll(branch.id, up_to).pack())]],
        )

    return await notify(
        s,
        deps,
        manager_id,
        key=f"deed_digest:{branch.id}:{manager_id}:{day_label}:summary",
        kind="deed_digest",
        render=build,
        not_before=due,
        expires_at=expires,
        branch_id=branch.id,
    )


async def digest_tick(services: Services, now: datetime, since: datetime | None) -> None:
    deps = services.deps
    start = since or now - timedelta(seconds=deps.settings.tick_seconds)
    tz = deps.clock.tz
    async with deps.db.session() as s:
        branch_ids = (
            (
                await s.execute(
                    select(Deed.branch_id)
                    .where(Deed.status == DeedStatus.PENDING.value, Deed.erased.is_(False))
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
        for branch_id in branch_ids:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                continue
            pending = await pending_deeds(s, branch_id)
            # Each reviewer's digest lists the deeds they may review: never their own (a secretary's own
            # deeds go to the deputy, or to the committee).
            mine = await _deeds_by_reviewer(s, branch, pending)
            for manager_id, theirs in mine.items():
                at = await digest_time(s, manager_id)
                for day in sorted({start.astimezone(tz).date(), now.astimezone(tz).date()}):
                    moment = datetime.combine(day, at, tz).astimezone(UTC)
                    if start < moment <= now:
                        due_deeds = [(d, n) for d, n in theirs if d.created_at <= moment]
                        await enqueue_digest(s, deps, branch, manager_id, due_deeds, day.isoformat(), moment)


async def _deeds_by_reviewer(
    s: AsyncSession, branch: Branch, deeds: list[tuple[Deed, str]]
) -> dict[int, list[tuple[Deed, str]]]:
    """The deeds each reviewer is asked about (``directory.reviewer_ids`` of each deed's author), in order."""
    by_author: dict[int, list[int]] = {}
    out: dict[int, list[tuple[Deed, str]]] = {}
    for deed, name in deeds:
        if deed.person_id not in by_author:
            by_author[deed.person_id] = await reviewer_ids(s, branch, deed.person_id)
        for reviewer in by_author[deed.person_id]:
            out.setdefault(reviewer, []).append((deed, name))
    return out


# --- stale deeds ------------------------------------------------------------------------------------


async def stale_tick(services: Services, now: datetime, since: datetime | None) -> None:
    """A deed pending for 7 days goes into the secretary's reminders, once per deed."""
    deps = services.deps
    async with deps.db.session() as s:
        rows = (
            await s.execute(
                select(Deed, Person.display_name)
                .join(Person, Person.id == Deed.person_id)
                .where(
                    Deed.status == DeedStatus.PENDING.value,
                    Deed.erased.is_(False),
                    Deed.stale_notified_at.is_(None),
                    Deed.created_at <= now - STALE_AFTER,
                )
                .order_by(Deed.branch_id, Deed.id)
            )
        ).all()
        by_branch: dict[int, list[tuple[Deed, str]]] = {}
        for deed, name in rows:
            by_branch.setdefault(deed.branch_id, []).append((deed, name))
        for branch_id, deeds in by_branch.items():
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            up_to = max(d.id or 0 for d, _n in deeds)

            def render(deeds: list[tuple[Deed, str]] = deeds, branch: Branch = branch) -> Reply:
                lines = [
                    _(
                        "⏰ <b>Reminder</b>: {n} good deed(s) have waited more than 7 days for review "
                        "in branch {branch}:"
                    ).format(n=len(deeds), branch=esc(branch_title(branch.name)))
                ]
                for d, name in deeds[:15]:
                    snippet = (d.text[:80] + "…") if len(d.text) > 80 else d.text
                    lines.append(f"• {esc(name)} — {d.day.strftime('%d/%m')}: {esc(snippet)}")
                return Reply(
                    text="\n".join(lines), buttons=[[Button(_("🗂 Review now"), ReviewListFor(branch.id).pack())]]
                )

            for manager_id, theirs in (await _deeds_by_reviewer(s, branch, deeds)).items():
                await notify(
                    s,
                    deps,
                    manager_id,
                    key=f"deed_stale:{branch.id}:{manager_id}:{up_to}",
                    kind="deed_stale",
                    render=partial(render, theirs),
                    branch_id=branch.id,
                )
            for d, _n in deeds:
                d.stale_notified_at = now
                s.add(d)


# --- the monthly meeting pack ----------------------------------------------------------------------------


async def _already_sent(s: AsyncSession, key: str) -> bool:
    return (await s.execute(select(OutboxMessage.id).where(OutboxMessage.key == key))).first() is not None


async def enqueue_pack(
    s: AsyncSession,
    deps: Deps,
    branch: Branch,
    start_key: str,
    render: Callable[[], list[tuple[str, Reply]]],
    manager_id: int,
    now: datetime,
) -> None:
    """The pack's parts ("text", "xlsx", "png", "photos"), each rendered in the manager's language."""
    parts = {part for part, _reply in render()}
    for part in (p for p in PACK_PARTS if p in parts):
        await notify(
            s,
            deps,
            manager_id,
            key=f"deed_pack:{branch.id}:{start_key}:{manager_id}:{part}",
            kind="deed_pack",
            render=lambda part=part: dict(render())[part],
            not_before=now,
            branch_id=branch.id,
        )


def _pack_rows(
    text: str, xlsx_key: str, png_key: str, name: str, photos_key: str | None = None, photos_name: str = ""
) -> list[tuple[str, Reply]]:
    rows = [
        ("text", Reply(text=text)),
        (
            "xlsx",
            Reply(
                text=_("📎 The month's good deeds as a spreadsheet (one row per deed)."),
                media=MediaRef(
                    kind="document", media_key=xlsx_key, file_name=f"viec-tot-{name}.xlsx"
                ),
            ),
        ),
        (
            "png",
            Reply(
                text=_("📈 Good deeds per week."),
                media=MediaRef(kind="photo", media_key=png_key),
            ),
        ),
    ]
    if photos_key:
        rows.append(
            (
                "photos",
                Reply(
                    text=photos_caption(),
                    media=MediaRef(kind="document", media_key=photos_key, file_name=photos_name),
                ),
            )
        )
    return rows


async def pack_tick(services: Services, now: datetime, since: datetime | None) -> None:
    deps = services.deps
    tz = deps.clock.tz
    local = now.astimezone(tz)
    if local.time() < PACK_HOUR:
        return
    async with deps.db.session() as s:
        for branch in (await s.execute(select(Branch).order_by(Branch.id))).scalars().all():
            next_meeting = services.deps.ext.providers.next_meeting
            meeting = await next_meeting(s, branch.id, local) if next_meeting else None
            if pack_day_for(local.date(), meeting, tz) != local.date():
                continue
            start, end = period_for(local.date())
            start_key = start.strftime("%Y-%m")
            managers = await manager_ids(s, branch)
            todo = [
                m
                for m in managers
                if not await _already_sent(s, f"deed_pack:{branch.id}:{start_key}:{m}:text")
            ]
            if not todo:
                continue
            pack = await build_pack(s, deps, branch, start, end)
            xlsx_key, png_key = await store_pack(deps, pack)
            photos_key = await store_photos(deps, pack)
            name = pack.label.replace("/", "-")

            for manager_id in todo:
                rows = partial(_pack_rows, pack.text, xlsx_key, png_key, name, photos_key, photo_archive_name(pack))
                await enqueue_pack(s, deps, branch, start_key, rows, manager_id, now)
            log.info("deed pack %s queued for branch %s (%d managers)", pack.label, branch.id, len(todo))
