"""Media store: photos, voice notes and documents kept by content hash, independent of any platform.

A photo sent on Zalo can therefore be shown to a secretary on Telegram, and reports never depend on one
platform's file ids. The default backend is a local folder (MEDIA_DIR).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path

from bot.i18n import _
from bot.services.deps import Deps
from bot.services.errors import InvalidInput

_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
ALLOWED_MIME_PREFIXES = ("image/", "audio/", "application/pdf",
                         "application/vnd.openxmlformats-officedocument", "application/msword")


class MediaStore:
    def __init__(self, deps: Deps) -> None:
        self.root = Path(deps.settings.media_dir)
        self.max_bytes = deps.settings.media_max_bytes

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise InvalidInput(_("Unknown file."))
        return self.root / key[:2] / key

    def check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_bytes:
            raise InvalidInput(_("That file is too large ({size} MB). The limit is {limit} MB.").format(
                size=round(size / 1_048_576, 1), limit=round(self.max_bytes / 1_048_576)))

    @staticmethod
    def key_for(data: bytes) -> str:
        """The key ``save`` stores these bytes under."""
        return hashlib.sha256(data).hexdigest()

    async def save(self, data: bytes, mime: str = "", name: str = "") -> str:
        """Store bytes; returns the media key (sha256). Saving the same bytes twice stores them once."""
        self.check_size(len(data))
        if mime and not mime.startswith(ALLOWED_MIME_PREFIXES):
            raise InvalidInput(_("This file type is not supported. Please send a photo, a voice note, a PDF or "
                                 "a Word document."))
        key = self.key_for(data)
        path = self._path(key)

        def _write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(data)
                tmp.replace(path)  # atomic: a crash never leaves half a file under the key
            meta = path.with_suffix(".json")
            if not meta.exists():
                meta.write_text(json.dumps({"mime": mime, "name": name}, ensure_ascii=False))

        await asyncio.to_thread(_write)
        return key

    async def read(self, key: str) -> tuple[bytes, str]:
        path = self._path(key)

        def _read() -> tuple[bytes, str]:
            meta_path = path.with_suffix(".json")
            name = ""
            if meta_path.exists():
                name = json.loads(meta_path.read_text()).get("name", "")
            return path.read_bytes(), name or key[:12]

        try:
            return await asyncio.to_thread(_read)
        except FileNotFoundError as exc:
            raise InvalidInput(_("Unknown file.")) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        for p in (path, path.with_suffix(".json")):
            p.unlink(missing_ok=True)
