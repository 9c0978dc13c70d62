"""Every figures provider's ``bulk`` (all branches in a few GROUP BY queries) gives exactly what its per-branch
``fn`` gives, on varied seeded data, on SQLite and on PostgreSQL: the committee's views can never drift from
a branch's own /baocao."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.config import Settings
from bot.devtools.dashboard_seed import seed_org
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.services.branch_report import utc_bounds
from bot.services.extensions import BranchScope
from tests.conftest import ADMIN_TG_ID, TZ


async def _check_bulk_equals_per_branch(bot: BotHarness) -> None:
    app = bot.app
    assert app is not None
    deps = app.services.deps
    now = app.clock.now()
    async with app.db.session() as s:
        seeded = await seed_org(s, now=now, tz=TZ, branches=9, members_per_branch=9, months=4, read_share=0.3,
                                daily_outbox_days=10, seed=5)
        other = await seed_org(s, now=now, tz=TZ, branches=2, members_per_branch=5, months=2, seed=6,
                               org_name="Đảng bộ khác", branch_names=["Chi bộ khác 1", "Chi bộ khác 2"])
        await s.commit()
    assert seeded.rows["attendance"] > 100 and seeded.rows["deed"] > 20 and seeded.rows["broadcast_ack"] > 10
    ids = [*seeded.branch_ids, other.branch_ids[0]]
    today = now.astimezone(TZ).date()
    windows = [utc_bounds(kind, today, TZ) for kind in ("m", "q", "y")]
    windows.append((now - timedelta(days=130), now + timedelta(days=1)))  # everything seeded
    windows.append((now - timedelta(days=45), now - timedelta(days=44)))  # one day
    providers = {p.name: p for p in deps.ext.figures}
    assert {"members", "pledges", "daily", "deeds", "meetings", "attendance", "notices", "emulation",
            "contests"} <= set(providers)
    assert all(p.bulk is not None for p in providers.values()), "every figures provider has a bulk read"
    nonzero: set[str] = set()
    async with app.db.session() as s:
        for start, end in windows:
            # Both kinds of scope: bound ids (two đảng bộ mixed), and a whole đảng bộ filtered by org in SQL
            # (another đảng bộ's rows exist and must not leak in).
            for scope in (BranchScope.of(ids), BranchScope.of(seeded.branch_ids, seeded.org_id)):
                for p in providers.values():
                    assert p.bulk is not None
                    bulk = await p.bulk(s, deps, scope, start, end)
                    per_branch = {b: await p.fn(s, deps, b, start, end) for b in scope}
                    assert {b: bulk.get(b, {}) for b in scope} == per_branch, (p.name, scope.org_id, start, end)
                    nonzero |= {k for f in per_branch.values() for k, v in f.items() if v}
                merged = await deps.ext.org_figures(s, deps, scope, start, end)
                assert merged == {b: await deps.ext.branch_figures(s, deps, b, start, end) for b in scope}
    # The data exercised every figure (a provider answering zeros everywhere would prove nothing).
    assert {"members", "pledged", "pledges_approved", "checkin_sent", "checkin_answered", "daily_sent",
            "daily_read", "daily_readers", "deeds_reported", "deeds_accepted", "deeds_featured",
            "meetings_regular", "meetings_thematic", "attendance_expected", "attendance_present", "notices",
            "notices_sent", "notices_ack_sent", "notices_acknowledged", "emulation_projects",
            "contest_entries"} <= nonzero


async def test_bulk_figures_equal_per_branch_sqlite(bot, clock):
    clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=TZ))
    await _check_bulk_equals_per_branch(bot)


@pytest.mark.postgres
async def test_bulk_figures_equal_per_branch_postgres(tmp_path, fake_tg, clock, pg_db_url):
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=TZ))
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        await _check_bulk_equals_per_branch(harness)
    finally:
        await harness.stop()


async def test_org_figures_falls_back_to_per_branch_and_checks_keys():
    from bot.services.extensions import ExtensionError, Extensions, Figures

    async def one(s, deps, branch_id, start, end):  # type: ignore[no-untyped-def]
        return {"x": branch_id * 2}

    async def liar_bulk(s, deps, branch_ids, start, end):  # type: ignore[no-untyped-def]
        return {b: {"y": 1} for b in branch_ids}

    now = datetime(2026, 5, 1, tzinfo=TZ)
    got = await Extensions(figures=[Figures("plain", ("x",), one)]).org_figures(None, None, [3, 4, 3], now, now)
    assert got == {3: {"x": 6}, 4: {"x": 8}}
    with pytest.raises(ExtensionError, match="liar"):
        await Extensions(figures=[Figures("liar", ("x",), one, bulk=liar_bulk)]).org_figures(None, None, [1], now, now)
