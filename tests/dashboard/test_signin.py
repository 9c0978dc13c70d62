"""The dashboard's sign-in and guard rails, through the chat (the real bot on the fake Telegram) and HTTP.

A link from /bangdieukhien opens a session once; a replayed, expired, forged or another account's link is
refused; each role reaches only its own pages; logout needs the CSRF token; every page carries the CSP and
no inline script; Telegram's initData is checked; guessing is rate-limited.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

import pytest
from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient, TestServer

from bot.compose import mount_dashboard
from bot.devtools.emulator import TelegramUser
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.dashboard.initdata import InitDataError, sign, validate
from bot.messages import Button, Reply
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID, SECRETARY_TG_ID, join_member, seed_branch

BASE = "https://dash.example.vn"


class Browser:
    """One browser (its own cookie jar) on the dashboard."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return await self.client.get(path, allow_redirects=kw.pop("follow", True), **kw)

    async def open_link(self, url: str, *, follow: bool = True):  # type: ignore[no-untyped-def]
        """Open the link as a browser does: its page, then the button dashboard.js presses (a POST)."""
        assert url.startswith(f"{BASE}/dashboard/signin/"), url
        page = await self.client.get(url.removeprefix(BASE))
        if page.status != 200:
            return page
        html = await page.text()
        assert 'id="signin-form"' in html and 'method="post"' in html
        _assert_safe_page(page, html)
        return await self.client.post(url.removeprefix(BASE), allow_redirects=follow)

    async def csrf(self, path: str) -> str:
        html = await (await self.get(path)).text()
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        assert match, html
        return match.group(1)


class Env:
    def __init__(self, bot: BotHarness, fake, branch, server: TestServer, clock) -> None:  # type: ignore[no-untyped-def]
        self.bot, self.fake, self.branch, self.server, self.clock = bot, fake, branch, server, clock
        self.clients: list[TestClient] = []

    async def browser(self) -> Browser:
        # The dashboard's cookie is Secure (DASHBOARD_URL is https); the test server speaks plain http.
        jar = CookieJar(unsafe=True, treat_as_secure_origin=[str(self.server.make_url("/"))]) \
            if self.server.runner else None
        client = TestClient(self.server, cookie_jar=jar)
        await client.start_server()
        self.clients.append(client)
        return Browser(client)

    async def link(self, user: TelegramUser) -> str:
        """/bangdieukhien in the chat; the URL of its sign-in button."""
        await user.send("/bangdieukhien")
        message = await user.expect("một lần", "10 phút")
        urls = [data for label, data in message.button_data if "Mở bảng điều khiển" in label]
        assert len(urls) == 1, message.button_data
        return urls[0]


@pytest.fixture
async def env(settings, clock, fake_tg):  # type: ignore[no-untyped-def]
    harness = BotHarness(settings.model_copy(update={"dashboard_url": BASE}), clock)
    await harness.start()
    branch = await seed_branch(harness, fake_tg)
    root = web.Application()
    assert harness.app is not None
    assert mount_dashboard(root, harness.app.services)
    server = TestServer(root)
    await server.start_server()
    e = Env(harness, fake_tg, branch, server, clock)
    try:
        yield e
    finally:
        for client in e.clients:
            await client.close()
        await server.close()
        await harness.stop()


async def _committee_admin(env: Env, org_id: int, user_id: int, name: str) -> TelegramUser:
    """A committee admin of ``org_id``, by the system admin's invite."""
    assert env.bot.app is not None
    services = env.bot.app.services
    ids, orgs = services.get(IdentityService), services.get(OrgService)
    admin = await ids.actor_for_person((await ids.resolve(_ref(ADMIN_TG_ID, "Quản trị"), str(ADMIN_TG_ID))).person_id)
    assert admin is not None
    code = await orgs.create_code(admin, kind="committee_admin", org_id=org_id)
    user = env.fake.user(user_id, name)
    await user.send(f"/start {code.code}")
    await user.expect("Đảng bộ")
    return user


def _ref(user_id: int, name: str):  # type: ignore[no-untyped-def]
    from bot.messages import UserRef

    return UserRef("telegram", str(user_id), name)


def _assert_safe_page(response, html: str) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline script"
    assert re.search(r"\son[a-z]+\s*=", html) is None, "inline event handler"
    assert " style=" not in html, "inline style"


async def test_secretary_signs_in_once_and_sees_only_her_branch(env: Env) -> None:
    sec = env.branch.secretary
    url = await env.link(sec)
    browser = await env.browser()
    # Only the page's POST spends the link: fetching it (a link preview) does not.
    assert (await (await env.browser()).get(url.removeprefix(BASE))).status == 200
    first = await browser.open_link(url, follow=False)
    assert first.status == 303
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Max-Age=28800" in cookie
    page = await browser.get("/dashboard/")
    html = await page.text()
    assert page.status == 200 and str(page.url).endswith(f"/dashboard/branch/{env.branch.branch_id}")
    assert "Chi bộ thôn 1" in html and "Nguyễn Thị Lan" in html and "Bí thư chi bộ" in html
    assert 'lang="vi"' in html and 'name="viewport"' in html
    _assert_safe_page(page, html)

    # The same link again, in another browser: refused.
    other = await env.browser()
    replay = await other.open_link(url)
    assert replay.status == 403 and "đã được dùng" in await replay.text()
    assert (await other.client.post(url.removeprefix(BASE))).status == 403  # the spending POST, replayed
    assert (await other.get(f"/dashboard/branch/{env.branch.branch_id}")).status == 401

    # Her session reaches neither the đảng bộ's page nor another đảng bộ's branch.
    assert (await browser.get(f"/dashboard/org/{env.branch.org_id}")).status == 403
    other_branch = await _other_org_branch(env)
    denied = await browser.get(f"/dashboard/branch/{other_branch}")
    assert denied.status == 403 and "không có quyền" in await denied.text()
    _assert_safe_page(denied, await denied.text())
    assert (await browser.get(f"/dashboard/branch/{env.branch.branch_id}/export/members.xlsx")).status == 200
    assert (await browser.get(f"/dashboard/org/{env.branch.org_id}/audit")).status == 403
    nowhere = await browser.get("/dashboard/khong-co")
    assert nowhere.status == 404 and "Traceback" not in await nowhere.text()
    assert (await browser.get(f"/dashboard/branch/{env.branch.branch_id}?period=x")).status == 400


async def _other_org_branch(env: Env) -> int:
    assert env.bot.app is not None
    services = env.bot.app.services
    ids, orgs = services.get(IdentityService), services.get(OrgService)
    admin = await ids.actor_for_person((await ids.resolve(_ref(ADMIN_TG_ID, "Quản trị"), str(ADMIN_TG_ID))).person_id)
    assert admin is not None
    org = await orgs.create_org(admin, "Đảng bộ xã Bình Minh")
    branch = await orgs.create_branch(admin, org.id, "Chi bộ Bình Minh 2")
    return int(branch.id)


async def test_expired_forged_and_another_accounts_links_are_refused(env: Env) -> None:
    sec = env.branch.secretary
    member = await join_member(env.bot, env.fake, env.branch, 5001, "Trần Văn An")
    browser = await env.browser()

    expired = await env.link(sec)
    env.clock.advance(timedelta(minutes=11))
    answer = await browser.open_link(expired)
    assert answer.status == 403 and "hết hạn" in await answer.text()

    forged = await browser.open_link(f"{BASE}/dashboard/signin/{secrets.token_urlsafe(32)}")
    assert forged.status == 403
    assert (await browser.open_link(f"{BASE}/dashboard/signin/%3Cscript%3E")).status == 403

    # The member signs in; the secretary's link opened in his browser does not switch accounts.
    await browser.open_link(await env.link(member))
    mine = await browser.get("/dashboard/")
    assert str(mine.url).endswith("/dashboard/member/" + str(await _person(env, 5001)))
    assert "Trần Văn An" in await mine.text()
    sec_link = await env.link(sec)
    taken = await browser.open_link(sec_link)
    assert taken.status == 403 and "tài khoản khác" in await taken.text()
    assert "Trần Văn An" in await (await browser.get("/dashboard/")).text()
    # ... and the secretary's link still works for her (it was not spent by the refusal).
    hers = await env.browser()
    assert "Chi bộ thôn 1" in await (await hers.open_link(sec_link)).text()

    # A member never sees another member's page, nor the branch's.
    lan = await _person(env, SECRETARY_TG_ID)
    assert (await browser.get(f"/dashboard/member/{lan}")).status == 403
    assert (await browser.get(f"/dashboard/branch/{env.branch.branch_id}")).status == 403
    # His secretary may open his page.
    assert "Trần Văn An" in await (await hers.get(f"/dashboard/member/{await _person(env, 5001)}")).text()


async def _person(env: Env, tg_id: int) -> int:
    assert env.bot.app is not None
    actor = await env.bot.app.services.get(IdentityService).resolve(_ref(tg_id, ""), str(tg_id))
    return actor.person_id


async def test_committee_admin_sees_every_branch_of_their_dang_bo_only(env: Env) -> None:
    other_branch = await _other_org_branch(env)
    minh = await _committee_admin(env, env.branch.org_id, 9301, "Hoàng Văn Minh")
    browser = await env.browser()
    home = await browser.open_link(await env.link(minh))
    html = await home.text()
    assert str(home.url).endswith(f"/dashboard/org/{env.branch.org_id}?period=m") or \
        str(home.url).endswith(f"/dashboard/org/{env.branch.org_id}")
    assert "Chi bộ thôn 1" in html and "Chi bộ Bình Minh 2" not in html and "Cấp uỷ" in html
    assert (await browser.get(f"/dashboard/branch/{env.branch.branch_id}")).status == 200
    assert (await browser.get(f"/dashboard/branch/{other_branch}")).status == 403
    assert (await browser.get("/dashboard/org/2")).status == 403
    export = await browser.get(f"/dashboard/org/{env.branch.org_id}/export.xlsx?period=y")
    assert export.status == 200 and (await export.read())[:2] == b"PK"
    audit = await browser.get(f"/dashboard/org/{env.branch.org_id}/audit")
    text = await audit.text()
    # The export is in the audit log, in plain words (no internal action code on the page).
    assert audit.status == 200 and "Tải một bảng từ bảng điều khiển" in text and "dashboard.export" not in text


async def test_logout_needs_the_csrf_token_and_ends_the_session(env: Env) -> None:
    browser = await env.browser()
    await browser.open_link(await env.link(env.branch.secretary))
    path = f"/dashboard/branch/{env.branch.branch_id}"
    token = await browser.csrf(path)
    refused = await browser.client.post("/dashboard/logout", data={})
    assert refused.status == 403
    assert (await browser.client.post("/dashboard/logout", data={"csrf": "x" * len(token)})).status == 403
    assert (await browser.get(path)).status == 200  # still signed in
    out = await browser.client.post("/dashboard/logout", data={"csrf": token})
    assert out.status == 200 and "Đã đăng xuất" in await out.text()
    after = await browser.get(path)
    assert after.status == 401 and "/bangdieukhien" in await after.text()


async def test_the_session_expires_after_8_hours(env: Env) -> None:
    browser = await env.browser()
    await browser.open_link(await env.link(env.branch.secretary))
    path = f"/dashboard/branch/{env.branch.branch_id}"
    env.clock.advance(timedelta(hours=7, minutes=50))
    assert (await browser.get(path)).status == 200
    env.clock.advance(timedelta(minutes=11))
    assert (await browser.get(path)).status == 401


async def test_links_are_rate_limited_per_person_and_per_address(env: Env) -> None:
    sec = env.branch.secretary
    for _ in range(5):
        await env.link(sec)
    await sec.send("/bangdieukhien")
    await sec.expect("5 link đăng nhập trong một giờ qua")
    browser = await env.browser()
    statuses = [(await browser.open_link(f"{BASE}/dashboard/signin/{secrets.token_urlsafe(32)}")).status
                for _ in range(21)]
    # Spent or not, every attempt counts: a POST of a guessed token is refused the same way.
    assert (await browser.client.post(f"/dashboard/signin/{secrets.token_urlsafe(32)}")).status == 429
    assert statuses[:20] == [403] * 20 and statuses[20] == 429


def _init_data(user_id: int, when: int, token: str = TEST_TOKEN) -> str:
    return sign({"auth_date": str(when), "query_id": "AAH1",
                 "user": json.dumps({"id": user_id, "first_name": "Lan"}, separators=(",", ":"))}, token)


async def test_telegram_mini_app_signs_in_with_valid_init_data_only(env: Env) -> None:
    now = int(env.clock.now().timestamp())
    good = _init_data(SECRETARY_TG_ID, now)
    user = validate(good, TEST_TOKEN, env.clock.now())
    assert user.user_id == str(SECRETARY_TG_ID)
    tampered = good.replace(f"%22id%22%3A{SECRETARY_TG_ID}", "%22id%22%3A5001")
    assert tampered != good
    with pytest.raises(InitDataError):
        validate(tampered, TEST_TOKEN, env.clock.now())
    with pytest.raises(InitDataError):
        validate(_init_data(SECRETARY_TG_ID, now, token="999:other-bot"), TEST_TOKEN, env.clock.now())
    stale = _init_data(SECRETARY_TG_ID, now - 2 * 3600)
    with pytest.raises(InitDataError):
        validate(stale, TEST_TOKEN, env.clock.now())

    browser = await env.browser()
    for bad in (tampered, stale, ""):
        answer = await browser.client.post("/dashboard/telegram", data={"init_data": bad})
        assert answer.status == 403
    assert (await browser.get(f"/dashboard/branch/{env.branch.branch_id}")).status == 401
    ok = await browser.client.post("/dashboard/telegram", data={"init_data": good}, allow_redirects=False)
    assert ok.status == 303 and "HttpOnly" in ok.headers["Set-Cookie"]
    assert "SameSite=None" in ok.headers["Set-Cookie"]  # https: the Mini App runs in Telegram Web's frame
    page = await browser.get("/dashboard/")
    assert "Chi bộ thôn 1" in await page.text()


async def test_chat_reply_offers_a_mini_app_button_on_telegram(env: Env) -> None:
    sec = env.branch.secretary
    await sec.send("/bangdieukhien")
    message = await sec.expect("một lần")
    rows = message.raw.reply_markup["inline_keyboard"]
    web_apps = [b for row in rows for b in row if "web_app" in b]
    assert len(web_apps) == 1 and web_apps[0]["web_app"]["url"] == f"{BASE}/dashboard/"
    reply = Reply(text="x", buttons=[[Button("a", url=f"{BASE}/dashboard/", web_app=True)]])
    assert Reply.from_dict(reply.to_dict()).buttons[0][0].web_app is True


async def test_without_a_dashboard_url_the_secretary_is_told_what_to_ask(bot, branch) -> None:  # type: ignore[no-untyped-def]
    await branch.secretary.send("/bangdieukhien")
    await branch.secretary.expect("DASHBOARD_URL", "người quản trị")


async def test_user_text_is_escaped_in_every_page(env: Env) -> None:
    hostile = '<img src=x onerror="alert(1)">&amp;'
    await join_member(env.bot, env.fake, env.branch, 5009, hostile)
    browser = await env.browser()
    await browser.open_link(await env.link(env.branch.secretary))
    page = await browser.get(f"/dashboard/branch/{env.branch.branch_id}")
    html = await page.text()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;" in html or \
        "&lt;img src=x onerror=\"alert(1)\"&gt;&amp;amp;" in html
    assert "<img" not in html
    _assert_safe_page(page, html.replace("onerror", "on-error"))  # the escaped text itself is harmless
