"""Who and what the demo is about: the organisation's names, the personas, and what seeding reports.

Kept apart from seed.py so the feature seeders (seed_features.py) and the seeding itself can both use it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.devtools.emulator import TelegramUser
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.deps import Services
from bot.services.identity import IdentityService

ORG_NAME = "Đảng bộ xã An Bình"
BRANCH_NAMES = ("Chi bộ thôn 1", "Chi bộ thôn 2")
ADMIN_ID = 9001
GROUP_CHAT_ID = -1001000000001
GROUP_TITLE = "Nhóm Chi bộ thôn 1"


@dataclass(frozen=True, slots=True)
class Persona:
    """Someone (or the branch group) whose chat the page can show."""

    key: str
    name: str
    role: str  # Vietnamese label shown under the name
    chat_id: int
    user_id: int  # who writes when this chat is shown (the secretary writes in the group)


SECRETARY = Persona("lan", "Nguyễn Thị Lan", "Bí thư chi bộ", 9101, 9101)
MEMBERS = (
    Persona("an", "Trần Văn An", "Đảng viên", 9201, 9201),
    Persona("binh", "Lê Thị Bình", "Đảng viên", 9202, 9202),
    Persona("cuong", "Phạm Minh Cường", "Đảng viên", 9203, 9203),
)
AN, BINH, CUONG = MEMBERS
# The đảng uỷ's admin (ban tuyên giáo): runs the committee's practices (emulation, contests, the library,
# dialogue, supervision) and sees every branch of the đảng bộ.
COMMITTEE = Persona("minh", "Hoàng Văn Minh", "Đảng uỷ xã (ban tuyên giáo)", 9301, 9301)
GROUP = Persona("group", GROUP_TITLE, "Nhóm chat của chi bộ", GROUP_CHAT_ID, SECRETARY.user_id)
PERSONAS = (SECRETARY, *MEMBERS, COMMITTEE, GROUP)


@dataclass
class SeedReport:
    org_id: int | None = None
    branch_ids: list[int] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)  # feature parts that were created
    skipped: list[str] = field(default_factory=list)  # feature parts whose module is missing
    reused: bool = False  # the database already had the demo data (--db kept from a previous run)


Say = Callable[[Persona, str], Awaitable[None]]


@dataclass
class SeedContext:
    """What a feature seeder gets: the services, the people as actors, and their scripted chats."""

    services: Services
    report: SeedReport
    admin: Actor  # the system admin (creates the đảng bộ, sets the year's theme)
    committee: Actor  # the COMMITTEE persona: admin of the đảng bộ, organiser of the committee's practices
    branch_id: int
    org_id: int
    users: dict[int, TelegramUser]  # Telegram user id -> the fake's scripted user
    say: Say  # a persona types in their chat (shown on the page)

    async def actor(self, persona: Persona) -> Actor:
        """The persona's current actor (memberships change while seeding, so never cached)."""
        ids = self.services.get(IdentityService)
        return await ids.resolve(UserRef("telegram", str(persona.user_id), persona.name), str(persona.user_id))


def striped_png(width: int, height: int, colours: tuple[tuple[int, int, int], ...] = ((218, 37, 29),
                                                                                      (255, 205, 0))) -> bytes:
    """A small striped RGB picture: visible in the page and in screenshots, unlike a 2×2 grey dot."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes(colours[(y // 12) % len(colours)]) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def persona_json(p: Persona) -> dict[str, Any]:
    return {"key": p.key, "name": p.name, "role": p.role, "chat_id": p.chat_id, "group": p.chat_id < 0}
