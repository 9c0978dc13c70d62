"""Media store: photos, voice notes and documents kept by content hash, independent of any platform.

A photo sent on Zalo can therefore be shown to a secretary on Telegram, and reports never depend on one
platform's file ids. The default backend is a local folder (MEDIA_DIR).

Files the bot generates from a branch's records (the deed pack's workbook and photo archive, the /baocao
workbook, pledge exports) are saved with ``generated_for=branch_id``: an empty marker under
``generated/<branch id>/<key>`` lists them, so erasing a member deletes every such file of their branches
(docs/PRIVACY.md). They are zip containers, so a member's name or photo inside them is not visible in the
raw bytes; the secretary can always ask for a fresh one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from bot.i18n import _
from bot.services.deps import Deps
from bot.services.errors import InvalidInput

_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
GENERATED_DIR = "generated"  # never a key prefix (two hex digits)
ALLOWED_MIME_PREFIXES = ("image/", "audio/", "video/", "application/pdf",
                         "application/vnd.openxmlformats-officedocument", "application/msword")


class MediaStore:
    def __init__(self, deps: Deps) -> None:
        self.root = Path(deps.settings.media_dir)
        self.max_bytes = deps.settings.media_max_bytes

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise InvalidInput(_("Unknown file."))
        return self.root / key[:2] / key

    def check_size(self, size: int | None, limit: int | None = None) -> None:
        """``limit``: a feature's own ceiling (the library takes what Telegram lets a bot download, 20 MB)."""
        limit = limit or self.max_bytes
        if size is not None and size > limit:
            raise InvalidInput(_("That file is too large ({size} MB). The limit is {limit} MB.").format(
                size=round(size / 1_048_576, 1), limit=round(limit / 1_048_576)))

    @staticmethod
    def key_for(data: bytes) -> str:
        """The key ``save`` stores these bytes under."""
        return hashlib.sha256(data).hexdigest()

    async def save(self, data: bytes, mime: str = "", name: str = "", *, generated_for: int | None = None,
                   max_bytes: int | None = None) -> str:
        """Store bytes; returns the media key (sha256). Saving the same bytes twice stores them once.
        ``generated_for``: the branch whose records a generated export holds (deleted when a member of it
        erases their data)."""
        self.check_size(len(data), max_bytes)
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
            if generated_for is not None:
                marker = self.root / GENERATED_DIR / str(int(generated_for)) / key
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()

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

    async def delete_generated(self, branch_ids: Iterable[int]) -> set[str]:
        """Delete every file generated for these branches (``save(generated_for=…)``); returns their keys.
        Erasure calls it: an export made before holds the erased member's name, texts and photos."""
        dirs = [self.root / GENERATED_DIR / str(int(b)) for b in branch_ids]

        def _delete() -> set[str]:
            keys: set[str] = set()
            for folder in dirs:
                if not folder.is_dir():
                    continue
                for marker in folder.iterdir():
                    if _KEY_RE.match(marker.name):
                        path = self._path(marker.name)
                        for p in (path, path.with_suffix(".json")):
                            p.unlink(missing_ok=True)
                        keys.add(marker.name)
                    marker.unlink(missing_ok=True)
            return keys

        return await asyncio.to_thread(_delete)
