"""Telegram Mini App sign-in: the ``initData`` string Telegram hands the page, checked as Telegram documents
it (core.telegram.org/bots/webapps, "Validating data received via the Mini App"):

    secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)
    hash       = hex(HMAC_SHA256(key=secret_key, msg=data_check_string))

where ``data_check_string`` is every received field except ``hash``, sorted by key, as ``key=value`` lines.
Nothing in it is trusted before the hash matches (compared in constant time) and ``auth_date`` is fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)  # an initData older than this is refused (a copied one cannot be replayed later)
MAX_LENGTH = 8192


class InitDataError(ValueError):
    """initData that is not Telegram's, was changed, or is too old."""


@dataclass(frozen=True, slots=True)
class MiniAppUser:
    user_id: str
    name: str
    username: str
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData for ``fields`` signed as Telegram signs it (tests and the demo: there is no Telegram there)."""
    from urllib.parse import urlencode

    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate(init_data: str, bot_token: str, now: datetime, max_age: timedelta = MAX_AGE) -> MiniAppUser:
    """The Telegram user of a genuine, fresh ``init_data``; ``InitDataError`` otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH or not bot_token:
        raise InitDataError("empty or oversized initData")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field appears twice")
    received = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise InitDataError("initData signature does not match")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
        user = json.loads(fields["user"])
        user_id = str(int(user["id"]))
    except (KeyError, ValueError, TypeError):
        raise InitDataError("initData lacks auth_date or user") from None
    if now - auth_date > max_age or auth_date - now > timedelta(minutes=5):
        raise InitDataError("initData is too old")
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return MiniAppUser(user_id, name, str(user.get("username") or ""), auth_date)
