"""The composition root: the one place that builds an App from settings and the feature list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App
from bot.config import Settings
from bot.services.deps import Services


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """An App for one command-line action (no channels, no loops): its services, closed afterwards."""
    app = await App.create(settings)
    try:
        yield app.services
    finally:
        await app.close()
