"""Keep a received photo or file in the media store, whatever channel it came from.

Telegram files are fetched by file id, Zalo photos by URL (``ctx.channel.fetch_media``); either way the
bytes land in MediaStore under their sha256 key, so a photo sent on Zalo can be shown to a secretary on
Telegram, and a Zalo photo URL that expires later costs nothing.

A file stored while a form is open is noted in the form (``FormRunner.track_upload``): if the form ends
without saving (/huy, refused, left for another command), the file is removed again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.kernel.context import Ctx
from bot.messages import MediaRef
from bot.services.media import MediaStore


async def keep_media(ctx: Ctx, ref: MediaRef, max_bytes: int | None = None) -> MediaRef:
    """Fetch ``ref`` through the channel it arrived on and store it; returns it with ``media_key`` set.
    Raises InvalidInput (a polite reply) for files over the size limit or of a refused type. ``max_bytes``: a
    feature's own limit instead of the store's (MEDIA_MAX_BYTES)."""
    if ref.media_key:
        return ref
    store = ctx.svc(MediaStore)
    store.check_size(ref.size, max_bytes)
    data = await ctx.channel.fetch_media(ref)
    key = await _save(ctx, store, data, ref.mime, ref.file_name, max_bytes)
    return replace(ref, media_key=key, size=len(data))


async def store_media(ctx: Ctx, media: MediaRef) -> dict[str, Any]:
    """Keep a received photo/document in the media store, so any channel can send it again."""
    store = ctx.svc(MediaStore)
    store.check_size(media.size)
    data = await ctx.channel.fetch_media(media)
    mime = media.mime or ("image/jpeg" if media.kind == "photo" else "")
    key = await _save(ctx, store, data, mime, media.file_name)
    return MediaRef(
        kind="photo" if media.kind == "photo" else "document",
        media_key=key,
        mime=mime,
        size=len(data),
        file_name=media.file_name,
    ).to_dict()


async def _save(ctx: Ctx, store: MediaStore, data: bytes, mime: str, name: str,
                max_bytes: int | None = None) -> str:
    # Only a file this upload brought in is the form's to remove: the same bytes may belong to a saved record.
    fresh = not store.exists(store.key_for(data))
    key = await store.save(data, mime, name, max_bytes=max_bytes)
    if fresh:
        ctx.forms.track_upload(key)
    return key
