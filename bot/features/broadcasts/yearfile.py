"""The notices section of a member's year file (/namcuatoi): notices that reached them in the year, and those
asking for confirmation that they acknowledged."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.broadcasts.models import Broadcast, BroadcastAck
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import YearFigure, YearRow, YearSection
from storage.models.outbox import OutboxMessage, OutboxStatus

_SNIPPET = 80


def _snippet(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= _SNIPPET else words[:_SNIPPET].rsplit(" ", 1)[0] + "…"


async def _year_file_section(
    s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int, tz: ZoneInfo
) -> YearSection:
    start, end = to_utc(datetime(year, 1, 1), tz), to_utc(datetime(year + 1, 1, 1), tz)
    sent = (
        await s.execute(
            select(OutboxMessage.ref, OutboxMessage.sent_at).where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.ref.like("broadcast:%"),
                OutboxMessage.status == OutboxStatus.SENT.value,
                OutboxMessage.sent_at >= start,
                OutboxMessage.sent_at < end,
            )
        )
    ).all()
    received: dict[int, datetime] = {}
    for ref, at in sent:
        tail = (ref or "").split(":", 1)[1]
        if tail.isdigit() and at is not None:
            received.setdefault(int(tail), as_utc(at))
    notices = {b.id: b for b in (await s.execute(select(Broadcast).where(Broadcast.id.in_(received)))).scalars()}
    acks = {a.broadcast_id: as_utc(a.at) for a in (await s.execute(
        select(BroadcastAck).where(BroadcastAck.person_id == person_id, BroadcastAck.broadcast_id.in_(received))
    )).scalars()}
    rows: list[YearRow] = []
    asked: list[YearRow] = []
    acked: list[YearRow] = []
    for bid, at in sorted(received.items(), key=lambda kv: kv[1]):
        b = notices.get(bid)
        if b is None:
            continue
        day = at.astimezone(tz).date()
        what = _snippet(b.text) or _("(a notice with a picture or a file)")
        if b.ack_requested:
            state = _("(acknowledged)") if bid in acks else _("(not acknowledged)")
            rows.append(YearRow(day, f"{what} {state}"))
            asked.append(YearRow(day, f"{what} {state}"))
            if bid in acks:
                acked.append(YearRow(acks[bid].astimezone(tz).date(), what))
        else:
            rows.append(YearRow(day, what))
    return YearSection(
        key="notices",
        title=_("Notices"),
        order=50,
        figures=(
            YearFigure("received", _("Notices received"), len(rows), rows),
            YearFigure("acknowledged", _("Notices acknowledged"), len(acked), acked,
                       note=_("of {n} asking for it").format(n=len(asked))),
        ),
    )
