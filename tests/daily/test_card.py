"""The large-print card ("Nhận kèm ảnh chữ lớn"): its image (size, not pixels), its font's coverage of every
shipped item, its text rules, its cache, and the chats: /caidat turns it on and the next daily item arrives
as a photo on Telegram and as one photo message on Zalo."""

from __future__ import annotations

import asyncio
import io
import struct
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from matplotlib.ft2font import FT2Font

from bot.content import ContentItem
from bot.features.daily import card as card_mod
from bot.features.daily.card import (
    FONT_BOLD,
    FONT_REGULAR,
    MIN_PX,
    WIDTH,
    CardStore,
    card_text,
    font_path,
    layout,
    render_card,
)
from bot.features.daily.catalog import shipped_items
from bot.features.daily.delivery import DailyDelivery
from bot.features.zalo_quota.service import ZaloQuotaService
from tests.conftest import join_member
from tests.daily.conftest import tick_at

TITLE = "Học Bác mỗi ngày"
ZALO = pytest.mark.parametrize("channel", ["zalo"])


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _item(text: str, **fields: object) -> ContentItem:
    values: dict[str, object] = {"id": "t", "kind": "quote", "text": text, "source_url": "https://baochinhphu.vn/x"}
    values.update(fields)
    return ContentItem(**values)  # type: ignore[arg-type]


# --- the image -------------------------------------------------------------------------------------------


def test_golden_card_size_and_dimensions():
    items = shipped_items()
    short = min(items, key=lambda i: len(i.text))
    long = max(items, key=lambda i: len(i.text))
    sizes = {}
    for item in (short, long):
        data = render_card(item)
        width, height = _png_size(data)
        assert width == WIDTH == 1080
        assert 600 <= height <= 4000, (item.id, height)
        assert 15_000 <= len(data) <= 1_500_000, (item.id, len(data))
        sizes[item.id] = height
    assert sizes[long.id] > sizes[short.id]  # the card grows with the text
    # A long text wraps to many lines and still fits: the height follows the line count.
    very_long = _item(" ".join(["Đoàn kết, đoàn kết, đại đoàn kết."] * 60))
    width, height = _png_size(render_card(very_long))
    assert width == 1080 and height > sizes[long.id]


def test_every_text_is_at_least_28_px_and_wraps_within_the_card():
    for item in shipped_items():
        blocks, _height = layout(card_text(item))
        assert all(b.size >= MIN_PX >= 28 and b.font.size == b.size for b in blocks), item.id
        for b in blocks:
            assert all(b.font.getlength(line) <= WIDTH - 2 * card_mod.MARGIN for line in b.lines), item.id


def test_font_covers_every_character_of_every_shipped_card():
    """DejaVu Sans (bundled with matplotlib) has a glyph for every character the card draws, so no
    Vietnamese letter falls back to a box."""
    charmaps = {name: set(FT2Font(str(font_path(name))).get_charmap()) for name in (FONT_REGULAR, FONT_BOLD)}
    missing: dict[str, set[str]] = {}
    for item in shipped_items():
        for ch in card_text(item).all_text():
            if ch.isspace():
                continue
            for name, cmap in charmaps.items():
                if ord(ch) not in cmap:
                    missing.setdefault(name, set()).add(f"{ch} U+{ord(ch):04X} ({item.id})")
    assert not missing, missing
    # And the check can fail: a character DejaVu lacks is reported.
    assert 0x4E2D not in charmaps[FONT_REGULAR]  # "中"


def _v2_ship_entries() -> list[dict]:
    """corpus v2's ship entries from ../shared, when present (the library is rebuilt from it)."""
    import yaml

    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "content" / "hcm-quotes-v2.yaml"
        if path.exists():
            return [d for d in yaml.safe_load(path.read_text(encoding="utf-8")) if d.get("status") == "ship"]
    pytest.skip("shared/content/hcm-quotes-v2.yaml is not present")


def test_font_covers_every_character_of_corpus_v2():
    """Also v2's fields the model may not carry yet (via, source_outlet): read straight from the file."""
    cmap = set(FT2Font(str(font_path(FONT_REGULAR))).get_charmap()) & set(
        FT2Font(str(font_path(FONT_BOLD))).get_charmap())
    entries = _v2_ship_entries()
    missing = set()
    for d in entries:
        fields = {k: d.get(k) for k in ("id", "text", "work", "date", "citation", "source_url", "lead", "via",
                                        "source_outlet")}
        for ch in card_text(SimpleNamespace(**fields)).all_text():  # type: ignore[arg-type]
            if not ch.isspace() and ord(ch) not in cmap:
                missing.add(f"{ch} U+{ord(ch):04X} ({d['id']})")
    assert entries and not missing, missing


# --- the text ----------------------------------------------------------------------------------------------


def test_card_text_rules():
    t = card_text(_item("Dân ta phải giữ nước ta, / Dân là con nước, nước là mẹ chung", work="Thơ",
                        date="1946-03", citation="Toàn tập, t.4, tr.1", note="INTERNAL NOTE never shown"))
    assert t.quote == "“Dân ta phải giữ nước ta,\nDân là con nước, nước là mẹ chung”"
    assert t.attribution == "— Hồ Chí Minh, Thơ, 03/1946"
    assert t.details == ("Toàn tập, t.4, tr.1", "Nguồn: baochinhphu.vn")  # the site when no outlet is named
    assert "INTERNAL" not in t.all_text()
    # No doubled opening mark when the text starts with one; no work: name and date only.
    t = card_text(_item("“Không có gì quý hơn độc lập, tự do”", date="1966-07-17"))
    assert t.quote == "“Không có gì quý hơn độc lập, tự do”" and not t.quote.startswith("““")
    assert t.attribution == "— Hồ Chí Minh, 17/07/1966"
    # v2's "via" and "source_outlet", once the model carries them.
    v2 = SimpleNamespace(text="Học ở trường", work=None, date="1950", citation=None, lead=None,
                         source_url="https://qpvn.vn/x", via="sách “Bác Hồ”, Nxb CTQG-ST", source_outlet="QPVN")
    assert card_text(v2).details == ("Trích theo: sách “Bác Hồ”, Nxb CTQG-ST", "Nguồn: QPVN")  # type: ignore[arg-type]
    # A text that opens with a quotation of its own keeps every word inside one pair of marks, as the message does.
    t = card_text(_item("“Quan tham vì dân dại”. Nếu dân hiểu biết thì quan phải hóa ra LIÊM."))
    assert t.quote == "«“Quan tham vì dân dại”. Nếu dân hiểu biết thì quan phải hóa ra LIÊM.»"
    # An imported item says which đảng bộ added it, as the daily message does.
    t = card_text(_item("Học ở trường", owner_org_id=4), "Đảng bộ xã An Bình")
    assert t.details[-1] == "Do Đảng bộ xã An Bình bổ sung"


# --- the cache ---------------------------------------------------------------------------------------------


async def test_card_is_drawn_once_and_reused_by_another_worker(bot, monkeypatch):
    calls: list[str] = []
    real = card_mod.render_card

    def counting(item: ContentItem, added_by: str | None = None) -> bytes:
        calls.append(item.id)
        return real(item, added_by)

    monkeypatch.setattr(card_mod, "render_card", counting)
    item = shipped_items()[0]
    store = bot.app.services.get(DailyDelivery).cards
    keys = await asyncio.gather(*(store.media_key(item) for _ in range(3)))
    assert len(set(keys)) == 1 and calls == [item.id]
    # A second worker with the same media folder finds it without drawing.
    other = CardStore(bot.app.services.deps)
    assert await other.media_key(item) == keys[0] and calls == [item.id]
    data, _name = await store.media.read(keys[0])
    assert _png_size(data)[0] == 1080
    # A changed item (new text or fields) is a new card.
    changed = ContentItem(**{**{f: getattr(item, f) for f in item.__slots__}, "work": "Một tác phẩm khác"})
    assert await store.media_key(changed) != keys[0] and calls == [item.id, item.id]


# --- the chats ---------------------------------------------------------------------------------------------


async def test_caidat_turns_the_card_on_and_the_daily_item_comes_with_it_on_telegram(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5301, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5302, "Lê Thị Bình")
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Nhận kèm ảnh chữ lớn")
    await an.expect("Đã lưu", "ảnh chữ lớn")
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 30))
    photo = await an.expect()  # the card comes first (with the text as its caption when it fits)
    assert photo.photo, an.transcript()
    if TITLE not in photo.text:
        await an.expect(TITLE, "— Hồ Chí Minh")  # a text too long for a caption follows it
    file_id = photo.raw.record.photo[-1]["file_id"]
    width, height = _png_size(fake_tg.files[file_id].data)
    assert width == 1080 and height >= 600
    # /homnay shows the same card (from the cache: the same file).
    await an.send("/homnay")
    again = await an.expect()
    assert again.photo and fake_tg.files[again.raw.record.photo[-1]["file_id"]].data == fake_tg.files[file_id].data
    if TITLE not in again.text:
        await an.expect(TITLE)
    # Bình did not turn it on: text only.
    plain = await binh.expect(TITLE)
    assert not plain.photo
    # Turned off again: the next day is text only.
    await an.send("/caidat")
    await an.expect("Nhận kèm ảnh chữ lớn")
    await an.press("Tắt ảnh chữ lớn")
    await an.expect("Đã lưu", "không gửi kèm ảnh chữ lớn")
    await tick_at(bot, clock, datetime(2026, 3, 4, 6, 30))
    again = await an.expect(TITLE)
    assert not again.photo


@ZALO
async def test_card_on_zalo_is_one_photo_message_with_the_item_as_caption(kit, clock):
    app = kit.bot.app
    an = await kit.join("5303", "Trần Văn An")
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Nhận kèm ảnh chữ lớn")
    await an.expect("Đã lưu", "ảnh chữ lớn")
    quota = app.services.get(ZaloQuotaService)

    async def counted() -> int:
        """The month's count once it has caught up with what An's chat shows (Zalo's only chat here: the
        secretary is on Telegram); it is written just after the fake records a message."""
        for _ in range(200):
            used = await quota.used("main")
            if used >= len(an.messages()):
                return used
            await asyncio.sleep(0.02)
        return await quota.used("main")

    before, seen = await counted(), len(an.messages())
    assert before == seen
    await tick_at(kit.bot, clock, datetime(2026, 3, 3, 6, 30))
    msg = await an.expect(TITLE, "— Hồ Chí Minh")
    assert msg.photo, an.transcript()  # the item's text is the photo's caption
    await an.expect_nothing(0.3)
    new = an.messages()[seen:]
    assert len(new) == 1 and new[0].photo_url, [str(m) for m in new]
    assert await counted() == before + 1  # one message for the quota
    # The link serves the card itself.
    async with aiohttp.ClientSession() as http, http.get(new[0].photo_url) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        data = await resp.read()
    assert _png_size(data)[0] == 1080
    await an.press("Đã đọc ✓")  # the numbered choice is still in the caption
    await an.expect_nothing(0.3)  # recorded silently on Zalo: it costs no message of the month
    from bot.features.daily.reading import DailyReading
    from tests.conversations.test_zalo_cross import person_of

    assert await app.services.get(DailyReading).streak(await person_of(kit, "zalo", "z5303")) == 1


def test_card_text_is_plain_and_png_is_readable():
    """The drawn image opens as a 1080-wide RGB picture (what phones show and forward)."""
    from PIL import Image

    img = Image.open(io.BytesIO(render_card(shipped_items()[0])))
    assert img.size[0] == 1080 and img.mode == "RGB"


@pytest.mark.postgres
async def test_card_setting_and_delivery_on_postgres(tmp_path, clock, fake_tg, pg_db_url):
    """The new column and the delivery query's union (a boolean literal beside the column) on PostgreSQL."""
    from bot.config import Settings
    from bot.devtools.harness import TEST_TOKEN, BotHarness
    from tests.conftest import ADMIN_TG_ID, seed_branch

    fake_tg.limits.enabled = False
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        branch = await seed_branch(harness, fake_tg)
        an = await join_member(harness, fake_tg, branch, 5311, "Trần Văn An")
        binh = await join_member(harness, fake_tg, branch, 5312, "Lê Thị Bình")
        await an.send("/caidat")
        await an.expect("Cài đặt Học Bác mỗi ngày")
        await an.press("Nhận kèm ảnh chữ lớn")
        await an.expect("Đã lưu", "ảnh chữ lớn")
        await tick_at(harness, clock, datetime(2026, 3, 3, 6, 30))
        got = await an.expect(TITLE)
        assert got.photo and _png_size(fake_tg.files[got.raw.record.photo[-1]["file_id"]].data)[0] == 1080
        assert not (await binh.expect(TITLE)).photo
    finally:
        await harness.stop()
