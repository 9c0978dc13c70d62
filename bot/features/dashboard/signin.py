"""Sign-in without passwords. /bangdieukhien issues a one-time link (random, stored hashed, bound to the
person, valid 10 minutes); opening it claims it with one conditional UPDATE, so two tabs racing for the same
link get one session between them. A session is a server-side row; the cookie holds only its random id.
In Telegram the page opens as a Mini App and signs in with Telegram's signed ``initData`` instead.

Guessing is rate-limited twice: links per person per hour (asking), attempts per IP address (opening).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from bot.features.dashboard.initdata import InitDataError, validate
from bot.features.dashboard.models import DashboardAttempt, DashboardLink, DashboardSession
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import InvalidInput, PermissionDenied, TooManyAttempts
from storage.models.people import Identity

log = logging.getLogger("hocbac.dashboard")

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
IP_WINDOW = timedelta(minutes=10)
SIGNIN_PATH = "/dashboard/signin/"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session just opened: ``cookie`` goes to the browser (never stored), ``csrf`` into every form."""

    cookie: str
    person_id: int
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    person_id: int
    csrf: str
    expires_at: datetime


class DashboardAuth:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- the link -----------------------------------------------------------------------------------------

    def base_url(self) -> str | None:
        return self.deps.settings.dashboard_url

    async def issue_link(self, actor: Actor) -> str:
        """A fresh one-time sign-in URL for the actor (``TooManyAttempts`` past the hourly limit)."""
        base = self.base_url()
        if not base:
            raise InvalidInput(_("The web dashboard is not set up on this server yet. Please ask the "
                                 "administrator of the bot to set DASHBOARD_URL."))
        now = self.deps.clock.now()
        limit = self.deps.settings.dashboard_link_per_hour
        async with self.deps.db.session() as s:
            recent = (await s.execute(select(func.count()).select_from(DashboardLink).where(
                DashboardLink.person_id == actor.person_id,
                DashboardLink.created_at >= now - timedelta(hours=1)))).scalar_one()
            if recent >= limit:
                raise TooManyAttempts(_("You have asked for {count} sign-in links in the last hour. Please "
                                        "use the latest one, or try again later.").format(count=recent))
            # Older unused links of this person stop working: only the newest one opens a session.
            await s.execute(update(DashboardLink).where(DashboardLink.person_id == actor.person_id,
                                                        DashboardLink.used_at.is_(None)).values(used_at=now))
            token = secrets.token_urlsafe(32)
            s.add(DashboardLink(token_hash=_hash(token), person_id=actor.person_id, created_at=now,
                                expires_at=now + LINK_TTL))
        return f"{base}{SIGNIN_PATH}{token}"

    async def check_ip(self, ip: str) -> None:
        """Count one sign-in attempt from ``ip``; ``TooManyAttempts`` past the limit for the window."""
        now = self.deps.clock.now()
        ip_hash = _hash(f"ip:{ip}")
        async with self.deps.db.session() as s:
            await s.execute(delete(DashboardAttempt).where(DashboardAttempt.at < now - IP_WINDOW))
            count = (await s.execute(select(func.count()).select_from(DashboardAttempt).where(
                DashboardAttempt.ip_hash == ip_hash))).scalar_one()
            if count >= self.deps.settings.dashboard_ip_per_10min:
                raise TooManyAttempts(_("Too many sign-in attempts from this address. Please wait 10 minutes "
                                        "and try again."))
            s.add(DashboardAttempt(ip_hash=ip_hash, at=now))

    async def is_live(self, token: str) -> bool:
        """The link exists, is unused and unexpired (nothing is changed: opening the page does not spend it)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            found = (await s.execute(select(DashboardLink.id).where(
                DashboardLink.token_hash == _hash(token), DashboardLink.used_at.is_(None),
                DashboardLink.expires_at > now))).scalar_one_or_none()
        return found is not None

    async def claim(self, token: str, *, current_person: int | None = None) -> SignedIn:
        """Open a session with a link: unused, unexpired, and never for another signed-in account."""
        now = self.deps.clock.now()
        token_hash = _hash(token)
        async with self.deps.db.session() as s:
            link = (await s.execute(select(DashboardLink).where(DashboardLink.token_hash == token_hash))
                    ).scalar_one_or_none()
            if link is not None and current_person is not None and link.person_id != current_person:
                # This browser is signed in as someone else: a forwarded link must not switch accounts.
                log.warning("dashboard link of person %s opened in a session of person %s",
                            link.person_id, current_person)
                raise PermissionDenied(_("This sign-in link belongs to another account. Sign out first, or "
                                         "send /bangdieukhien from your own account."))
            claimed = await s.execute(update(DashboardLink).where(
                DashboardLink.token_hash == token_hash, DashboardLink.used_at.is_(None),
                DashboardLink.expires_at > now).values(used_at=now))
            if link is None or claimed.rowcount != 1:
                raise PermissionDenied(_("This sign-in link is not valid, was already used or has expired "
                                         "(a link works once, for 10 minutes). Send /bangdieukhien in the chat "
                                         "for a new one."))
            return await self._open(s, link.person_id, "link", now)

    async def _open(self, s, person_id: int, via: str, now: datetime) -> SignedIn:  # type: ignore[no-untyped-def]
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await s.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
        s.add(DashboardSession(id_hash=_hash(cookie), person_id=person_id, csrf=csrf, created_at=now,
                               expires_at=now + SESSION_TTL, via=via))
        return SignedIn(cookie, person_id, csrf, now + SESSION_TTL)

    # --- Telegram Mini App --------------------------------------------------------------------------------

    def _bots(self) -> list[tuple[str, str]]:
        """(bot key, token) of every Telegram bot of this deployment: the default one first."""
        settings = self.deps.settings
        bots = [("", settings.token)] if getattr(settings, "token", None) else []
        for bot in getattr(settings, "telegram_bots", None) or []:  # several bots (TELEGRAM_BOTS), when set
            bots.append((bot.key, bot.token.get_secret_value() if hasattr(bot.token, "get_secret_value")
                         else str(bot.token)))
        return bots

    async def telegram_signin(self, init_data: str) -> SignedIn:
        """A session for the person behind a genuine Mini App ``initData`` (their Telegram account)."""
        now = self.deps.clock.now()
        for key, token in self._bots():
            try:
                user = validate(init_data, token, now)
            except InitDataError:
                continue
            async with self.deps.db.session() as s:
                person_id = (await s.execute(select(Identity.person_id).where(
                    Identity.channel == "telegram", Identity.bot == key,
                    Identity.external_id == user.user_id))).scalar_one_or_none()
                if person_id is None:
                    raise PermissionDenied(_("This Telegram account has not used the bot yet. Send /start to "
                                             "the bot first."))
                return await self._open(s, int(person_id), "telegram", now)
        log.warning("dashboard: Mini App sign-in with initData that does not verify")
        raise PermissionDenied(_("Telegram's sign-in data could not be verified. Close the page and open it "
                                 "again from the chat."))

    # --- sessions -----------------------------------------------------------------------------------------

    async def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            row = (await s.execute(select(DashboardSession).where(
                DashboardSession.id_hash == _hash(cookie), DashboardSession.expires_at > now))
                   ).scalar_one_or_none()
            if row is None or row.id is None:
                return None
            return Session(row.id, row.person_id, row.csrf, row.expires_at)

    async def logout(self, session_id: int) -> None:
        async with self.deps.db.session() as s:
            await s.execute(delete(DashboardSession).where(DashboardSession.id == session_id))
