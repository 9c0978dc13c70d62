"""`hocbac demo` played in a real headless browser (Playwright + Debian's Chromium).

Skips locally without Playwright or /usr/bin/chromium; fails when CI=true (tests.conftest.require_or_skip).
Leaves a screenshot at artifacts/demo.png (the path is printed).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devtools.demo.cast import striped_png
from tests.conftest import REPO, require_or_skip

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("HOCBAC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = REPO / "artifacts" / "demo.png"


@pytest.fixture
def demo_url() -> Iterator[str]:
    """`hocbac demo --port 0` as a subprocess; its one line tells the page's address."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(90, proc.kill)  # a hung start must not hang the suite
    killer.start()
    try:
        line = proc.stdout.readline() if proc.stdout else ""
    finally:
        killer.cancel()
    match = re.search(r"Mở (http://127\.0\.0\.1:\d+) để thử", line)
    if match is None:
        proc.kill()
        _out, err = proc.communicate(timeout=10)
        pytest.fail(f"hocbac demo did not announce its page: {line!r}\n{err[-3000:]}")
    try:
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        assert proc.returncode == 0, f"hocbac demo exited with {proc.returncode}:\n{err[-3000:]}"


@pytest.fixture
def browser_page():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "playwright is not installed (pip install -e '.[browser]')")
    require_or_skip(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="vi-VN")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        yield page
        browser.close()
        assert not errors, f"the page raised: {errors}"


def test_demo_story_in_a_browser(browser_page, demo_url: str) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(10_000)
    page.goto(demo_url)
    expect(page.locator(".persona")).to_have_count(6)
    expect(page.locator(".persona .name")).to_have_text(
        ["Nguyễn Thị Lan", "Trần Văn An", "Lê Thị Bình", "Phạm Minh Cường", "Hoàng Văn Minh", "Nhóm Chi bộ thôn 1"])
    bot_says = page.locator(".row.bot")
    daily_items = bot_says.filter(has_text="Học Bác mỗi ngày")

    # A member, welcomed after approval, opens today's item from the big menu button: the quote, its
    # source line and the đảng bộ's year theme, with the voluntary "Đã đọc ✓".
    page.click('[data-persona="an"]')
    expect(page.locator("#chat-title")).to_contain_text("Trần Văn An")
    expect(bot_says.filter(has_text="đã được duyệt")).to_be_visible()
    expect(bot_says.filter(has_text="Phiếu đăng ký năm")).to_contain_text("đã được bí thư duyệt")
    page.locator(".menu-btn", has_text="📖 Học Bác hôm nay").click()
    expect(page.locator(".row.user", has_text="📖 Học Bác hôm nay")).to_be_visible()
    expect(daily_items).to_have_count(1)
    today = daily_items.first
    expect(today).to_contain_text("Chuyên đề năm")
    expect(today).to_contain_text("— Hồ Chí Minh")
    expect(today.locator(".inline-btn", has_text="Đã đọc ✓")).to_be_visible()
    first_quote = _quote(today.locator(".body").inner_text())

    # Text a person types is shown literally, never as markup.
    page.fill("#text", '<img src=x onerror="alert(1)"> & <b>đậm</b>')
    page.click("#send")
    typed = page.locator(".row.user").last
    expect(typed).to_contain_text('<img src=x onerror="alert(1)"> & <b>đậm</b>')
    expect(typed.locator("img")).to_have_count(0)

    # He reports a deed: a photo from the attach button with its caption, then "Có, ghi nhận".
    page.fill("#text", "Dọn vệ sinh đường làng sáng nay")
    page.set_input_files("#photo-input", files=[{"name": "viec-tot.png", "mimeType": "image/png",
                                                 "buffer": striped_png(240, 160)}])
    photo = page.locator(".row.user img.photo").last
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 240", arg=photo.element_handle())
    expect(page.locator(".row.user").last).to_contain_text("Dọn vệ sinh đường làng sáng nay")
    question = bot_says.filter(has_text="Ghi nhận đây là việc tốt?").last
    expect(question).to_contain_text("Dọn vệ sinh đường làng sáng nay")
    question.locator(".inline-btn", has_text="Có, ghi nhận").click()
    expect(bot_says.filter(has_text="đang chờ bí thư duyệt")).to_be_visible()

    # The secretary: the join requests approved in place, Bình's pledge waiting for her.
    page.click('[data-persona="lan"]')
    expect(page.locator("#chat-title")).to_contain_text("Nguyễn Thị Lan")
    for name in ("Trần Văn An", "Lê Thị Bình", "Phạm Minh Cường"):
        approved = bot_says.filter(has_text=f"Đã duyệt: {name}")
        expect(approved).to_have_count(1)
        expect(approved.locator(".inline-btn")).to_have_count(0)
        expect(approved.locator(".meta")).to_contain_text("đã sửa")
    expect(bot_says.filter(has_text="xin tham gia")).to_have_count(0)
    waiting = bot_says.filter(has_text="Phiếu đăng ký mới cần duyệt").filter(has_text="Lê Thị Bình")
    expect(waiting.locator(".inline-btn", has_text="Duyệt phiếu")).to_be_visible()

    # At her digest time (19:00) one summary comes; its button opens the pending deeds with their photos;
    # she accepts An's.
    page.click("#digest")
    expect(page.locator("#clock")).to_contain_text("19:00")
    summary = bot_says.filter(has_text="việc tốt chờ duyệt")
    expect(summary).to_be_visible()
    summary.locator(".inline-btn", has_text="Mở để duyệt").click()
    card = bot_says.filter(has_text="Trần Văn An").filter(has_text="Dọn vệ sinh đường làng sáng nay")
    expect(card.locator("img.photo")).to_be_visible()
    # The photo the member sent reaches her through the media store, and it really shows.
    page.wait_for_function("img => img.complete && img.naturalWidth === 240",
                           arg=card.locator("img.photo").element_handle())
    expect(bot_says.filter(has_text="Lê Thị Bình").filter(has_text="Kèm hai cháu")).to_be_visible()
    card.locator(".inline-btn", has_text="✅ Ghi nhận").click()
    expect(bot_says.filter(has_text="Đã ghi nhận: Trần Văn An")).to_be_visible()

    # The đảng uỷ's admin is a persona of their own: their chat opened when they joined by the committee invite.
    page.click('[data-persona="minh"]')
    expect(bot_says.first).to_be_visible()

    # The branch group is one more chat: linked for the daily item, with the commended example.
    page.click('[data-persona="group"]')
    expect(page.locator("#chat-sub")).to_contain_text("Nguyễn Thị Lan")
    expect(bot_says.filter(has_text="đã được liên kết")).to_be_visible()
    expect(bot_says.filter(has_text="Gương việc tốt").filter(has_text="Phạm Minh Cường")).to_be_visible()

    # Back to the member: the secretary's answer reached him. The next morning brings a new item.
    page.click('[data-persona="an"]')
    expect(bot_says.filter(has_text="đã được chi bộ ghi nhận").filter(has_text="Dọn vệ sinh")).to_be_visible()
    before = page.locator("#clock").inner_text()
    page.click("#next-morning")
    expect(page.locator("#clock")).to_contain_text("06:30")
    assert page.locator("#clock").inner_text() != before
    expect(daily_items).to_have_count(2)
    tomorrow = daily_items.last
    expect(tomorrow.locator(".meta")).to_contain_text("06:30")
    expect(tomorrow).to_contain_text("— Hồ Chí Minh")
    assert _quote(tomorrow.locator(".body").inner_text()) != first_quote  # no repeat the next day
    tomorrow.scroll_into_view_if_needed()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    print(f"demo screenshot: {SCREENSHOT}")
    assert SCREENSHOT.stat().st_size > 10_000

    # The meeting button jumps to the scheduled meeting; on the way, the RSVP reminder reached him.
    # The clock walks every hour up to the meeting (a day and a half away), running the ticks at each stop:
    # on a loaded 2-core machine that takes longer than expect's default 5 s.
    page.click("#meeting")
    expect(page.locator("#clock")).to_contain_text("19:30", timeout=60_000)
    expect(bot_says.filter(has_text="Nhắc lại").filter(has_text="Giấy mời sinh hoạt")).to_be_visible(timeout=30_000)


def _quote(text: str) -> str:
    """The quoted teaching inside a daily item (between the curly quotes)."""
    match = re.search(r"“(.+?)”", text, re.S)
    assert match, f"no quote in {text!r}"
    return match.group(1)
