"""Helpers shared by the deed handlers: bringing received media into the media store, form steps that
do so as the person sends them, and the receipt. (A leading underscore keeps router discovery out.)"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.delivery import DeliveryError
from bot.features.deeds.callbacks import EditDeed, WithdrawDeed
from bot.features.deeds.cards import deed_card
from bot.features.deeds.models import Deed
from bot.features.deeds.reporting import MAX_PHOTOS
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskPhoto, AskText, Invalid, _Finished, _More
from bot.messages import Button, MediaRef, esc
from bot.services.errors import DomainError, InvalidInput
from bot.services.media import MediaStore

log = logging.getLogger("hocbac.deeds")

_DEFAULT_MIME = {"photo": "image/jpeg", "voice": "audio/ogg"}


def as_photo(ref: MediaRef) -> bool:
    """A photo, or an image sent "as a file" (uncompressed)."""
    return ref.kind == "photo" or (ref.kind == "document" and ref.mime.startswith("image/"))


async def store_incoming(ctx: Ctx, ref: MediaRef, kind: str) -> str:
    """Download a received photo or voice note through its channel and keep it in the media store.
    Raises InvalidInput with a clear message for a wrong type, an oversized file or a failed download."""
    key, _fresh = await store_incoming_fresh(ctx, ref, kind)
    return key


async def store_incoming_fresh(ctx: Ctx, ref: MediaRef, kind: str) -> tuple[str, bool]:
    """``store_incoming``, also saying whether this upload brought the file in (False when the same bytes
    were already kept, e.g. for a saved deed): only a fresh file is a form's to remove when it is left."""
    ok = as_photo(ref) if kind == "photo" else ref.kind == kind
    if not ok:
        raise InvalidInput(_("This file type is not supported here. Please send a photo (JPG or PNG)."))
    store = ctx.svc(MediaStore)
    store.check_size(ref.size)  # refuse before downloading, when the platform tells the size
    if ref.media_key:
        return ref.media_key, False
    try:
        data = await ctx.channel.fetch_media(ref)
    except DeliveryError as exc:
        log.warning("media download failed: %s", exc.reason)
        raise InvalidInput(_("I could not download that file. Please send it again.")) from exc
    mime = ref.mime or _DEFAULT_MIME.get(kind, "")
    if kind == "photo" and not mime.startswith("image/"):
        mime = "image/jpeg"
    fresh = not store.exists(store.key_for(data))
    return await store.save(data, mime, ref.file_name), fresh


def media_problem(ref: MediaRef) -> str:
    if ref.kind in ("sticker", "location"):
        return _(
            "Stickers and locations cannot be recorded. Please write in words what you did "
            "(or send a voice note)."
        )
    return _("Please write in words what you did (or send a voice note).")


@dataclass
class DeedTextStep(AskText):
    """What was done: text (too long is re-asked) or a voice note, stored at once in the media store."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        inbound = ctx.inbound
        if self.accept_voice and inbound.media and inbound.media[0].kind == "voice":
            try:
                return {"voice_key": await store_incoming(ctx, inbound.media[0], "voice")}
            except DomainError as exc:
                raise Invalid(exc.message) from exc
        if inbound.media and not (inbound.text or "").strip():
            raise Invalid(media_problem(inbound.media[0]))
        if not (inbound.text or "").strip() and not inbound.choice:
            raise Invalid(_("The answer is empty. Please write what you did."))
        return await super().parse(ctx, data)


@dataclass
class DeedPhotoStep(AskPhoto):
    """Up to three photos, each downloaded and stored as it arrives; the answer is a list of media keys."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        have: list[str] = list(data.get(self.key) or [])
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__done__":
            return _Finished(have)
        media = ctx.inbound.media
        if not media:
            raise Invalid(_("Please send a photo, or press the button to go on."))
        try:
            key = await store_incoming(ctx, media[-1], "photo")
        except DomainError as exc:
            raise Invalid(exc.message) from exc
        if key not in have:
            have.append(key)
        if len(have) >= self.max_count:
            return _Finished(have[: self.max_count])
        return _More(have)


def receipt_buttons(deed_id: int) -> list[list[Button]]:
    return [[Button(_("✏️ Edit"), EditDeed(deed_id).pack()), Button(_("🗑 Withdraw"), WithdrawDeed(deed_id).pack())]]


async def send_receipt(ctx: Ctx, deed: Deed, name: str, *, behalf: bool = False) -> None:
    if behalf:
        head = _("✅ Recorded on behalf of {name}. It is marked as recorded by the secretary.").format(
            name=esc(name)
        )
    else:
        head = _("✅ Thank you! Your good deed is saved and waits for the secretary's review.")
    text = head + "\n\n" + deed_card(deed, name) + "\n\n" + _("See your good deeds: /cuatoi")
    await ctx.reply(text, receipt_buttons(deed.id or 0))


__all__ = ["MAX_PHOTOS", "DeedPhotoStep", "DeedTextStep", "as_photo", "send_receipt", "store_incoming",
           "store_incoming_fresh"]
