"""Demo data for `hocbac demo`, created through the real services (never raw SQL).

One đảng bộ with two chi bộ, a secretary and three members of the first chi bộ. The members join with a
code through ``OrgService.redeem`` and the secretary approves each request by pressing "Duyệt" on the
notice the bot sent her, so her chat shows the real join flow (requests edited in place).

Then each feature's own data, through that feature's service (``FEATURE_SEEDERS``):
- daily:    the đảng bộ's year theme, and the branch group linked for the daily item (the secretary
            types /lienketnhom in the group, as she would);
- meetings: the next regular meeting of Chi bộ thôn 1, at 19:30 two days ahead, its notice sent to
            members ("⏩ Đến giờ họp" jumps to it through the ``next_meeting`` provider);
- pledges:  An's pledge approved (the secretary presses "✅ Duyệt phiếu"), Bình's waiting for her,
            Cường without a pledge;
- deeds:    Cường's deed commended (and posted to the group), An's accepted with a photo, Bình's
            waiting with a photo for the secretary's 19:00 digest.
A feature whose module is missing from the tree is skipped and listed in ``SeedReport.skipped``.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from bot.devtools.demo import seed_features
from bot.devtools.demo.cast import (  # noqa: F401  (re-exported: the server and tests use these names)
    ADMIN_ID,
    BRANCH_NAMES,
    COMMITTEE,
    GROUP,
    GROUP_CHAT_ID,
    GROUP_TITLE,
    MEMBERS,
    ORG_NAME,
    PERSONAS,
    SECRETARY,
    Persona,
    Say,
    SeedContext,
    SeedReport,
    persona_json,
)
from bot.devtools.demo.seed_emulation import seed_emulation
from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import BotHarness
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.deps import Services
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Identity

log = logging.getLogger("hocbac.demo")

# feature -> (its service module, seeder). In this order: the group is linked before a commended deed is
# shared to it, and members are reachable before pledges and deeds tell them anything.
FeatureSeeder = Callable[[SeedContext], Awaitable[None]]
FEATURE_SEEDERS: dict[str, tuple[str, FeatureSeeder]] = {
    "daily": ("bot.features.daily.library", seed_features.seed_daily),
    "meetings": ("bot.features.meetings.scheduling", seed_features.seed_meetings),
    "library": ("bot.features.library.service", seed_features.seed_library),
    "pledges": ("bot.features.pledges.drafting", seed_features.seed_pledges),
    "deeds": ("bot.features.deeds.reporting", seed_features.seed_deeds),
    "dialogue": ("bot.features.dialogue.service", seed_features.seed_dialogue),
    "emulation": ("bot.features.emulation.service", seed_emulation),
    "contests": ("bot.features.contests.service", seed_features.seed_contests),
    "supervision": ("bot.features.supervision.service", seed_features.seed_supervision_visit),
}


def module_present(name: str) -> bool:
    """True when the module exists in this tree (an import error inside it is not hidden)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def make_users(fake: FakeTelegram) -> dict[int, TelegramUser]:
    """The fake's scripted users for every persona, and the branch group chat."""
    users = {p.user_id: fake.user(p.user_id, *_split(p.name)) for p in (SECRETARY, *MEMBERS, COMMITTEE)}
    fake.group(GROUP.chat_id, GROUP.name)
    return users


def _split(name: str) -> tuple[str, str]:
    # Telegram keeps first/last name apart; the adapter joins them back ("Trần Văn An").
    first, _sep, last = name.partition(" ")
    return first, last


async def _resolve(ids: IdentityService, user_id: int, name: str) -> Actor:
    return await ids.resolve(UserRef("telegram", str(user_id), name), str(user_id))


async def seed(harness: BotHarness, users: dict[int, TelegramUser], say: Say) -> SeedReport:
    """Create the demo organisation, people and feature data. Safe to call on a kept database.

    ``say(persona, text)`` makes a persona type in their chat where the page shows it.
    """
    assert harness.app is not None
    services = harness.app.services
    ids = services.get(IdentityService)
    org_svc = services.get(OrgService)
    report = SeedReport()
    if await _already_seeded(services):
        report.reused = True
        orgs = await org_svc.list_orgs()
        report.org_id = orgs[0].id if orgs else None
        report.branch_ids = [b.id for b in await org_svc.list_branches(report.org_id) if b.id is not None]
        for persona in (SECRETARY, *MEMBERS, COMMITTEE):
            await say(persona, "/start")  # a fresh fake has empty chats: greet each, menus come back
        return report

    admin = await _resolve(ids, ADMIN_ID, "Quản trị hệ thống")
    org = await org_svc.create_org(admin, ORG_NAME)
    assert org.id is not None
    branches = [await org_svc.create_branch(admin, org.id, name) for name in BRANCH_NAMES]
    report.org_id = org.id
    report.branch_ids = [b.id for b in branches if b.id is not None]
    home = branches[0]
    assert home.id is not None

    # The đảng uỷ's admin joins by the committee invite, as a real one would.
    committee_invite = await org_svc.create_code(admin, kind="committee_admin", org_id=org.id)
    committee = await _resolve(ids, COMMITTEE.user_id, COMMITTEE.name)
    await org_svc.redeem(committee, committee_invite.code)
    committee = await ids.actor_for_person(committee.person_id) or committee
    await say(COMMITTEE, "/start")

    invite = await org_svc.create_code(admin, kind="secretary", branch_id=home.id)
    secretary = await _resolve(ids, SECRETARY.user_id, SECRETARY.name)
    await org_svc.redeem(secretary, invite.code)
    secretary = await ids.actor_for_person(secretary.person_id) or secretary
    sec_user = users[SECRETARY.user_id]
    await say(SECRETARY, "/start")  # her chat opens with the welcome and the secretary's menu
    await sec_user.expect("Chào mừng", timeout=10)

    # Members ask to join; the bot tells the secretary, who approves each request with its button.
    code = await org_svc.create_code(secretary, kind="member", branch_id=home.id)
    for member in MEMBERS:
        actor = await _resolve(ids, member.user_id, member.name)
        await org_svc.redeem(actor, code.code)
    await _approve_all(sec_user, [m.name for m in MEMBERS])
    for member in MEMBERS:
        await users[member.user_id].expect("đã được duyệt", timeout=10)

    ctx = SeedContext(services=services, report=report, admin=admin, committee=committee, branch_id=home.id,
                      org_id=org.id, users=users, say=say)
    for feature, (module, seeder) in FEATURE_SEEDERS.items():
        if not module_present(module):
            report.skipped.append(feature)
            continue
        await seeder(ctx)
        report.seeded.append(feature)
    return report


async def _approve_all(secretary: TelegramUser, names: list[str]) -> None:
    """Press "Duyệt" on each join request (they may arrive in any order) and wait for the edits."""

    def shown(fragment: str) -> dict[str, Any]:
        found = {}
        for event in secretary.bot_events(secretary.chat_key):
            for name in names:
                if fragment in event.text and name in event.text:
                    found[name] = event
        return found

    await secretary.fake.wait_for(lambda: len(shown("xin tham gia")) == len(names), timeout=10)
    for message in shown("xin tham gia").values():
        await secretary.press("Duyệt", message)
    await secretary.fake.wait_for(lambda: len(shown("Đã duyệt")) == len(names), timeout=10)


async def person_id(services: Services, persona: Persona) -> int | None:
    """The person behind a persona's Telegram account, if seeded."""
    async with services.deps.db.session() as s:
        found = await s.execute(select(Identity.person_id).where(Identity.channel == "telegram",
                                                                  Identity.external_id == str(persona.user_id)))
        return found.scalar_one_or_none()


async def _already_seeded(services: Services) -> bool:
    return await person_id(services, SECRETARY) is not None
