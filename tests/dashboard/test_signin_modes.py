"""The dashboard is served by the same process: `hocbac run` on DASHBOARD_PORT, `hocbac web` next to the
webhook, and only when DASHBOARD_URL is set."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
from pydantic import SecretStr

from bot.runtime import run_polling, run_web


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        return answer.status, await answer.text(), answer.headers.get("Content-Security-Policy", "")


async def _wait(url: str) -> tuple[int, str, str]:
    for _ in range(200):
        try:
            return await _get(url)
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


async def test_run_serves_the_dashboard_on_its_port(settings, fake_tg) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    configured = settings.model_copy(update={"dashboard_url": "https://dash.example.vn", "dashboard_port": port})
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(configured, stop=stop))
    try:
        status, html, csp = await _wait(f"http://127.0.0.1:{port}/dashboard/")
        assert status == 200 and "/bangdieukhien" in html and "script-src 'self'" in csp
        status, _html, _csp = await _get(f"http://127.0.0.1:{port}/dashboard/static/dashboard.js")
        assert status == 200
        # The bot answers beside it (and its polling is up before the stop, as bot.runtime's tests do).
        user = fake_tg.user(88002, "Hà")
        await user.send("/help")
        await user.expect("Đồng chí có thể dùng", timeout=20)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


async def test_web_serves_the_dashboard_next_to_the_webhook_only_when_configured(settings) -> None:  # type: ignore[no-untyped-def]
    for url, expected in (("https://dash.example.vn", 200), (None, 404)):
        web_settings = settings.model_copy(update={
            "webhook_secret": SecretStr("s" * 32), "tick_seconds": 3600, "web_host": "127.0.0.1", "web_port": 0,
            "dashboard_url": url})
        stop = asyncio.Event()
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(run_web(web_settings, stop=stop, ready=ready))
        try:
            port = await asyncio.wait_for(ready, timeout=20)
            status, _html, _csp = await _get(f"http://127.0.0.1:{port}/dashboard/")
            assert status == expected
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=20)
