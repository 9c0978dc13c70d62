"""Good deeds: how a deed is shown (status labels, the deed card, the secretary's review card)."""

from __future__ import annotations

from bot.features.deeds.callbacks import ReviewDeed
from bot.features.deeds.models import Deed, DeedStatus
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc


def status_label(status: str) -> str:
    return {
        DeedStatus.PENDING.value: _("waiting for the secretary"),
        DeedStatus.ACCEPTED.value: _("recorded by the branch"),
        DeedStatus.FEATURED.value: _("commended by the branch"),
        DeedStatus.RETURNED.value: _("returned for changes"),
        DeedStatus.WITHDRAWN.value: _("withdrawn by the member"),
    }.get(status, status)


def status_icon(status: str) -> str:
    return {"pending": "⏳", "accepted": "✅", "featured": "🌟", "returned": "↩️", "withdrawn": "🗑"}.get(
        status, "•"
    )


def deed_card(deed: Deed, person_name: str, *, with_status: bool = False) -> str:
    """One deed as a short HTML block (review cards, receipts, group posts)."""
    head = f"✍️ <b>{esc(person_name)}</b> · {deed.day.strftime('%d/%m/%Y')}"
    if deed.category:
        head += f" · {esc(deed.category)}"
    lines = [head]
    if deed.text:
        lines.append(esc(deed.text))
    extras = []
    if deed.voice_key:
        extras.append(_("🎙 voice note"))
    if deed.photo_keys:
        extras.append(_("📷 {n} photo(s)").format(n=len(deed.photo_keys)))
    if deed.recorded_by is not None and deed.recorded_by != deed.person_id:
        extras.append(_("recorded by the secretary"))
    if deed.pledge_item_id is not None:
        extras.append(_("🎯 fulfils a pledge"))
    if with_status:
        extras.append(f"{status_icon(deed.status)} {status_label(deed.status)}")
    if extras:
        lines.append("<i>" + " · ".join(extras) + "</i>")
    return "\n".join(lines)


def review_buttons(deed_id: int) -> list[list[Button]]:
    return [
        [
            Button(_("✅ Accept"), ReviewDeed("accept", deed_id).pack()),
            Button(_("🌟 Commend"), ReviewDeed("feature", deed_id).pack()),
            Button(_("↩️ Return"), ReviewDeed("return", deed_id).pack()),
        ]
    ]


def review_card(deed: Deed, person_name: str) -> Reply:
    """A pending deed for the secretary: its first photo (or voice note), text and the three buttons."""
    media = None
    if deed.photo_keys:
        media = MediaRef(kind="photo", media_key=deed.photo_keys[0])
    elif deed.voice_key:
        media = MediaRef(kind="voice", media_key=deed.voice_key)
    return Reply(text=deed_card(deed, person_name), media=media, buttons=review_buttons(deed.id or 0))
