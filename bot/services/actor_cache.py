"""The actor of a chat account, kept for a few seconds so an update does not read it again.

Key: the account (channel, bot, external_id). Value: the resolved ``Actor`` and the identity facts the
hot path compares (reachable, last seen, the name the channel sends). Bounded (LRU) and short-lived.

Why a version per account, checked on every update (one Redis GET), and not pub/sub: a published
invalidation reaches other workers *some time* after the change, and not at all while a subscriber
reconnects, so a revoked role could still be served; the GET is ordered with the update itself. A writer
changes the database, commits, then bumps the version of every account of the people it changed
(``invalidate``); a reader reads the version *before* loading, so an actor loaded from before a commit
is stored under the old version and is never served after the bump. Without Redis (SQLite, one
process) the versions are a dictionary of this process; another process writing (a command-line tool)
is then seen after at most ``ACTOR_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services.actor import Actor

log = logging.getLogger("hocbac.identity")

Account = tuple[str, str, str]  # (channel, bot, external_id)

MAX_ENTRIES = 5000  # a few seconds of distinct senders per worker; ~1 KB each


@dataclass(slots=True)
class Cached:
    actor: Actor
    reachable: bool
    last_seen_at: datetime | None
    seen_name: str  # the identity's display name as the channel last sent it
    version: Any  # the account's version read before the actor was loaded
    expires: float  # time.monotonic()


# ``resolve(..., version=NOT_READ)``: the caller did not read the version beforehand (see RedisLocks' reads).
NOT_READ: Any = object()


class ActorCache:
    def __init__(self, seconds: float, redis: Any = None, prefix: str = "hocbac:",
                 size: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.redis = redis
        self.prefix = f"{prefix}actor:v:"
        self.size = size
        self._entries: OrderedDict[Account, Cached] = OrderedDict()
        self._local_versions: dict[Account, int] = {}
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def _key(self, account: Account) -> str:
        # The external id is last and may hold anything but the other parts do not contain "|".
        return f"{self.prefix}{account[0]}|{account[1]}|{account[2]}"

    def version_read_key(self, account: Account) -> str | None:
        """The Redis key a caller may read together with other keys (before loading), or None."""
        return self._key(account) if self.enabled and self.redis is not None else None

    async def version(self, account: Account) -> Any:
        """The account's current version (None until it is first changed)."""
        if self.redis is not None:
            return await self.redis.get(self._key(account))
        return self._local_versions.get(account)

    def get(self, account: Account, version: Any) -> Cached | None:
        entry = self._entries.get(account)
        if entry is None:
            self.misses += 1
            return None
        if entry.version != version or entry.expires <= time.monotonic():
            del self._entries[account]  # stale: forget it now (it may hold an erased name)
            self.misses += 1
            return None
        self._entries.move_to_end(account)
        self.hits += 1
        return entry

    def put(self, account: Account, entry: Cached) -> None:
        if not self.enabled:
            return
        self._entries[account] = entry
        self._entries.move_to_end(account)
        now = time.monotonic()
        while self._entries:  # the least recently used: over the bound, or expired (a swept name is gone)
            oldest = next(iter(self._entries.values()))
            if len(self._entries) <= self.size and oldest.expires > now:
                break
            self._entries.popitem(last=False)

    def expiry(self, read_at: float) -> float:
        return read_at + self.seconds

    async def bump(self, accounts: Iterable[Account]) -> None:
        """Make every worker's copy of these accounts stale (after the change is committed)."""
        accounts = set(accounts)
        if not accounts:
            return
        for account in accounts:
            self._entries.pop(account, None)
        if self.redis is None:
            for account in accounts:
                self._local_versions[account] = self._local_versions.get(account, 0) + 1
            return
        # The version key outlives every entry read before the bump (expiry > TTL), so a key that
        # expires can never make an old entry's version current again.
        keep_ms = int((self.seconds + 60) * 1000)
        async with self.redis.pipeline(transaction=False) as pipe:
            for account in accounts:
                key = self._key(account)
                pipe.incr(key)
                pipe.pexpire(key, keep_ms)
            await pipe.execute()
