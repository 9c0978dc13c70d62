"""On PostgreSQL a NUL in a display name or a deed used to lose the message or the reply (asyncpg refuses
NUL in text); the dispatcher now cleans every incoming text and name before anything is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models.people import Person
from tests.conftest import join_member
from tests.deeds.conftest import deeds


@pytest.fixture
def db_url(pg_db_url: str) -> str:  # the deeds fixtures (settings, bot, branch), on PostgreSQL
    return pg_db_url


@pytest.mark.postgres
async def test_nul_in_a_name_and_in_a_deed_on_postgres(bot, fake_tg, branch):
    assert bot.app.db.dialect == "postgresql"
    fake_tg.limits.enabled = False
    stranger = fake_tg.user(6401, "Ngô\x00 Văn\x0b Tư")
    await stranger.send("/start")
    await stranger.expect("mã tham gia")
    member = await join_member(bot, fake_tg, branch, 6402, "Đinh\x00 Thị Hoa")
    async with bot.app.db.session() as s:
        names = set((await s.execute(select(Person.display_name))).scalars().all())
    assert {"Ngô Văn\n Tư", "Đinh Thị Hoa"} <= names
    await member.send("/viectot")
    await member.expect("Đồng chí đã làm việc tốt gì?")
    await member.send("Đưa cụ\x00 Bảy đi khám\x0bbệnh")
    await member.expect("Gửi việc tốt này?")
    await member.press("Thêm ảnh, ngày, loại")
    await member.expect("Việc đó vào ngày nào?")
    await member.press("Hôm qua")
    await member.expect("thuộc loại nào?")
    await member.press("khác")
    await member.expect("Gửi tối đa 3 ảnh")
    await member.press("Không có ảnh")
    await member.expect("nhóm chi bộ không?")
    await member.press("Hỏi lại khi được biểu dương")
    await member.expect("kiểm tra lại việc tốt")
    await member.press("Gửi")
    await member.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.text == "Đưa cụ Bảy đi khám\nbệnh"
