"""What every service gets, and a tiny by-type container so features add services without a registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.clock import Clock
from bot.config import Settings
from bot.services.extensions import Extensions
from bot.services.state import StateStore
from storage.db import Database

T = TypeVar("T")


@dataclass
class Deps:
    db: Database
    clock: Clock
    settings: Settings
    state: StateStore
    redis: Any = None
    ext: Extensions = field(default_factory=Extensions)  # the App's feature registries
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the media store, set by the app
    # Called with person ids after their roles changed (approval, an invite code, leaving): the App updates
    # their Telegram "/" menu. None outside an App.
    on_roles_changed: Callable[[list[int]], Awaitable[None]] | None = None


class Services:
    """``services.get(OrgService)`` builds each service once, from the shared Deps."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._cache: dict[type, Any] = {}

    def get(self, cls: type[T]) -> T:
        inst = self._cache.get(cls)
        if inst is None:
            inst = cls(self.deps)  # type: ignore[call-arg]
            self._cache[cls] = inst
        return inst
