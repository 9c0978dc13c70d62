"""Prometheus metrics and the health check shared by `hocbac web` and `hocbac worker`.

Each process (and each App in tests) has its own registry, so two apps in one process never clash.
Gauges that live in the database (outbox depth, scheduler lag) are read when /metrics is scraped.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select

from bot.services import outbox
from storage.models.system import TickRun

if TYPE_CHECKING:
    from bot.app import App
    from bot.delivery import Channel
    from bot.messages import Inbound

BOT_OUTCOMES = ("sent", "429", "transient", "failed", "unreachable")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("hocbac_updates_handled", "Updates handled", ["channel", "kind"], registry=r)
        self.latency = Histogram("hocbac_handler_seconds", "Handler latency (lock + state + handler)",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.webhook = Counter("hocbac_webhook_requests", "Webhook requests by answer", ["route", "status"],
                               registry=r)
        self.outbox_depth = Gauge("hocbac_outbox_depth", "Outbox rows pending or sending", ["kind"],
                                  registry=r)
        self.sender = Gauge("hocbac_sender_total", "Sender outcomes since start (this process)", ["outcome"],
                            registry=r)
        self.scheduler_lag = Gauge("hocbac_scheduler_lag_seconds", "Seconds since the stalest tick last ran",
                                   registry=r)
        self.leader = Gauge("hocbac_worker_leader", "1 when this worker is the active one", registry=r)
        self.in_flight = Gauge("hocbac_webhook_in_flight", "Updates being processed in the background",
                               registry=r)
        # Per bot ("lane": channel + bot key; bot "" is the default Telegram bot).
        self.bot_queue = Gauge("hocbac_outbox_bot_queue", "Outbox rows pending or sending, per bot",
                               ["channel", "bot"], registry=r)
        self.bot_sends = Gauge("hocbac_sender_bot_total", "Sender outcomes per bot since start (this process)",
                               ["channel", "bot", "outcome"], registry=r)
        self.bot_rate = Gauge("hocbac_sender_bot_rate", "Messages per second sent per bot over the last minute "
                              "(this process)", ["channel", "bot"], registry=r)
        self.bot_revoked = Gauge("hocbac_sender_bot_revoked", "1 when the bot stopped: its token was refused (401)",
                                 ["channel", "bot"], registry=r)

    def instrument(self, handle: Callable[[Inbound, Channel], Awaitable[None]]
                   ) -> Callable[[Inbound, Channel], Awaitable[None]]:
        async def timed(inbound: Inbound, channel: Channel) -> None:
            started = time.perf_counter()
            try:
                await handle(inbound, channel)
            finally:
                self.latency.observe(time.perf_counter() - started)
                self.updates.labels(inbound.channel, inbound.kind).inc()

        return timed

    async def refresh(self, app: App) -> None:
        async with app.db.session() as s:
            depth = await outbox.depth_by_kind(s)
            lanes = await outbox.depth_by_lane(s)
            oldest = (await s.execute(select(func.min(TickRun.last_run_at)))).scalar_one_or_none()
        self.outbox_depth.clear()
        for kind, n in depth.items():
            self.outbox_depth.labels(kind).set(n)
        self.bot_queue.clear()
        for (channel, bot), n in lanes.items():
            self.bot_queue.labels(channel, bot).set(n)
        if oldest is not None:
            now = app.clock.now()
            if oldest.tzinfo is None:  # SQLite returns naive UTC
                oldest = oldest.replace(tzinfo=now.tzinfo)
            self.scheduler_lag.set(max(0.0, (now - oldest).total_seconds()))
        if app.sender is not None:
            for outcome in ("sent", "failed", "429", "transient", "unreachable", "sent_uncertain", "deferred"):
                self.sender.labels(outcome).set(app.sender.stats.get(outcome, 0))
            for lane in list(app.sender.lanes.values()):
                for outcome in BOT_OUTCOMES:
                    self.bot_sends.labels(lane.channel, lane.bot, outcome).set(lane.stats.get(outcome, 0))
                self.bot_rate.labels(lane.channel, lane.bot).set(round(lane.rate(), 3))
                self.bot_revoked.labels(lane.channel, lane.bot).set(1 if lane.revoked else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def health(app: App, timeout: float = 2.0) -> tuple[bool, dict[str, Any]]:  # noqa: ASYNC109
    report: dict[str, Any] = {}
    try:
        db_ok = await asyncio.wait_for(app.db.ping(), timeout)
    except TimeoutError:
        db_ok = False
    report["database"] = "ok" if db_ok else "down"
    ok = db_ok
    if app.redis is None:
        report["redis"] = "not configured"
    else:
        try:
            await asyncio.wait_for(app.redis.ping(), timeout)
            report["redis"] = "ok"
        except Exception:
            report["redis"] = "down"
            ok = False
    if db_ok:
        try:
            report["bots"] = await asyncio.wait_for(bots_report(app), timeout)
        except Exception:
            report["bots"] = "unknown"
    report["status"] = "ok" if ok else "down"
    return ok, report


async def bots_report(app: App) -> dict[str, dict[str, Any]]:
    """Per bot: its queue (every process's, from the database), and where this process sends, its send rate
    per minute, its 429s and whether it stopped (token refused). A stopped bot does not fail the check: a
    restart would not mend a revoked token, and the other bots are still sending."""
    from bot.channels.sender import lane_key

    async with app.db.session() as s:
        queues = await outbox.depth_by_lane(s)
    lanes = dict(app.sender.lanes) if app.sender is not None else {}
    report: dict[str, dict[str, Any]] = {}
    for pair in sorted(set(queues) | set(lanes)):
        entry: dict[str, Any] = {"queue": queues.get(pair, 0)}
        lane = lanes.get(pair)
        if lane is not None:
            entry.update(sent=lane.stats.get("sent", 0), sent_per_minute=round(lane.rate() * 60, 1),
                         rate_limited=lane.stats.get("429", 0), state="revoked" if lane.revoked else "sending")
        report[lane_key(*pair)] = entry
    return report


def metrics_allowed(request: web.Request, token: bytes) -> bool:
    """With METRICS_TOKEN: the bearer token (constant time). Without: only a loopback client that did not
    come through a reverse proxy (a proxy on the same host would otherwise publish /metrics)."""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip().encode()
        return hmac.compare_digest(given, token)
    proxied = any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))
    try:
        loopback = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        loopback = False
    return loopback and not proxied


def add_ops_routes(router: web.UrlDispatcher, app: App, metrics: Metrics) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        ok, report = await health(app)
        return web.json_response(report, status=200 if ok else 503)

    token = app.settings.metrics_token.get_secret_value().encode() if app.settings.metrics_token else b""

    async def metrics_view(request: web.Request) -> web.Response:
        if not metrics_allowed(request, token):
            return web.Response(status=401 if token else 403, text="forbidden\n")
        try:
            await metrics.refresh(app)
        except Exception:
            pass  # the database being down shows in /healthz; still serve what we have
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    router.add_get("/healthz", healthz)
    router.add_get("/metrics", metrics_view)
