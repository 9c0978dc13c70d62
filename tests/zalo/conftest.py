from __future__ import annotations

import pytest

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.devtools.emulator.zalo import FakeZalo


@pytest.fixture
async def fake():
    async with FakeZalo(max_poll_wait=0.2, allow_private_webhook=True) as f:
        yield f


@pytest.fixture
async def client(fake):
    async with ZaloClient(fake.token, base_url=fake.base_url, timeout=5) as c:
        yield c


@pytest.fixture
def channel(client):
    return ZaloChannel("main", client)
