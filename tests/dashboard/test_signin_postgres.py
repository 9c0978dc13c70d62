"""On PostgreSQL, two browsers racing for the same link get one session between them (the claim is one
conditional UPDATE)."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.config import Settings
from bot.features.dashboard.signin import DashboardAuth
from bot.messages import UserRef
from bot.services.errors import PermissionDenied
from bot.services.identity import IdentityService

pytestmark = pytest.mark.postgres


async def test_a_link_raced_by_many_opens_one_session(pg_db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, database_url=pg_db_url, media_dir=tmp_path / "media",  # type: ignore[call-arg]
                        dashboard_url="https://dash.example.vn")
    app = await App.create(settings)
    try:
        actor = await app.services.get(IdentityService).resolve(UserRef("telegram", "7001", "Lan"), "7001")
        auth = app.services.get(DashboardAuth)
        token = (await auth.issue_link(actor)).rsplit("/", 1)[1]
        results = await asyncio.gather(*(auth.claim(token) for _ in range(8)), return_exceptions=True)
        opened = [r for r in results if not isinstance(r, BaseException)]
        assert len(opened) == 1 and opened[0].person_id == actor.person_id
        assert all(isinstance(r, PermissionDenied) for r in results if isinstance(r, BaseException))
        assert (await auth.session(opened[0].cookie)) is not None
        assert (await auth.session("not-a-session")) is None
    finally:
        await app.close()
