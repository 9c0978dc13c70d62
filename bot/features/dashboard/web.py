"""The dashboard's web layer: an aiohttp sub-application mounted at /dashboard by `hocbac run` (its own
port), `hocbac web` (next to the webhook) and `hocbac demo`.

Every response carries a Content Security Policy without inline script or style, nosniff and no-referrer.
Every POST but the Mini App sign-in (whose proof is Telegram's signature) needs the session's CSRF token.
Domain errors become friendly pages (400/403/404/429), anything else a 500 page: never a traceback.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.features.dashboard import audit_view, branch, committee, member
from bot.features.dashboard.layout import render_message, render_page, render_signin
from bot.features.dashboard.page import Download, Page
from bot.features.dashboard.signin import SESSION_TTL, DashboardAuth, Session
from bot.i18n import _, use_locale
from bot.services.actor import Actor
from bot.services.deps import Services
from bot.services.errors import DomainError, InvalidInput, NotFound, PermissionDenied, TooManyAttempts
from bot.services.identity import IdentityService
from bot.services.permissions import dashboard_home, dashboard_role

log = logging.getLogger("hocbac.dashboard")

PREFIX = "/dashboard"
COOKIE = "hocbac_dash"
STATIC = Path(__file__).with_name("static")
STATIC_FILES = {"dashboard.css": "text/css", "dashboard.js": "application/javascript"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors 'self' https://web.telegram.org")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
STATUS = {PermissionDenied: 403, NotFound: 404, InvalidInput: 400, TooManyAttempts: 429}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
MAX_FORM = 16 * 1024

@dataclass(frozen=True, slots=True)
class _Who:
    """The signed-in session and person of the request being served (one task per request)."""

    session: Session | None = None
    actor: Actor | None = None


_who: ContextVar[_Who] = ContextVar("dashboard_who", default=_Who())  # noqa: B039 (frozen)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Dashboard:
    """The routes. ``services`` is a callable: the demo binds its port before the bot exists."""

    def __init__(self, services: Services | Callable[[], Services]) -> None:
        self._services = services if callable(services) else (lambda: services)

    @property
    def services(self) -> Services:
        return self._services()

    @property
    def auth(self) -> DashboardAuth:
        return self.services.get(DashboardAuth)

    def app(self) -> web.Application:
        sub = web.Application(client_max_size=MAX_FORM, middlewares=[self._middleware])
        r = sub.router
        r.add_get("/", self.home)
        r.add_get(r"/org/{org_id:\d+}", self.org)
        r.add_get(r"/org/{org_id:\d+}/export.xlsx", self.org_export)
        r.add_get(r"/org/{org_id:\d+}/audit", self.audit)
        r.add_get(r"/branch/{branch_id:\d+}", self.branch)
        r.add_get(r"/branch/{branch_id:\d+}/export/{table:[a-z_]+}.xlsx", self.branch_export)
        r.add_get(r"/member/{person_id:\d+}", self.member)
        r.add_get("/signin/{token}", self.signin_form)
        r.add_post("/signin/{token}", self.signin)
        r.add_post("/logout", self.logout)
        r.add_post("/telegram", self.telegram)
        r.add_get("/static/{name}", self.static)
        r.add_route("*", "/{tail:.*}", self.not_found)
        return sub

    def mount(self, root: web.Application) -> None:
        root.add_subapp(PREFIX, self.app())

    # --- middleware ---------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        _who.set(_Who())
        try:
            session = await self.auth.session(request.cookies.get(COOKIE))
            actor = await self.services.get(IdentityService).actor_for_person(session.person_id) if session else None
            if actor is not None and session is not None:
                _who.set(_Who(session, actor))
            with use_locale(actor.locale if actor else "vi"):
                try:
                    # Signing in has no session yet: its proof is the link itself or Telegram's signature.
                    if request.method == "POST" and request.match_info.route.handler not in (self.telegram,
                                                                                            self.signin):
                        await self._check_csrf(request)
                    response = await handler(request)
                except _SignInNeeded:
                    response = self._signin_page(request, 401)
                except DomainError as exc:
                    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
                    response = self._message(request, _title(status), exc.message, status)
                except web.HTTPException as exc:
                    response = self._message(request, _title(exc.status), _("This page does not exist."),
                                             exc.status if exc.status in (404, 405, 413) else 400)
        except Exception:
            log.exception("dashboard page failed: %s %s", request.method, request.path)
            with use_locale("vi"):
                response = web.Response(text=render_message(_title(500), _(
                    "Something went wrong on our side. Please try again in a moment.")), status=500,
                    content_type="text/html", charset="utf-8")
        for key, value in HEADERS.items():
            response.headers[key] = value
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _check_csrf(self, request: web.Request) -> None:
        session: Session | None = _who.get().session
        form = await request.post()
        sent = str(form.get("csrf") or "")
        if session is None or not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            log.warning("dashboard: POST %s without a valid CSRF token", request.path)
            raise PermissionDenied(_("This form has expired. Please reload the page and try again."))

    def _message(self, request: web.Request, title: str, text: str, status: int,
                 telegram_signin: bool = False) -> web.Response:
        actor: Actor | None = _who.get().actor
        session: Session | None = _who.get().session
        html = render_message(title, text, who=actor.display_name if actor else "",
                              role=dashboard_role(actor) if actor else "",
                              csrf=session.csrf if session and actor else "", telegram_signin=telegram_signin)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def _page(self, request: web.Request, page: Page) -> web.Response:
        actor, session = _who.get().actor, _who.get().session
        assert actor is not None and session is not None  # a page function ran: _actor() saw the session
        home = dashboard_home(actor)
        html = render_page(page, path=request.path, who=actor.display_name, role=dashboard_role(actor),
                           csrf=session.csrf, home=f"{PREFIX}/{home[0]}/{home[1]}" if home else f"{PREFIX}/")
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    def _actor(self, request: web.Request) -> Actor:
        actor: Actor | None = _who.get().actor
        if actor is None:
            raise _SignInNeeded("")
        return actor

    # --- pages --------------------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        actor: Actor | None = _who.get().actor
        if actor is None:
            return self._signin_page(request, 200)
        where = dashboard_home(actor)
        if where is None:
            return self._message(request, _("Dashboard"), _("There is nothing to show yet: join a branch first."),
                                 200)
        return _redirect(f"{PREFIX}/{where[0]}/{where[1]}")

    def _signin_page(self, request: web.Request, status: int) -> web.Response:
        return self._message(request, _("Sign in"), _(
            "To open the dashboard, send /bangdieukhien to the Học Bác bot in the chat and open the link it "
            "sends (it works once, for 10 minutes)."), status, telegram_signin=True)

    async def org(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        page = await committee.committee_home(self.services.deps, actor, _id(request, "org_id"), _period(request))
        return self._page(request, page)

    async def org_export(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        return _download(await committee.committee_export(self.services.deps, actor, _id(request, "org_id"),
                                                          _period(request)))

    async def audit(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        return self._page(request, await audit_view.audit_page(self.services.deps, actor, _id(request, "org_id"),
                                                               _page_number(request)))

    async def branch(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        page = await branch.branch_page(self.services.deps, actor, _id(request, "branch_id"), _period(request))
        return self._page(request, page)

    async def branch_export(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        return _download(await branch.branch_export(self.services.deps, actor, _id(request, "branch_id"),
                                                    request.match_info["table"], _period(request)))

    async def member(self, request: web.Request) -> web.StreamResponse:
        actor = self._actor(request)
        raw = request.query.get("year")
        if raw is not None and not (raw.isdigit() and 2000 <= int(raw) <= 2100):
            raise InvalidInput(_("Unknown year."))
        page = await member.member_page(self.services.deps, actor, _id(request, "person_id"),
                                        int(raw) if raw else None)
        return self._page(request, page)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        raise NotFound(_("This page does not exist."))

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise NotFound(_("This page does not exist."))
        return web.Response(body=(STATIC / name).read_bytes(), content_type=STATIC_FILES[name], charset="utf-8",
                            headers={"Cache-Control": "public, max-age=3600"})

    # --- signing in and out -------------------------------------------------------------------------------

    async def signin_form(self, request: web.Request) -> web.StreamResponse:
        """Opening the link only shows a button (pressed by dashboard.js): a link preview or a mail scanner
        that fetches the URL never spends the one-time link; only the POST below does."""
        await self.auth.check_ip(request.remote or "")
        token = _token(request)
        if not await self.auth.is_live(token):
            raise PermissionDenied(_invalid_link())
        return web.Response(text=render_signin(f"{PREFIX}/signin/{token}"), content_type="text/html",
                            charset="utf-8")

    async def signin(self, request: web.Request) -> web.StreamResponse:
        await self.auth.check_ip(request.remote or "")
        token = _token(request)
        session: Session | None = _who.get().session
        signed = await self.auth.claim(token, current_person=session.person_id if session else None)
        if session is not None:
            await self.auth.logout(session.id)  # the same person again: one fresh session replaces the old
        response = _redirect(f"{PREFIX}/")
        self._set_cookie(request, response, signed.cookie, via_telegram=False)
        return response

    async def telegram(self, request: web.Request) -> web.StreamResponse:
        await self.auth.check_ip(request.remote or "")
        form = await request.post()
        signed = await self.auth.telegram_signin(str(form.get("init_data") or ""))
        response = _redirect(f"{PREFIX}/")
        self._set_cookie(request, response, signed.cookie, via_telegram=True)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session: Session | None = _who.get().session
        if session is not None:
            await self.auth.logout(session.id)
        _who.set(_Who())
        response = self._message(request, _("Signed out"), _(
            "You have signed out. Send /bangdieukhien in the chat to open the dashboard again."), 200)
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    def _set_cookie(self, request: web.Request, response: web.StreamResponse, value: str, *,
                    via_telegram: bool) -> None:
        url = self.services.deps.settings.dashboard_url or ""
        secure = request.secure or url.startswith("https://")
        # Inside Telegram Web the page is a cross-site frame: its cookie must be SameSite=None (https only).
        samesite = "None" if via_telegram and secure else "Lax"
        response.set_cookie(COOKIE, value, max_age=int(SESSION_TTL.total_seconds()), path=PREFIX, httponly=True,
                            secure=secure, samesite=samesite)


class _SignInNeeded(DomainError):
    """A page that needs a session, asked for without one."""


def _invalid_link() -> str:
    return _("This sign-in link is not valid, was already used or has expired (a link works once, for 10 "
             "minutes). Send /bangdieukhien in the chat for a new one.")


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not _TOKEN.match(token):
        raise PermissionDenied(_invalid_link())
    return token


def _title(status: int) -> str:
    return {400: _("Something is not right"), 403: _("Not allowed"), 404: _("Not found"),
            429: _("Please wait a little"), 500: _("Something went wrong"), 401: _("Sign in")}.get(
        status, _("Something is not right"))


def _id(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


def _period(request: web.Request) -> str:
    return request.query.get("period", "m")


def _page_number(request: web.Request) -> int:
    """?page=N of a paged list; anything that is not a small positive number is the first page."""
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _download(download: Download) -> web.Response:
    return web.Response(body=download.data, content_type=download.mime, headers={
        "Content-Disposition": f'attachment; filename="{download.filename}"'})


def mount(root: web.Application, services: Services | Callable[[], Services]) -> Any:
    """Mount the dashboard at /dashboard on ``root`` (`hocbac run`, `hocbac web`, `hocbac demo`)."""
    dashboard = Dashboard(services)
    dashboard.mount(root)
    return dashboard
