"""/tailieu: one page of a member's library search over 2,000 items (SQLite), with and without typed words.

    .venv/bin/python benchmarks/bench_library.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN
from bot.features.library.service import Library
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Membership

ITEMS = 2000
RUNS = 50


async def main() -> None:
    folder = Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN,  # type: ignore[call-arg]
                        database_url=f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}",
                        admin_ids=["telegram:1"], media_dir=folder / "media")
    app = await App.create(settings)
    ids = app.services.get(IdentityService)
    org = app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", "1", "Quản trị"), "1")
    dang_bo = await org.create_org(admin, "Đảng bộ A")
    branch = await org.create_branch(admin, dang_bo.id, "Chi bộ 1")
    lib = app.services.get(Library)
    for i in range(ITEMS):
        scope = f"o:{dang_bo.id}" if i % 2 else f"b:{branch.id}"
        await lib.add(admin, scope, title=f"Nghị quyết số {i} về xây dựng Đảng", year=2026, month=i % 12 + 1,
                      theme="Chỉnh đốn Đảng", link=f"https://example.vn/{i}")
    code = await org.create_code(admin, kind="member", branch_id=branch.id)
    member = await ids.resolve(UserRef("telegram", "2", "Đảng viên"), "2")
    await org.redeem(member, code.code)
    async with app.db.session() as s:
        mid = (await s.execute(select(Membership.id).where(Membership.person_id == member.person_id))).scalar_one()
    await org.decide_join(admin, mid, True)
    actor = await ids.actor_for_person(member.person_id)
    assert actor is not None
    for query in ("", "nghi quyet 1999", "chinh don"):
        start = time.perf_counter()
        for _ in range(RUNS):
            page = await lib.page(actor, query, 3)
        print(f"{query!r:20} {page.total:5} matches  {(time.perf_counter() - start) / RUNS * 1000:.1f} ms per page")
    await app.close()


if __name__ == "__main__":
    asyncio.run(main())
