"""/metrics is not public: a bearer METRICS_TOKEN, or (without one) only loopback clients not behind a proxy."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr

from tests.scale.conftest import start_node

TOKEN = "metrics-token-0123456789abcdef"


async def test_metrics_needs_the_token_when_set(web_settings, fake_tg):
    node = await start_node(web_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
    try:
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"}):
                async with http.get(node.base + "/metrics", headers=headers) as resp:
                    assert resp.status == 401
                    assert "hocbac_" not in await resp.text()
            async with http.get(node.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                assert resp.status == 200 and "hocbac_webhook_requests" in await resp.text()
            async with http.get(node.base + "/healthz") as resp:  # the load balancer's check stays open
                assert resp.status == 200
    finally:
        await node.stop()


async def test_metrics_without_token_refuses_proxied_requests(web_settings, fake_tg):
    node = await start_node(web_settings)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(node.base + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}) as resp:
                assert resp.status == 403  # a reverse proxy on this host would have published it
            async with http.get(node.base + "/metrics") as resp:  # this machine's own scraper
                assert resp.status == 200
    finally:
        await node.stop()
