"""The web dashboard in a real headless browser (Playwright + Debian's Chromium), signed in through the chat.

`hocbac demo` runs the real bot and serves the dashboard under /dashboard/. Each persona sends
/bangdieukhien in their chat (the demo's JSON API, as the page's chat box does) and the browser opens the
link from the bot's button: the committee admin (Minh), the secretary (Lan) and a member (An), each at phone
width (412 px) and desktop width. Each sees exactly what the role allows; screenshots are kept under
artifacts/screenshots/ (the paths are printed). Skips locally without Playwright or /usr/bin/chromium;
fails when CI=true (tests.conftest.require_or_skip).
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from tests.browser.test_demo_browser import CHROMIUM, CHROMIUM_ARGS, demo_url  # noqa: F401  (fixture)
from tests.conftest import REPO, require_or_skip

pytestmark = pytest.mark.browser

SHOTS = REPO / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 412, "height": 915}, "desktop": {"width": 1280, "height": 860}}


def _api(base: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _chat_link(base: str, persona: str) -> str:
    """The persona sends /bangdieukhien; the URL of the sign-in button the bot answers with."""
    after = _api(base, f"/api/chat/{persona}")["seq"]
    _api(base, "/api/send", {"persona": persona, "text": "/bangdieukhien"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = _api(base, f"/api/chat/{persona}?after={after}&wait=5")["items"]
        for item in items:
            for row in item.get("buttons") or []:
                for button in row:
                    if "/dashboard/signin/" in (button.get("url") or ""):
                        return button["url"]
    pytest.fail(f"{persona}: no sign-in link in the chat")


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "playwright is not installed (pip install -e '.[browser]')")
    require_or_skip(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, size: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A CSP violation shows as a console error ("Refused to …"); refused pages (403) are expected here.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "Refused" in msg.text
            else None)
    # Every asset of the dashboard loads (the browser's own /favicon.ico aside).
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404
            and "/dashboard/static/" in r.url else None)
    page.goto(url)
    return context, page, errors


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"dashboard screenshot: {path}")
    assert path.stat().st_size > 5_000


def _no_horizontal_scroll(page) -> None:  # type: ignore[no-untyped-def]
    """At 412 px the page itself never scrolls sideways (wide tables scroll inside their box)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_each_role_sees_its_own_dashboard(browser, demo_url: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    for size in VIEWPORTS:
        # The committee admin: every branch of the đảng bộ, one row each.
        context, page, errors = _open(browser, _chat_link(demo_url, "minh"), size)
        expect(page.locator("h1")).to_have_text("Đảng bộ xã An Bình")
        expect(page.locator(".top .name")).to_have_text("Hoàng Văn Minh")
        expect(page.locator(".top .role")).to_have_text("Cấp uỷ")
        for branch in ("Chi bộ thôn 1", "Chi bộ thôn 2"):
            expect(page.locator(".body tbody tr", has_text=branch)).to_have_count(1)
        expect(page.locator(".periods a")).to_have_count(3)
        if size == "phone":
            _no_horizontal_scroll(page)
        _shot(page, f"dashboard-committee-{size}")
        # Another đảng bộ's page is refused with a page, not a trace.
        answer = page.goto(demo_url + "/dashboard/org/999")
        assert answer is not None and answer.status == 403
        expect(page.locator("h1")).to_have_text("Không được phép")
        assert not errors, errors
        context.close()

        # The secretary: her branch and its members; not the đảng bộ's page.
        context, page, errors = _open(browser, _chat_link(demo_url, "lan"), size)
        expect(page.locator("h1")).to_have_text("Chi bộ thôn 1")
        for name in ("Trần Văn An", "Lê Thị Bình", "Phạm Minh Cường"):
            expect(page.locator(".body", has_text=name)).to_be_visible()
        expect(page.locator(".top .role")).to_have_text("Bí thư chi bộ")
        if size == "phone":
            _no_horizontal_scroll(page)
        _shot(page, f"dashboard-secretary-{size}")
        home = page.url
        answer = page.goto(demo_url + "/dashboard/org/1")
        assert answer is not None and answer.status == 403
        page.goto(home)
        # Signing out ends the session (the form carries the CSRF token).
        page.locator(".logout button").click()
        expect(page.locator("h1")).to_have_text("Đã đăng xuất")
        answer = page.goto(home)
        assert answer is not None and answer.status == 401
        assert not errors, errors
        context.close()

        # A member: his own page only.
        context, page, errors = _open(browser, _chat_link(demo_url, "an"), size)
        expect(page.locator("h1")).to_have_text("Hồ sơ năm của Trần Văn An")
        expect(page.locator(".top .role")).to_have_text("Đảng viên")
        expect(page.locator("body")).not_to_contain_text("Lê Thị Bình")
        _shot(page, f"dashboard-member-{size}")
        answer = page.goto(demo_url + "/dashboard/branch/1")
        assert answer is not None and answer.status == 403
        assert not errors, errors
        context.close()


def test_the_demo_page_links_the_dashboard_for_committee_and_secretary(browser, demo_url: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context, page, errors = _open(browser, demo_url, "desktop")
    expect(page.locator(".persona")).to_have_count(6)
    expect(page.locator(".dash-link")).to_have_count(2)
    with context.expect_page() as opened:
        page.locator('.dash-link[data-dashboard="minh"]').click()
    dash = opened.value
    dash.wait_for_load_state()
    expect(dash.locator("h1")).to_have_text("Đảng bộ xã An Bình")
    assert not errors, errors
    context.close()


def test_telegram_mini_app_signs_in_from_the_url_hash(browser, demo_url: str) -> None:  # noqa: F811
    """Telegram opens the Mini App at /dashboard/#tgWebAppData=…: dashboard.js posts it; a changed one fails."""
    from urllib.parse import quote

    from playwright.sync_api import expect

    from bot.devtools.harness import TEST_TOKEN
    from bot.features.dashboard.initdata import sign

    now = int(datetime.fromisoformat(_api(demo_url, "/api/personas")["clock"]["iso"]).timestamp())
    user = json.dumps({"id": 9101, "first_name": "Lan"}, separators=(",", ":"))
    init = sign({"auth_date": str(now), "query_id": "AAE1", "user": user}, TEST_TOKEN)
    tampered = init.replace("9101", "9201")
    context, page, errors = _open(browser, f"{demo_url}/dashboard/#tgWebAppData={quote(tampered)}", "phone")
    expect(page.locator("h1")).to_have_text("Không được phép")
    context.close()
    context, page, errors = _open(browser, f"{demo_url}/dashboard/#tgWebAppData={quote(init)}", "phone")
    expect(page.locator("h1")).to_have_text("Chi bộ thôn 1")
    expect(page.locator(".top .name")).to_have_text("Nguyễn Thị Lan")
    _shot(page, "dashboard-miniapp-phone")
    assert not errors, errors
    context.close()


def test_screenshots_dir_is_under_artifacts() -> None:
    assert Path(SHOTS).is_relative_to(REPO / "artifacts")
