"""An export still waiting in the outbox when a member erases their data: the monthly deed pack's workbook and
photo archive (her name, her deed, her photo) are deleted from the media store, the queued messages lose
the attachment, and the secretary later receives the pack's text redacted and no file of hers."""

from __future__ import annotations

import ast
import asyncio
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.services.identity import IdentityService
from bot.services.media import MediaStore
from storage.models.outbox import OutboxMessage, OutboxStatus
from tests.conftest import REPO, TZ, join_member

NAME, DEED = "Hoàng Thị Mận", "Trông giúp ba cháu nhỏ cho hàng xóm đi viện"
PHOTO = tiny_png(7, 4)


async def _pack_files(bot) -> dict[str, str]:
    """The deed pack's queued documents: file name -> media key."""
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.key.startswith("deed_pack:")))).scalars()
        return {m["file_name"]: m["media_key"] for r in rows
                if isinstance(m := (r.payload or {}).get("media"), dict) and m.get("file_name")}


async def test_queued_pack_loses_her_files(bot, fake_tg, branch, clock, monkeypatch):
    fake_tg.limits.enabled = False
    monkeypatch.setattr(bot.app.services.deps.ext.providers, "next_meeting", None)
    man = await join_member(bot, fake_tg, branch, 7101, NAME)
    store = bot.app.services.get(MediaStore)
    photo_key = await store.save(PHOTO, "image/png")
    actor = await bot.app.services.get(IdentityService).actor_for_person(3)  # admin=1, secretary=2, her=3
    assert actor is not None and actor.display_name == NAME
    await bot.app.services.get(DeedReporting).report(
        actor, DeedInput(day=date(2026, 2, 9), text=DEED, category="khác", photo_keys=[photo_key]))
    await bot.drain()
    # The pack goes out on the 1st; Telegram refuses documents for a while, so the files stay queued.
    fake_tg.fail_next("sendDocument", 500, times=20)
    clock.set(datetime(2026, 3, 1, 8, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_pack"])
    sec = branch.secretary
    await sec.expect("Bản tin việc tốt tháng 02/2026", NAME)
    async def documents_refused() -> bool:
        async with bot.app.db.session() as s:
            rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.key.startswith("deed_pack:")))).scalars()
            docs = [r for r in rows if r.key.endswith((":xlsx", ":photos"))]
            return len(docs) == 2 and all(r.status == OutboxStatus.PENDING.value and r.attempts for r in docs)

    for _ in range(200):  # the sender tries each document once, then waits (the clock stands still)
        if await documents_refused():
            break
        await asyncio.sleep(0.05)
    assert await documents_refused()
    files = await _pack_files(bot)
    assert set(files) == {"viec-tot-02-2026.xlsx", "anh-viec-tot-02-2026.zip"}
    assert all(store.exists(k) for k in files.values())

    await man.send("/xoadulieu")
    await man.expect("Xoá dữ liệu")
    await man.press("Đồng ý xoá dữ liệu")
    await man.expect("đã được xoá")
    # Her files are gone and no queued message points at them any more.
    assert not any(store.exists(k) for k in files.values())
    assert await _pack_files(bot) == {}

    # Later: the queue drains without a failure (the rows went as plain text), and no file of hers arrives.
    clock.set(datetime(2026, 3, 1, 8, 0, tzinfo=TZ) + timedelta(hours=1))
    for _ in range(5):
        await bot.drain()
    async with bot.app.db.session() as s:
        statuses = {r.key.rsplit(":", 1)[1]: r.status for r in (await s.execute(
            select(OutboxMessage).where(OutboxMessage.key.startswith("deed_pack:")))).scalars()}
    assert statuses["xlsx"] == statuses["photos"] == OutboxStatus.SENT.value, statuses
    docs = [m for m in sec.bot_events(sec.chat_key) if m.media == "document"]
    assert docs == []


def test_every_saved_workbook_is_listed_for_erasure():
    """A workbook the bot saves holds a branch's people: it must be listed (``generated_for``) so erasure
    deletes it."""
    unlisted, seen = [], 0
    for path in sorted((REPO / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save"
                    and any(isinstance(a, ast.Name) and a.id == "XLSX_MIME" for a in node.args)):
                seen += 1
                if not any(k.arg == "generated_for" for k in node.keywords):
                    unlisted.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert seen >= 4  # the pack, /baocao, the pledges, the self-assessments
    assert unlisted == []
