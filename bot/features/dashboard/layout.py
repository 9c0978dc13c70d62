"""The page shell around a Page: header (who is signed in, in which role), navigation, the period selector,
the logout form. No inline script or style anywhere (the CSP forbids both): behaviour is static/dashboard.js,
looks are static/dashboard.css."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from bot.features.dashboard.page import PERIODS, Page
from bot.i18n import _, current_locale

ASSET_VERSION = "1"


def _a(text: object) -> str:
    """Escape for text and attribute values alike."""
    return escape(str(text), quote=True)


def role_label(role: str) -> str:
    return {"committee": _("Party committee"), "secretary": _("Branch secretary"),
            "member": _("Party member")}.get(role, "")


def period_label(period: str) -> str:
    return {"m": _("This month"), "q": _("This quarter"), "y": _("This year")}[period]


def _period_nav(page: Page, path: str) -> str:
    if page.period is None:
        return ""
    links = []
    for p in PERIODS:
        current = ' aria-current="page" class="chip on"' if p == page.period else ' class="chip"'
        links.append(f'<a{current} href="{_a(path)}?{urlencode({"period": p})}">{_a(period_label(p))}</a>')
    return f'<nav class="periods" aria-label="{_a(_("Period"))}">{"".join(links)}</nav>'


def shell(title: str, main: str, *, who: str = "", role: str = "", csrf: str = "", home: str = "") -> str:
    """A whole HTML document. ``title`` and ``who`` are plain text; ``main`` is escaped HTML."""
    header_right = ""
    if csrf:
        header_right = (
            f'<div class="who"><span class="name">{_a(who)}</span>'
            f'<span class="role">{_a(role_label(role))}</span></div>'
            f'<form method="post" action="/dashboard/logout" class="logout">'
            f'<input type="hidden" name="csrf" value="{_a(csrf)}">'
            f'<button type="submit">{_a(_("Sign out"))}</button></form>'
        )
    brand = f'<a class="brand" href="{_a(home or "/dashboard/")}">{_a(_("Học Bác dashboard"))}</a>'
    return (
        "<!doctype html>"
        f'<html lang="{_a(current_locale())}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_a(title)} · Học Bác</title>"
        f'<link rel="stylesheet" href="/dashboard/static/dashboard.css?v={ASSET_VERSION}">'
        f'<script src="/dashboard/static/dashboard.js?v={ASSET_VERSION}" defer></script>'
        "</head><body>"
        f'<header class="top">{brand}{header_right}</header>'
        f'<main id="main">{main}</main>'
        "</body></html>"
    )


def render_page(page: Page, *, path: str, who: str, role: str, csrf: str, home: str) -> str:
    crumbs = "".join(f'<a href="{_a(href)}">{_a(label)}</a> › ' for label, href in page.crumbs)
    main = (
        (f'<nav class="crumbs">{crumbs}</nav>' if crumbs else "")
        + f"<h1>{_a(page.title)}</h1>"
        + _period_nav(page, path)
        + f'<div class="body">{page.body}</div>'
    )
    return shell(page.title, main, who=who, role=role, csrf=csrf, home=home)


def render_message(title: str, text: str, *, who: str = "", role: str = "", csrf: str = "",
                   telegram_signin: bool = False) -> str:
    """A page of one message (sign in, refused, not found…). ``text`` is plain text."""
    extra = ""
    if telegram_signin:
        # dashboard.js posts Telegram's initData here when the page runs as a Mini App.
        extra = ('<form id="tg-signin" method="post" action="/dashboard/telegram" hidden>'
                 '<input type="hidden" name="init_data" value=""></form>')
    main = f'<h1>{_a(title)}</h1><p class="message">{_a(text)}</p>{extra}'
    return shell(title, main, who=who, role=role, csrf=csrf)


def render_signin(action: str) -> str:
    """The sign-in link's page: one button that opens the session (dashboard.js presses it at once)."""
    main = (f"<h1>{_a(_('Sign in'))}</h1>"
            f'<form id="signin-form" method="post" action="{_a(action)}">'
            f'<p class="message">{_a(_("Opening the dashboard…"))}</p>'
            f'<button type="submit" class="button">{_a(_("Continue"))}</button></form>')
    return shell(_("Sign in"), main)
