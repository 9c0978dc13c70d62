"""Fixtures for commendations, nominations and the branch's papers: a committee admin of the seeded đảng bộ,
documents read back from the fake server."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.messages import UserRef
from bot.services.documents import docx_text
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Person

COMMITTEE_TG_ID = 9201


async def committee_admin(bot, fake_tg, branch, name: str = "Phạm Văn Uỷ"):  # type: ignore[no-untyped-def]
    """A committee admin of the branch's đảng bộ (a Telegram user who manages no branch)."""
    ids = bot.app.services.get(IdentityService)
    org = bot.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", "9001", "Quản trị"), "9001")
    code = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    actor = await ids.resolve(UserRef("telegram", str(COMMITTEE_TG_ID), name), str(COMMITTEE_TG_ID))
    await org.redeem(actor, code.code)
    return fake_tg.user(COMMITTEE_TG_ID, name)


async def person_id(bot, name: str) -> int:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        return (await s.execute(select(Person.id).where(Person.display_name == name))).scalar_one()


def document(fake_tg, message) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    doc = message.raw.record.document
    assert doc is not None, "the message has no document"
    return doc["file_name"], fake_tg.files[doc["file_id"]].data


def docx_of(fake_tg, message) -> str:  # type: ignore[no-untyped-def]
    name, data = document(fake_tg, message)
    assert name.endswith(".docx")
    return docx_text(data)


def sheets_of(fake_tg, message) -> dict[str, list[list[object]]]:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    name, data = document(fake_tg, message)
    assert name.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
