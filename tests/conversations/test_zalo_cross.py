"""Cross-channel cases: linked identities, the Zalo quota, photos between Zalo and Telegram."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import TINY_PNG
from bot.features.zalo_quota.service import ZaloQuotaService
from bot.kernel.context import Ctx
from bot.kernel.media_intake import keep_media
from bot.kernel.routing import FallbackSpec
from bot.messages import MediaRef, Reply
from bot.services.media import MediaStore
from bot.services.outbox import enqueue_for_person
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity, Person

ZALO = pytest.mark.parametrize("channel", ["zalo"])


async def person_of(kit, channel: str, external_id: str) -> int:
    async with kit.bot.app.db.session() as s:
        query = select(Identity.person_id).where(Identity.channel == channel,
                                                 Identity.external_id == external_id)
        return (await s.execute(query)).scalar_one()


async def queue(kit, person_id: int, key: str, kind: str, reply: Reply) -> None:
    async with kit.bot.app.db.session() as s:
        now = kit.bot.app.clock.now()
        assert await enqueue_for_person(s, person_id, key=key, kind=kind, reply=reply, due_at=now)
    kit.bot.app.sender.wake()


async def link(tg, zl) -> str:
    await tg.send("/lienket")
    msg = await tg.expect("Mã liên kết")
    code = msg.text.split("Mã liên kết của đồng chí: ")[1][:6]
    await zl.send(code)
    await zl.expect("Đã liên kết")
    return code


@ZALO
async def test_linked_person_gets_one_daily_item_on_the_chosen_channel(kit):
    tg = await kit.join("5201", "Trần Văn An", on="telegram")
    zl = kit.zalo_user("5201", "An Zalo")
    await link(tg, zl)
    await zl.expect("qua ứng dụng nào")
    await zl.press("Zalo")  # types the number
    await zl.expect("Đã lưu", "Zalo")
    person = await person_of(kit, "telegram", "5201")
    assert await person_of(kit, "zalo", "z5201") == person  # one person, two accounts
    async with kit.bot.app.db.session() as s:
        assert (await s.get(Person, person)).preferred_channel == "zalo"
    await queue(kit, person, "daily:test:1", "daily", Reply("📖 Bài học hôm nay"))
    await zl.expect("Bài học hôm nay")
    await tg.expect_nothing(within=0.3)
    # The Zalo account now acts as the member: it is in the branch without joining again.
    await zl.send("/toi")
    await zl.expect("Trần Văn An", kit.branch.name)
    # Switch back with /kenh, answering with the label's words.
    await tg.send("/kenh")
    await tg.expect("qua ứng dụng nào")
    await tg.press("Telegram")
    await tg.expect("Đã lưu", "Telegram")
    await queue(kit, person, "daily:test:2", "daily", Reply("📖 Bài học ngày mai"))
    await tg.expect("Bài học ngày mai")
    await zl.expect_nothing(within=0.3)


@ZALO
async def test_link_refusals_and_wrong_code_limit(kit):
    tg = await kit.join("5202", "Trần Văn Bình", on="telegram")
    zl = await kit.join("5202", "Bình Zalo", on="zalo")  # joined the same branch separately
    await tg.send("/lienket")
    code = (await tg.expect("Mã liên kết")).text.split("Mã liên kết của đồng chí: ")[1][:6]
    await tg.send(code)
    await tg.expect("nhập mã ở ứng dụng còn lại")
    await zl.send(code)
    await zl.expect("đều đã tham gia", kit.branch.name)
    assert await person_of(kit, "telegram", "5202") != await person_of(kit, "zalo", "z5202")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(kit.bot.settings.join_max_failures):
        await zl.send(wrong)
        await zl.expect("không đúng hoặc đã hết hạn")
    await zl.send(code)
    await zl.expect("sai mã liên kết quá nhiều lần")


@ZALO
async def test_wrong_link_code_lockout_survives_data_erasure(kit):
    tg = await kit.join("5203", "Kẻ Đoán Mã", on="telegram")
    for _ in range(kit.bot.settings.join_max_failures):
        await tg.send("/lienket 000000")
        await tg.expect("không đúng hoặc đã hết hạn")
    await tg.send("/lienket 000000")
    await tg.expect("sai mã liên kết quá nhiều lần")
    # Erasing the data makes a new person of the same Telegram account: the lockout still holds.
    await tg.send("/xoadulieu")
    await tg.expect("Xoá dữ liệu")
    await tg.press("Đồng ý xoá dữ liệu")
    await tg.expect("đã được xoá")
    code = await kit.branch.join_code(kit.bot)
    await tg.send(f"/start {code}")
    await tg.expect("đã được gửi tới bí thư")
    zl = kit.zalo_user("5204", "Người Thật")
    await zl.send("/lienket")
    real = (await zl.expect("Mã liên kết")).text.split("Mã liên kết của đồng chí: ")[1][:6]
    await tg.send(real)  # even a right code is refused while the account is locked
    await tg.expect("sai mã liên kết quá nhiều lần")
    assert await person_of(kit, "telegram", "5203") != await person_of(kit, "zalo", "z5204")
    # Another account is not locked by it.
    other = await kit.join("5205", "Lê Bình", on="telegram")
    await other.send("/lienket 000000")
    await other.expect("không đúng hoặc đã hết hạn")


@pytest.fixture
def kit_extra():
    return {"zalo_monthly_quota": 10, "zalo_quota_warn_percent": 80}


@ZALO
async def test_quota_warning_then_daily_pause_while_replies_go_out(kit):
    an = await kit.join("5203", "Trần Văn An")  # 2 Zalo messages: request sent, approved
    app = kit.bot.app
    person = await person_of(kit, "zalo", "z5203")
    for _ in range(6):  # 8 of 10: the warning threshold
        await an.send("/toi")
        await an.expect("👤")
    warning = await kit.branch.secretary.expect("Hạn mức tin nhắn Zalo", "8/10", "80%")
    assert "<b>" in warning.html  # the secretary is on Telegram
    await an.send("/toi")
    await an.expect("👤")
    await queue(kit, person, "daily:q:1", "daily", Reply("📖 Bài trước khi hết"))
    await an.expect("Bài trước khi hết")  # the 10th message: the limit is reached
    await kit.branch.secretary.expect("Đã hết hạn mức tin nhắn Zalo", "tạm dừng đến ngày 01/04/2026")
    await queue(kit, person, "daily:q:2", "daily", Reply("📖 Bài bị tạm dừng"))
    await kit.bot.drain()
    for _ in range(100):  # the running sender loop may hold the row ("sending") while drain() found none
        async with app.db.session() as s:
            row = (await s.execute(select(OutboxMessage).where(OutboxMessage.key == "daily:q:2"))).scalar_one()
        if row.status != "sending":
            break
        await asyncio.sleep(0.02)
    assert row.status == "skipped" and "quota" in (row.last_error or "")
    await an.send("/toi")  # a direct reply still goes out
    await an.expect("👤")
    await queue(kit, person, "notice:q:3", "notice", Reply("Thông báo họp chi bộ"))
    await an.expect("Thông báo họp chi bộ")  # so do notices
    assert not any("Bài bị tạm dừng" in m.text for m in an.messages())
    quota = app.services.get(ZaloQuotaService)
    for _ in range(100):  # the count is written just after the fake records the message
        if await quota.used("main") == 12:
            break
        await asyncio.sleep(0.02)
    async with app.db.session() as s:
        deps = app.services.deps
        figures = await deps.ext.branch_figures(s, deps, kit.branch.branch_id, app.clock.now() - timedelta(days=30),
                                                app.clock.now())
    assert figures["zalo_quota_limit"] == 10 and figures["zalo_quota_used"] == 12
    # A new month starts afresh.
    kit.bot.app.clock.set(app.clock.now().replace(month=4, day=1) + timedelta(hours=2))
    await queue(kit, person, "daily:q:4", "daily", Reply("📖 Bài tháng mới"))
    await an.expect("Bài tháng mới")


@ZALO
async def test_photo_from_zalo_reaches_a_telegram_secretary(kit):
    app = kit.bot.app
    an = await kit.join("5204", "Trần Văn An")
    person = await person_of(kit, "telegram", str(kit.branch.secretary.id))

    async def photo_to_secretary(ctx: Ctx) -> None:  # what a feature (e.g. deeds) does with a photo
        kept = await keep_media(ctx, ctx.inbound.media[0])
        async with app.db.session() as s:
            await enqueue_for_person(s, person, key=f"photo:{kept.media_key}", kind="notice",
                                     reply=Reply("Ảnh từ Zalo", media=kept), due_at=app.clock.now())

    app.registry.fallbacks.insert(0, FallbackSpec(photo_to_secretary, 0, True, "test"))
    await an.send_photo(TINY_PNG, caption="Việc tốt")
    got = await kit.branch.secretary.expect("Ảnh từ Zalo")
    assert got.photo
    file_id = got.raw.record.photo[-1]["file_id"]
    assert kit.fake_tg.files[file_id].data == TINY_PNG
    assert app.services.get(MediaStore).exists(__import__("hashlib").sha256(TINY_PNG).hexdigest())


@ZALO
async def test_photo_we_hold_goes_to_zalo_by_signed_expiring_link(kit):
    app = kit.bot.app
    an = await kit.join("5205", "Trần Văn An")
    key = await app.services.get(MediaStore).save(TINY_PNG, "image/png")
    await queue(kit, await person_of(kit, "zalo", "z5205"), "photo:1", "notice",
                Reply("Ảnh việc tốt", media=MediaRef(kind="photo", media_key=key)))
    got = await an.expect("Ảnh việc tốt")
    url = got.raw.photo_url
    assert got.photo and url.startswith(kit.bot.zalo.local_url + "/m/") and key not in url
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200 and await resp.read() == TINY_PNG
        token = url.rsplit("/", 1)[1]
        forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        async with http.get(url.rsplit("/", 1)[0] + "/" + forged) as resp:
            assert resp.status == 404
        app.clock.advance(timedelta(hours=kit.bot.settings.media_link_ttl_hours + 1))
        async with http.get(url) as resp:
            assert resp.status == 410


@pytest.mark.parametrize("channel", ["telegram"])
async def test_without_zalo_nothing_zalo_runs(kit):
    assert kit.zalo is None and kit.bot.zalo is not None and not kit.bot.zalo.channels
    assert not any(k.startswith("zalo") for k in kit.bot.app.channels)
