"""Settings, read from the environment and `.env` (see .env.example for every key)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_IDENTITY_RE = re.compile(r"^(telegram|zalo):[A-Za-z0-9_-]+$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{3,}$")


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
    send_max_attempts: int = 5
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

    # --- scale ---
    webhook_path: str = "/telegram/webhook"
    zalo_webhook_path: str = "/zalo/webhook"
    webhook_max_connections: int = 40
    web_max_tasks: int = 256  # updates processed at once per web worker; more wait (back-pressure)
    web_drain_seconds: float = 25.0  # on shutdown, finish started updates for at most this long
    web_reuse_port: bool = False
    worker_port: int = 0  # >0: the worker serves /healthz and /metrics on this port
    worker_lease_seconds: float = 15.0  # leadership lease; a standby takes over within about this long
    worker_retry_seconds: float = 5.0  # how often a standby tries to become the active worker
    worker_idle_poll: float = 0.5
    outbox_claim_lease_seconds: int = 120  # a row left 'sending' by a dead worker is retried after this

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

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""


class ConfigError(SystemExit):
    """Raised with one readable line; exits with code 2."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings or stop with one clear line naming the key and what is expected."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]).upper() if err.get("loc") else "?"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        line = f"Cấu hình sai / bad setting {key}: {msg}"
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
