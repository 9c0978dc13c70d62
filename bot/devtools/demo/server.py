"""`hocbac demo`: the real bot on the fake Telegram server, with a web page to chat as each persona.

One process, everything on 127.0.0.1: :class:`FakeTelegram` (the emulator the tests use), the real bot
(:class:`BotHarness`: App + aiogram polling + sender) on a throwaway SQLite file, a :class:`FakeClock`
that starts at 08:00 today and only moves with the page's time buttons, and this aiohttp app.

JSON API used by static/app.js (all bodies and answers are JSON unless said otherwise):

``GET /api/personas``
    ``{"personas": [{"key", "name", "role", "chat_id", "group"}], "clock": {"iso", "time", "label"},
    "seeded": [feature], "skipped": [feature]}``. The last persona is the branch group chat.
``GET /api/chat/<persona>?after=<seq>&wait=<seconds>``
    Items of that chat newer than ``seq``: ``{"items": [item], "seq", "menu": [[label]] | null,
    "clock", "latest": {persona: seq of its newest item}}``. An item is ``{"key", "from": "bot" | "user"
    | "notice", "message_id", "runs": [{"t", "s": [style], "href"}], "text", "buttons": [[{"label",
    "data" | "url"}]], "photo": url | null, "document", "edited", "deleted", "at", "author"}``. The same
    ``key`` again means the message was edited: replace it in place. ``wait`` (≤ 25 s) holds the answer
    until something changes (long polling).
``POST /api/send {"persona", "text"}``
    The persona types ``text`` (in the group chat the secretary writes). ``{"ok": true}``.
``POST /api/press {"persona", "message_id", "data"}``
    Press an inline button of a bot message. ``data`` must be on that message now (400 otherwise).
``POST /api/photo`` (multipart: ``persona``, ``caption``, ``file``)
    The persona sends a photo (≤ 10 MB).
``POST /api/clock/next-morning``
    Move the clock to 06:30 tomorrow, running the scheduler ticks on the way: ``{"clock", "ticks"}``.
``POST /api/clock/digest``
    Move the clock to the secretary's next deed digest (her /duyet time, 19:00 unless she changed it;
    19:00 without the deeds feature): ``{"clock", "ticks"}``.
``POST /api/clock/meeting``
    Move the clock to the next meeting (the ``next_meeting`` provider, when the meetings feature is
    present), else to 19:30 (today, or tomorrow when that is past):
    ``{"clock", "ticks", "source": "meeting" | "default"}``.

Moving the clock runs the ticks and the sender at every hour on the way (and at each 06:30), as the
minute loop would have done, so everything due in between arrives, in order and on its day: the daily
items, the secretary's digest, RSVP reminders a day before the meeting. ``ticks`` is the last run's.
``GET /media/<file_id>``
    A photo the bot or a persona sent (served from the fake's stored files).

Errors: ``{"error": "<Vietnamese message>"}`` with status 400/403/404. POSTs from another origin are
refused (the page is local, but any web page could otherwise post to 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import and_, func, or_, select

from bot.clock import FakeClock, as_utc, local_now
from bot.compose import mount_dashboard
from bot.config import Settings
from bot.devtools.demo import seed as demo_seed
from bot.devtools.demo.seed import PERSONAS, Persona, SeedReport
from bot.devtools.demo.view import bot_item, clock_json, menu_of, notice_item, user_item
from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import TEST_TOKEN, BotHarness
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.system import TickRun

log = logging.getLogger("hocbac.demo")

STATIC = Path(__file__).with_name("static")
STATIC_FILES = {"app.js": "application/javascript", "style.css": "text/css"}
MAX_PHOTO = 10 * 1024 * 1024
MAX_TEXT = 4096
MORNING = time(6, 30)
MEETING_DEFAULT = time(19, 30)
DIGEST_DEFAULT = time(19, 0)
SETTLE_SECONDS = 5.0  # at most this long for the sender to catch up at each stop of a clock move
START_AT = time(8, 0)
DASHBOARD_PERSONAS = ("minh", "lan")  # the committee admin and the secretary get a "Bảng điều khiển" link
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DemoServer:
    def __init__(self, *, port: int = 0, db_path: Path | None = None,
                 tz_name: str = "Asia/Ho_Chi_Minh") -> None:
        self.port = port
        self.db_path = db_path
        self.tz_name = tz_name
        self.url = ""
        self.fake: FakeTelegram | None = None
        self.harness: BotHarness | None = None
        self.clock: FakeClock | None = None
        self.report = SeedReport()
        self.users: dict[int, TelegramUser] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self._watcher: asyncio.Task[None] | None = None
        # The page's view of every chat: bot events pulled from the fake, plus what personas typed.
        self._items: list[tuple[int, int, dict[str, Any]]] = []  # (seq, chat_id, item)
        self._seq = 0
        self._pulled = 0
        self._user_n = 0
        self._menus: dict[int, list[list[str]]] = {}
        self._answers: dict[str, int] = {}  # callback query id -> chat, until the bot answers it
        self._changed = asyncio.Condition()
        self._clock_version = 0
        self._move_lock = asyncio.Lock()

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> DemoServer:
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> DemoServer:
        if self.db_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hocbac-demo-")
            db_file, media_dir = Path(self._tmp.name) / "demo.sqlite3", Path(self._tmp.name) / "media"
        else:
            db_file = self.db_path.resolve()
            db_file.parent.mkdir(parents=True, exist_ok=True)
            media_dir = db_file.with_name(db_file.stem + "-media")
        # The web port is bound first: a busy --port fails fast, before any work.
        await self._start_web()
        self.fake = await FakeTelegram().start()
        # Nobody waits for Telegram's flood limits in a demo: clicking fast must feel instant.
        self.fake.limits.enabled = False
        self.users = demo_seed.make_users(self.fake)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]  # the demo never reads the operator's .env
            bot_token=TEST_TOKEN, telegram_api_url=self.fake.base_url,
            database_url=f"sqlite+aiosqlite:///{db_file}", admin_ids=[f"telegram:{demo_seed.ADMIN_ID}"],
            media_dir=media_dir, bot_timezone=self.tz_name, log_level="WARNING",
            # The fake does not limit, so the sender need not pace either (seeding 3 notices to the
            # secretary would otherwise take 3 s).
            send_chat_per_sec=50.0, send_group_per_min=3000.0,
            # The web dashboard is served by this page's own server (/dashboard/…); click as often as you like.
            dashboard_url=self.url, dashboard_link_per_hour=1000, dashboard_ip_per_10min=1000,
        )
        self.clock = FakeClock(datetime.combine(datetime.now(settings.tz).date(), START_AT, settings.tz),
                               settings.tz)
        self.harness = BotHarness(settings, self.clock)
        await self.harness.start()
        if self.db_path is not None:
            await self._resume_clock()
        self.report = await demo_seed.seed(self.harness, self.users, self.say)
        await self.harness.tick()
        self._watcher = asyncio.create_task(self._watch(), name="demo-watch")
        return self

    async def _start_web(self) -> None:
        app = web.Application(client_max_size=MAX_PHOTO + 64 * 1024, middlewares=[self._middleware])
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/media/{file_id}", self._media)
        app.router.add_get("/api/personas", self._personas)
        app.router.add_get("/api/chat/{persona}", self._chat)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/press", self._press)
        app.router.add_post("/api/photo", self._photo)
        app.router.add_post("/api/clock/next-morning", self._next_morning)
        app.router.add_post("/api/clock/digest", self._digest)
        app.router.add_post("/api/clock/meeting", self._meeting)
        app.router.add_get("/api/dashboard/{persona}", self._dashboard)
        # The bot does not exist yet (the port is bound first): the dashboard finds its services when asked.
        mount_dashboard(app, lambda: self._services())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def _resume_clock(self) -> None:
        """A kept database may have been moved to a later day already; time never runs backwards."""
        assert self.harness is not None and self.harness.app is not None and self.clock is not None
        async with self.harness.app.db.session() as s:
            last = (await s.execute(select(func.max(TickRun.last_run_at)))).scalar_one_or_none()
        if last is not None:
            if as_utc(last) > self.clock.now():
                self.clock.set(as_utc(last))

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        if self.harness is not None and self.harness.app is not None:
            await self.harness.stop()
        if self.fake is not None:
            await self.fake.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._tmp is not None:
            self._tmp.cleanup()

    async def __aenter__(self) -> DemoServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- the chat log ----------------------------------------------------------------------------

    def _now_label(self) -> str:
        assert self.clock is not None
        return local_now(self.clock).strftime("%H:%M")

    def _add(self, chat_id: int, item: dict[str, Any]) -> None:
        self._seq += 1
        item["seq"] = self._seq
        self._items.append((self._seq, chat_id, item))

    def _pull(self) -> bool:
        """Turn the fake's new bot events (and button answers) into page items. True if any."""
        assert self.fake is not None
        before = self._seq
        events = self.fake.out_events
        for event in events[self._pulled:]:
            self._add(event.chat_id, bot_item(event, self._now_label()))
            menu = menu_of(event.reply_markup) if event.kind == "new" else None
            if menu is not None:
                self._menus[event.chat_id] = menu
        self._pulled = len(events)
        for query_id, chat_id in list(self._answers.items()):
            answer = self.fake.callback_answers.get(query_id)
            if answer:
                del self._answers[query_id]
                if answer.get("text"):
                    self._user_n += 1
                    self._add(chat_id, notice_item(self._user_n, answer["text"], self._now_label()))
        return self._seq != before

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _watch(self) -> None:
        """Wake long-polling pages whenever the bot sends, edits or answers something."""
        assert self.fake is not None
        while True:
            async with self.fake.events:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.fake.events.wait(), 1.0)
            if self._pull():
                await self._notify()

    def _chat_items(self, chat_id: int, after: int) -> list[dict[str, Any]]:
        return [item for seq, chat, item in self._items if chat == chat_id and seq > after]

    def _latest(self) -> dict[str, int]:
        latest: dict[int, int] = {}
        for seq, chat, _item in self._items:
            latest[chat] = seq
        return {p.key: latest.get(p.chat_id, 0) for p in PERSONAS}

    def _clock_json(self) -> dict[str, str]:
        assert self.clock is not None
        return clock_json(local_now(self.clock))

    # ---- HTTP ------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            # The dashboard checks its own CSRF token (its no-referrer policy makes the browser send Origin: null).
            if request.method == "POST" and not request.path.startswith("/dashboard/"):
                origin = request.headers.get("Origin")
                if origin is not None and origin != self.url:
                    raise ApiError(403, "Yêu cầu từ trang khác bị từ chối.")
            response = await handler(request)
        except ApiError as err:
            response = web.json_response({"error": err.message}, status=err.status)
        except web.HTTPException as exc:
            response = web.json_response({"error": exc.reason}, status=exc.status)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(body=(STATIC / "index.html").read_bytes(), content_type="text/html",
                            charset="utf-8")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise ApiError(404, "Không tìm thấy.")
        return web.Response(body=(STATIC / name).read_bytes(), content_type=STATIC_FILES[name],
                            charset="utf-8")

    async def _media(self, request: web.Request) -> web.Response:
        assert self.fake is not None
        stored = self.fake.files.get(request.match_info["file_id"])
        if stored is None or not stored.data:
            raise ApiError(404, "Không tìm thấy ảnh.")
        mime = stored.mime_type if stored.mime_type.startswith("image/") else _image_type(stored.data)
        return web.Response(body=stored.data, content_type=mime)

    def _services(self) -> Any:
        if self.harness is None or self.harness.app is None:
            raise ApiError(503, "Bản thử đang khởi động.")
        return self.harness.app.services

    async def _dashboard(self, request: web.Request) -> web.Response:
        """A fresh one-time sign-in link for the persona, followed at once (what /bangdieukhien sends)."""
        persona = _persona(request.match_info["persona"])
        if persona.key not in DASHBOARD_PERSONAS:
            raise ApiError(404, "Người này không có bảng điều khiển trong bản thử.")
        from bot.features.dashboard.signin import DashboardAuth
        from bot.services.identity import IdentityService

        services = self._services()
        person_id = await demo_seed.person_id(services, persona)
        actor = await services.get(IdentityService).actor_for_person(person_id) if person_id else None
        if actor is None:
            raise ApiError(404, "Người này chưa có trong bản thử.")
        url = await services.get(DashboardAuth).issue_link(actor)
        return web.Response(status=303, headers={"Location": url})

    async def _personas(self, request: web.Request) -> web.Response:
        return web.json_response({"personas": [{**demo_seed.persona_json(p),
                                                "dashboard": f"/api/dashboard/{p.key}"
                                                if p.key in DASHBOARD_PERSONAS else None} for p in PERSONAS],
                                  "clock": self._clock_json(), "seeded": self.report.seeded,
                                  "skipped": self.report.skipped})

    async def _chat(self, request: web.Request) -> web.Response:
        persona = _persona(request.match_info["persona"])
        after = _int(request.query.get("after", "0"), "after")
        wait = min(max(_float(request.query.get("wait", "0")), 0.0), 25.0)
        self._pull()
        items = self._chat_items(persona.chat_id, after)
        if not items and wait > 0:
            # Any change wakes the page: a new item elsewhere updates its unread dots, a clock move the clock.
            version, seq = self._clock_version, self._seq
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(
                        lambda: self._seq != seq or self._clock_version != version), wait)
            items = self._chat_items(persona.chat_id, after)
        return web.json_response({"items": items, "seq": self._seq, "menu": self._menus.get(persona.chat_id),
                                  "clock": self._clock_json(), "latest": self._latest()})

    async def _send(self, request: web.Request) -> web.Response:
        body = await _json(request)
        persona = _persona(body.get("persona"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Tin nhắn đang trống.")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Tin nhắn quá dài.")
        await self.say(persona, text)
        return web.json_response({"ok": True})

    async def say(self, persona: Persona, text: str) -> None:
        """The persona types ``text`` in their chat; it shows in the page and reaches the bot."""
        assert self.fake is not None
        user = self.users[persona.user_id]
        self._pull()  # the bot's earlier messages come before this one
        self._user_n += 1
        self._add(persona.chat_id, user_item(self._user_n, _writer(persona), text, self._now_label()))
        await self.fake.inject_message(user.user, text, chat_id=persona.chat_id)
        await self._notify()

    async def _press(self, request: web.Request) -> web.Response:
        body = await _json(request)
        persona = _persona(body.get("persona"))
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise ApiError(400, "Thiếu tin nhắn hoặc nút.")
        assert self.fake is not None
        rec = self.fake.message(persona.chat_id, message_id)
        # Like Telegram, only a button that is on the message now can be pressed.
        if rec is None or rec.deleted or data not in [b.get("callback_data") for b in rec.buttons()]:
            raise ApiError(400, "Nút này không còn hiệu lực.")
        update = await self.fake.inject_callback(self.users[persona.user_id].user, rec, data)
        self._answers[update["callback_query"]["id"]] = persona.chat_id
        return web.json_response({"ok": True})

    async def _photo(self, request: web.Request) -> web.Response:
        if request.content_type != "multipart/form-data":
            raise ApiError(400, "Cần gửi ảnh dạng multipart/form-data.")
        fields: dict[str, str] = {}
        data = b""
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None)
            if name == "file":
                data = bytes(await part.read())  # type: ignore[union-attr]
            elif name in ("persona", "caption"):
                fields[name] = await part.text()  # type: ignore[union-attr]
        persona = _persona(fields.get("persona"))
        if not data:
            raise ApiError(400, "Chưa chọn ảnh.")
        if len(data) > MAX_PHOTO:
            raise ApiError(400, "Ảnh quá lớn (tối đa 10 MB).")
        caption = fields.get("caption", "")[:1024]
        assert self.fake is not None
        user = self.users[persona.user_id]
        self._pull()
        update = await self.fake.inject_photo(user.user, persona.chat_id, data, caption)
        self._user_n += 1
        file_id = update["message"]["photo"][-1]["file_id"]
        item = user_item(self._user_n, _writer(persona), caption, self._now_label(), file_id)
        self._add(persona.chat_id, item)
        await self._notify()
        return web.json_response({"ok": True})

    async def _next_morning(self, request: web.Request) -> web.Response:
        assert self.clock is not None
        today = local_now(self.clock).date()
        target = datetime.combine(today + timedelta(days=1), MORNING, self.clock.tz)
        ticks = await self._move(target)
        return web.json_response({"clock": self._clock_json(), "ticks": ticks})

    async def _digest(self, request: web.Request) -> web.Response:
        ticks = await self._move(self._next_local(await self.digest_time()))
        return web.json_response({"clock": self._clock_json(), "ticks": ticks})

    async def _meeting(self, request: web.Request) -> web.Response:
        target, source = await self.next_meeting_time()
        ticks = await self._move(target)
        return web.json_response({"clock": self._clock_json(), "ticks": ticks, "source": source})

    def _next_local(self, at: time) -> datetime:
        """``at`` today, or tomorrow when it is not later than now."""
        assert self.clock is not None
        now = local_now(self.clock)
        target = datetime.combine(now.date(), at, self.clock.tz)
        return target if target > now else target + timedelta(days=1)

    async def digest_time(self) -> time:
        """The demo secretary's deed digest time, when the deeds feature is present."""
        if not demo_seed.module_present("bot.features.deeds.digest"):
            return DIGEST_DEFAULT
        from bot.features.deeds.digest import DeedDigest

        assert self.harness is not None and self.harness.app is not None
        services = self.harness.app.services
        person_id = await demo_seed.person_id(services, demo_seed.SECRETARY)
        return await services.get(DeedDigest).digest_time(person_id) if person_id else DIGEST_DEFAULT

    async def next_meeting_time(self) -> tuple[datetime, str]:
        """The next meeting of the demo branch when the meetings feature knows one, else 19:30."""
        assert self.clock is not None and self.harness is not None and self.harness.app is not None
        now = local_now(self.clock)
        provider = self.harness.app.services.deps.ext.providers.next_meeting
        if provider is not None and self.report.branch_ids:
            async with self.harness.app.db.session() as s:
                found = await provider(s, self.report.branch_ids[0], now)  # local: the calendar is local
            if found is not None:
                found = as_utc(found).astimezone(self.clock.tz)  # a naive answer is UTC, as stored
            if found is not None and found > now:
                return found, "meeting"
        return self._next_local(MEETING_DEFAULT), "default"

    def _stops(self, target: datetime) -> list[datetime]:
        """Where the clock stops on its way to ``target``: every full hour, each 06:30, then ``target``."""
        assert self.clock is not None
        now = local_now(self.clock)
        stops = {target}
        hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while hour < target:
            stops.add(hour)
            morning = datetime.combine(hour.date(), MORNING, self.clock.tz)
            if now < morning < target:
                stops.add(morning)
            hour += timedelta(hours=1)
        return sorted(stops)

    async def _settle(self) -> None:
        """Wait until the running sender has sent everything due now, before the clock moves again.

        Never drain from here as well: a second sender would race the first for the same rows, and a row
        it holds would look abandoned (its claim older than the lease) once the clock has jumped an hour.
        """
        assert self.harness is not None and self.harness.app is not None and self.clock is not None
        app = self.harness.app
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while loop.time() < deadline:
            now = self.clock.now()
            async with app.db.session() as s:
                busy = (await s.execute(select(func.count()).select_from(OutboxMessage).where(or_(
                    OutboxMessage.status == OutboxStatus.SENDING.value,
                    and_(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.due_at <= now),
                )))).scalar_one()
            if not busy:
                return
            if app.sender is not None:
                app.sender.wake()
            await asyncio.sleep(0.01)
        log.warning("demo: the sender did not finish within %.0f s; moving the clock anyway", SETTLE_SECONDS)

    async def _move(self, target: datetime) -> dict[str, str]:
        """Move the demo clock to ``target`` stop by stop, running the ticks and the sender at each."""
        assert self.clock is not None and self.harness is not None
        ticks: dict[str, str] = {}
        async with self._move_lock:
            self._pull()
            if target > self.clock.now():
                for stop in self._stops(target):
                    self.clock.set(stop)
                    ticks = await self.harness.tick()
                    await self._settle()
                    self._pull()  # what arrived is labelled with this stop's time
            else:
                ticks = await self.harness.tick()
            self._clock_version += 1
        await self._notify()
        return ticks


_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


def _image_type(data: bytes) -> str:
    """The bot uploads photos as plain files, so the fake stores no image type: tell it by the first bytes
    (anything else stays a download, never rendered)."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def _persona(key: object) -> Persona:
    for p in PERSONAS:
        if p.key == key:
            return p
    raise ApiError(404, "Không có người dùng này trong bản thử.")


def _writer(persona: Persona) -> str:
    """Who writes in this chat (the secretary in the group), by full name."""
    return next(p.name for p in PERSONAS if p.chat_id == persona.user_id)


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} phải là một số.") from None


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ApiError(400, "wait phải là một số.") from None


async def _json(request: web.Request) -> dict[str, Any]:
    # Requiring application/json also keeps plain HTML forms on other sites from posting here.
    if request.content_type != "application/json":
        raise ApiError(400, "Cần gửi JSON.")
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "JSON không hợp lệ.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON không hợp lệ.")
    return body


async def run(port: int, db_path: Path | None, stop: asyncio.Event, announce: Any = print) -> None:
    """Start everything, announce the page, serve until ``stop`` is set, then clean up."""
    server = DemoServer(port=port, db_path=db_path)
    try:
        await server.start()
        announce(f"Mở {server.url} để thử")
        await stop.wait()
    finally:
        await server.stop()
