"""Signed, expiring links to files in the media store: ``{PUBLIC_BASE_URL}/m/<token>``.

Zalo can only send a photo by URL, so a photo we hold (e.g. a deed photo sent on Telegram) is served
here. A token is ``base64url(sha256 key + expiry)`` followed by a truncated HMAC-SHA256 of it under
MEDIA_LINK_SECRET: it cannot be guessed or altered, and it stops working after MEDIA_LINK_TTL_HOURS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.clock import Clock

log = logging.getLogger("hocbac.media_links")

_SIG_BYTES = 16
ROUTE = "/m/{token}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MediaLinks:
    def __init__(self, secret: str, base_url: str, clock: Clock, ttl: timedelta) -> None:
        if len(secret) < 16:
            raise ValueError("the media link secret must be at least 16 characters")
        self._secret = secret.encode()
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.ttl = ttl

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()[:_SIG_BYTES]

    def token(self, media_key: str) -> str:
        expires = int((self.clock.now() + self.ttl).timestamp())
        body = bytes.fromhex(media_key) + expires.to_bytes(5, "big")
        return _b64(body + self._sign(body))

    def url(self, media_key: str) -> str | None:
        """The public URL of a stored file (what ZaloChannel's ``public_url`` wants)."""
        try:
            return f"{self.base_url}/m/{self.token(media_key)}"
        except ValueError:
            log.warning("media link asked for a malformed key")
            return None

    def verify(self, token: str) -> tuple[str | None, bool]:
        """(media key, expired). The key is None for anything forged, altered or malformed."""
        try:
            raw = _unb64(token)
        except (binascii.Error, ValueError):
            return None, False
        if len(raw) != 32 + 5 + _SIG_BYTES:
            return None, False
        body, sig = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
        if not hmac.compare_digest(sig, self._sign(body)):
            return None, False
        expires = int.from_bytes(body[32:], "big")
        return body[:32].hex(), self.clock.now().timestamp() > expires


MediaReader = Callable[[str], Awaitable[tuple[bytes, str]]]


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF"):
        return "application/pdf"
    return "application/octet-stream"


Handler = Callable[[web.Request], Awaitable[web.Response]]


def make_media_handler(links: MediaLinks, read: MediaReader) -> Handler:
    """``GET /m/<token>``: 404 for a forged or unknown link, 410 once it expired, else the file."""

    async def serve_media(request: web.Request) -> web.Response:
        key, expired = links.verify(request.match_info["token"])
        if key is None:
            return web.Response(status=404, text="not found")
        if expired:
            return web.Response(status=410, text="link expired")
        try:
            data, _name = await read(key)
        except Exception:  # the store raises its own "unknown file" error
            return web.Response(status=404, text="not found")
        # Private and short-lived: no shared caches, no indexing.
        return web.Response(body=data, content_type=_sniff(data),
                            headers={"Cache-Control": "private, max-age=3600", "X-Robots-Tag": "noindex"})

    return serve_media
