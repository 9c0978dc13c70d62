"""Settings, read from the environment and `.env` (see .env.example for every key)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_IDENTITY_RE = re.compile(r"^(telegram|zalo):[A-Za-z0-9_-]+$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{3,}$")


_ZALO_KEY_RE = re.compile(r"^[a-z0-9_-]{1,32}$")
_ZALO_TOKEN_RE = re.compile(r"^[^\s@;=:]+:[^\s@;=]{3,}$")
_ZALO_BOTS_HELP = "expected key=<bot_id>:<secret>@<branch_id>[,<branch_id>…] separated by ';'"


@dataclass(frozen=True, slots=True)
class ZaloBot:
    """One Zalo bot account and the branches (chi bộ ids) it serves."""

    key: str
    token: str = field(repr=False)
    branch_ids: tuple[int, ...]

    def __repr__(self) -> str:  # never print the token
        return f"ZaloBot(key={self.key!r}, branch_ids={self.branch_ids!r})"


def parse_zalo_bots(value: str) -> list[ZaloBot]:
    """'main=123:abc@1,2; xa2=456:def@3' -> bots. Raises ValueError with one readable reason."""
    bots: list[ZaloBot] = []
    for entry in (e.strip() for e in value.split(";")):
        if not entry:
            continue
        key, eq, rest = entry.partition("=")
        token, at, branches = rest.rpartition("@")
        key = key.strip().lower()
        if not eq or not at or not _ZALO_KEY_RE.match(key):
            raise ValueError(f"{key or entry[:12]!r}: {_ZALO_BOTS_HELP}")
        if not _ZALO_TOKEN_RE.match(token.strip()):
            raise ValueError(f"bot {key!r}: the token should look like <bot_id>:<secret>")
        ids = [b.strip() for b in branches.split(",") if b.strip()]
        if not ids or not all(b.isdigit() for b in ids):
            raise ValueError(f"bot {key!r}: {_ZALO_BOTS_HELP}")
        if any(b.key == key for b in bots):
            raise ValueError(f"bot {key!r} is listed twice")
        # A branch may be served by several bots: a second one takes new members once the first is full
        # (its plan's member cap, ZALO_MEMBER_CAP); the first listed is the branch's main bot.
        bots.append(ZaloBot(key, token.strip(), tuple(int(b) for b in ids)))
    return bots


_TG_KEY_RE = re.compile(r"^[a-z0-9_-]{1,30}$")  # "telegram:<key>" fits the 40 characters of a dedupe key
_TELEGRAM_BOTS_HELP = "expected key=<BotFather token>@<org_id>[,<org_id>…] separated by ';'"


@dataclass(frozen=True, slots=True)
class TelegramBot:
    """One Telegram bot and the đảng bộ (organization ids) it serves. Key "" is BOT_TOKEN's default bot."""

    key: str
    token: str = field(repr=False)
    org_ids: tuple[int, ...]

    def __repr__(self) -> str:  # never print the token
        return f"TelegramBot(key={self.key!r}, org_ids={self.org_ids!r})"

    @property
    def channel_key(self) -> str:
        """Its key in ``App.channels``: "telegram" for the default bot, "telegram:<key>" for the others."""
        return f"telegram:{self.key}" if self.key else "telegram"


def parse_telegram_bots(value: str) -> list[TelegramBot]:
    """'huyen_a=123:AAE…@1; huyen_b=456:AAF…@2,3' -> bots. Raises ValueError with one readable reason."""
    bots: list[TelegramBot] = []
    for entry in (e.strip() for e in value.split(";")):
        if not entry:
            continue
        key, eq, rest = entry.partition("=")
        token, at, orgs = rest.rpartition("@")
        key = key.strip().lower()
        if not eq or not at or not _TG_KEY_RE.match(key):
            raise ValueError(f"{key or entry[:12]!r}: {_TELEGRAM_BOTS_HELP}")
        if not _TOKEN_RE.match(token.strip()):
            raise ValueError(f"bot {key!r}: the token should look like 123456789:AAE… (from @BotFather)")
        ids = [o.strip() for o in orgs.split(",") if o.strip()]
        if not ids or not all(o.isdigit() for o in ids):
            raise ValueError(f"bot {key!r}: {_TELEGRAM_BOTS_HELP}")
        if any(b.key == key for b in bots):
            raise ValueError(f"bot {key!r} is listed twice")
        if any(b.token == token.strip() for b in bots):
            raise ValueError(f"bot {key!r}: its token is already listed under another key")
        for b in bots:
            shared = set(b.org_ids) & {int(o) for o in ids}
            if shared:  # a member reaches exactly one bot: one đảng bộ, one bot
                raise ValueError(f"đảng bộ {min(shared)} is bound to both {b.key!r} and {key!r}")
        bots.append(TelegramBot(key, token.strip(), tuple(int(o) for o in ids)))
    return bots


def _official_domains() -> list[str]:
    from bot.content.outlets import DEFAULT_OFFICIAL_DOMAINS  # lazily: config loads before the content

    return list(DEFAULT_OFFICIAL_DOMAINS)


_DOMAIN_RE = re.compile(r"^(\*\.)?([a-z0-9-]+\.)+[a-z]{2,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./data/hocbac.sqlite3"
    redis_url: str | None = None
    redis_prefix: str = "hocbac:"  # several deployments (or test runs) can share one Redis
    bot_timezone: str = "Asia/Ho_Chi_Minh"
    admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_format: str = "text"
    default_locale: str = "vi"
    media_dir: Path = Path("./data/media")
    media_max_bytes: int = 10 * 1024 * 1024

    # Sender limits (Telegram's published limits by default).
    send_global_per_sec: float = 30.0
    send_chat_per_sec: float = 1.0
    send_group_per_min: float = 20.0
    # Temporary errors (an outage, 5xx, network) are retried for this long after a message was due
    # (or until its own expiry, e.g. a daily item's catch-up window), backing off up to the max delay.
    send_retry_hours: float = 24.0
    # A channel that marks "unreachable" only on consistent evidence (Zalo): this many such failures, the
    # first and last at least this many days apart, with nothing delivered in between.
    unreachable_after_failures: int = 3
    unreachable_after_days: float = 2.0
    send_retry_max_delay: float = 300.0
    send_in_flight: int = 16

    # Joining.
    join_code_ttl_hours: int = 72
    join_max_failures: int = 5
    join_failure_window_min: int = 15

    # Scheduling.
    tick_seconds: int = 60
    daily_catchup_hours: int = 6

    # Webhook mode (hocbac web).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080

    # --- dashboard --- (the web pages of /bangdieukhien)
    # Public address of the dashboard (https://hocbac.example.vn, its pages under /dashboard/); empty: none.
    dashboard_url: str | None = None
    dashboard_port: int = 8090  # `hocbac run` serves the dashboard on WEB_HOST:DASHBOARD_PORT (0: off)
    dashboard_link_per_hour: int = 5  # sign-in links one person may ask for per hour
    dashboard_ip_per_10min: int = 20  # sign-in attempts (links opened, Mini App logins) per IP per 10 minutes

    # --- scale ---
    webhook_path: str = "/telegram/webhook"
    zalo_webhook_path: str = "/zalo/webhook"
    webhook_max_connections: int = 40
    web_max_tasks: int = 256  # updates processed at once per web worker; more wait (back-pressure)
    # hotpath (#18): how long a worker reuses a resolved actor; changes made through the services reach every
    # worker at once (a version key in Redis), so this only bounds changes made behind their back. 0 = off.
    actor_cache_seconds: float = 30.0
    web_drain_seconds: float = 25.0  # on shutdown, finish started updates for at most this long
    web_reuse_port: bool = False
    worker_port: int = 0  # >0: the worker serves /healthz and /metrics on this port
    metrics_token: SecretStr | None = None  # /metrics needs "Authorization: Bearer <it>"; unset: loopback only
    worker_lease_seconds: float = 15.0  # leadership lease; a standby takes over within about this long
    worker_retry_seconds: float = 5.0  # how often a standby tries to become the active worker
    worker_idle_poll: float = 0.5
    outbox_claim_lease_seconds: int = 120  # a row left 'sending' by a dead worker is retried after this
    # Final outbox rows keep their message text this many days (daily items: one day), then only the row stays
    # (key, status, times: dedupe, acknowledgements, figures). 0: keep every payload.
    outbox_retention_days: int = Field(default=30, ge=0)

    # --- several Telegram bots (docs/scale.md) ---
    # TELEGRAM_BOTS="key=<token>@org_id,org_id;key2=…": more bots, each serving its đảng bộ; BOT_TOKEN's bot
    # (key "") serves every đảng bộ no entry names.
    telegram_bots: Annotated[list[TelegramBot], NoDecode] = Field(default_factory=list)

    # --- zalo ---
    # ZALO_BOTS="key=<bot_id>:<secret>@branch_id,branch_id;key2=…": several Zalo bots, each serving branches.
    zalo_bots: Annotated[list[ZaloBot], NoDecode] = Field(default_factory=list)
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_mode: Literal["polling", "webhook"] = "polling"
    zalo_webhook_secret: SecretStr | None = None  # per-bot webhook secrets are derived from it
    public_base_url: str | None = None  # where /m/<token> media links and /zalo/webhook are reachable
    media_link_secret: SecretStr | None = None  # signs media links (HMAC)
    media_link_ttl_hours: int = 72
    # Zalo publishes no rate limits: stay well below anything plausible (configurable).
    zalo_send_per_sec: float = 5.0
    zalo_chat_per_sec: float = 0.5
    zalo_group_per_min: float = 10.0
    zalo_monthly_quota: int = 3000
    zalo_quota_warn_percent: int = 80
    # The plan's members per bot (free plan 50): warn the secretaries at ZALO_MEMBER_WARN, refuse joins at it.
    zalo_member_cap: int = 50
    zalo_member_warn: int = 45
    # Per-bot plan limits that differ from the two above: "key=<messages>/<members>;key2=…".
    zalo_bot_plans: str = ""
    # The forecast's estimate of direct replies a member draws per month (commands, forms, answers).
    zalo_forecast_replies_per_member: float = 4.0
    # Members whose branch has its Zalo group linked read the daily item there, not in a private message.
    zalo_prefer_group_daily: bool = True

    # --- content ---
    # Where a đảng bộ's imported item may take its source from: these domains and their subdomains,
    # comma-separated; unset = the official outlets listed in bot/content/outlets.py (see .env.example).
    content_official_domains: Annotated[list[str], NoDecode] = Field(default_factory=_official_domains)

    # --- commendations (docs/year-end.md §6, §7: "commend_pool_levels", "commend_chain_years") ---
    # Level keys of bot/services/levels.py that put a member on the commendation shortlist (comma-separated);
    # members with commended deeds or nominations are on it too. Default: HTXSNV only (Hướng dẫn 21, superseded).
    commend_pool_levels: str = "excellent"
    commend_chain_years: int = 5  # "5 năm liền": consecutive years of awards shown as a chain

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() and not _TOKEN_RE.match(v.get_secret_value()):
            raise ValueError("expected the BotFather token, e.g. 123456789:AAE…")
        return v

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL, e.g. https://api.telegram.org")
        return v.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("expected sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        if v.startswith("postgresql://"):
            v = "postgresql+asyncpg://" + v.removeprefix("postgresql://")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:6379/0")
        return v

    @field_validator("bot_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone, e.g. Asia/Ho_Chi_Minh") from exc
        return v

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, v: object) -> list[str]:
        if v in (None, ""):
            return []
        items = [s.strip() for s in v.split(",")] if isinstance(v, str) else list(v)  # type: ignore[arg-type]
        items = [s for s in items if s]
        for item in items:
            if not _IDENTITY_RE.match(item):
                raise ValueError(f"{item!r}: expected channel:user_id, e.g. telegram:123456")
        return items

    @field_validator("content_official_domains", mode="before")
    @classmethod
    def _official(cls, v: object) -> list[str]:
        if v in (None, ""):
            return _official_domains()
        items = v.replace(";", ",").split(",") if isinstance(v, str) else list(v)  # type: ignore[arg-type]
        domains = [str(s).strip().lower().rstrip(".") for s in items if str(s).strip()]
        for domain in domains:
            if not _DOMAIN_RE.match(domain):
                raise ValueError(f"{domain!r}: expected a domain such as nhandan.vn or *.gov.vn")
        return [d.removeprefix("*.") for d in domains]

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v

    @field_validator("zalo_bots", mode="before")
    @classmethod
    def _zalo_bots(cls, v: object) -> list[ZaloBot]:
        if v in (None, ""):
            return []
        if isinstance(v, str):
            return parse_zalo_bots(v)
        return list(v)  # type: ignore[call-overload]

    @field_validator("telegram_bots", mode="before")
    @classmethod
    def _telegram_bots(cls, v: object) -> list[TelegramBot]:
        if v in (None, ""):
            return []
        if isinstance(v, str):
            return parse_telegram_bots(v)
        return list(v)  # type: ignore[call-overload]

    @field_validator("zalo_api_url")
    @classmethod
    def _zalo_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL, e.g. https://bot-api.zaloplatforms.com")
        return v.rstrip("/")

    @field_validator("public_base_url", "dashboard_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected the public https address of this server, e.g. https://hocbac.example.vn")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _zalo_needs(self) -> Settings:
        if self.public_base_url and not _secret(self.media_link_secret):
            raise ValueError("MEDIA_LINK_SECRET is needed when PUBLIC_BASE_URL is set (a long random string)")
        if self.zalo_bots and self.zalo_mode == "webhook":
            if not self.public_base_url:
                raise ValueError("ZALO_MODE=webhook needs PUBLIC_BASE_URL (https)")
            if len(_secret(self.zalo_webhook_secret)) < 16:
                raise ValueError("ZALO_MODE=webhook needs ZALO_WEBHOOK_SECRET (16+ random characters)")
        if not 1 <= self.zalo_quota_warn_percent <= 100:
            raise ValueError("ZALO_QUOTA_WARN_PERCENT: expected a percentage from 1 to 100")
        for entry in (e.strip() for e in self.zalo_bot_plans.split(";") if e.strip()):
            _name, eq, limits = entry.partition("=")
            messages, slash, members = limits.partition("/")
            if not eq or not slash or not messages.strip().isdigit() or not members.strip().isdigit():
                raise ValueError(f"ZALO_BOT_PLANS: {entry[:40]!r}: expected key=<messages>/<members>, "
                                 "e.g. main=3000/50")
        return self

    def telegram_bot_for_org(self, org_id: int | None) -> TelegramBot | None:
        """The TELEGRAM_BOTS entry bound to đảng bộ ``org_id``; None: the default bot (BOT_TOKEN) serves it."""
        if org_id is None:
            return None
        return next((b for b in self.telegram_bots if org_id in b.org_ids), None)

    def telegram_bot_key(self, org_id: int | None) -> str:
        """The bot key ("" = the default bot) that serves đảng bộ ``org_id``."""
        bot = self.telegram_bot_for_org(org_id)
        return bot.key if bot is not None else ""

    def telegram_tokens(self) -> list[TelegramBot]:
        """Every Telegram bot to run: BOT_TOKEN's (key "") first when set, then TELEGRAM_BOTS."""
        default = [TelegramBot("", self.token, ())] if self.token else []
        return default + list(self.telegram_bots)

    def zalo_bot(self, key: str) -> ZaloBot | None:
        return next((b for b in self.zalo_bots if b.key == key), None)

    def zalo_plan(self, key: str) -> tuple[int, int]:
        """(messages a month, members) of bot ``key``: ZALO_BOT_PLANS, else the free-plan defaults."""
        for entry in (e.strip() for e in self.zalo_bot_plans.split(";")):
            name, _, limits = entry.partition("=")
            if name.strip().lower() == key and "/" in limits:
                messages, _, members = limits.partition("/")
                return int(messages), int(members)
        return self.zalo_monthly_quota, self.zalo_member_cap

    def zalo_bot_for_branch(self, branch_id: int) -> ZaloBot | None:
        """The branch's main Zalo bot (the first listed that serves it)."""
        return next((b for b in self.zalo_bots if branch_id in b.branch_ids), None)

    def zalo_bots_for_branch(self, branch_id: int) -> list[ZaloBot]:
        return [b for b in self.zalo_bots if branch_id in b.branch_ids]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


class ConfigError(SystemExit):
    """Raised with one readable line; exits with code 2."""


class StartupError(Exception):
    """A setting that parses but does not work: the database, Redis or Telegram refuse or cannot be reached.

    ``bot.cli`` prints :attr:`line` (one line naming the key and what to do) and exits with code 2, no trace.
    """

    def __init__(self, key: str, problem: str, todo: str) -> None:
        self.key = key
        self.line = f"Không khởi động được / cannot start — {key}: {problem}. {todo}"
        super().__init__(self.line)


def load_settings(**overrides: object) -> Settings:
    """Build Settings or stop with one clear line naming the key and what is expected."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        # A check across several keys (model validator) has no single key: its message names them.
        key = f" {str(err['loc'][0]).upper()}" if err.get("loc") else ""
        line = f"Cấu hình sai / bad setting{key}: {msg}"
        print(line, file=sys.stderr)
        raise ConfigError(2) from None


def require_token(settings: Settings) -> str:
    if not settings.token:
        print(
            "Cấu hình thiếu / missing setting BOT_TOKEN: expected the token from @BotFather "
            "(see README), e.g. BOT_TOKEN=123456789:AAE…",
            file=sys.stderr,
        )
        raise ConfigError(2)
    return settings.token


def require_channel(settings: Settings) -> None:
    """`hocbac run` serves Telegram (BOT_TOKEN), Zalo (ZALO_BOTS) or both; with neither it stops with the
    one clear line about BOT_TOKEN (Zalo-only deployments need no Telegram token)."""
    if settings.token or settings.zalo_bots or settings.telegram_bots:
        return
    print(
        "Cấu hình thiếu / missing setting BOT_TOKEN: expected the token from @BotFather (see README), "
        "e.g. BOT_TOKEN=123456789:AAE… — or ZALO_BOTS for a Zalo-only bot (see docs/zalo.md)",
        file=sys.stderr,
    )
    raise ConfigError(2)
