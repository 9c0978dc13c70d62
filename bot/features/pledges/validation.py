"""Pledges: checking what a member typed (one field, a whole pledge)."""

from __future__ import annotations

from typing import Any

from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.texts import ITEM_KEYS, MAX_ITEMS, is_complete
from bot.i18n import _
from bot.services.errors import InvalidInput
from bot.text import number


def check_field(text: str, limit: int = FIELD_MAX) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The answer is empty. Please type it."))
    if len(text) > limit:
        raise InvalidInput(
            _("That is too long ({length} characters). Please keep it within {n} characters.").format(
                length=number(len(text)), n=number(limit)
            )
        )
    return text


def validate(content: dict[str, Any]) -> None:
    items = content.get("items") or []
    if not items:
        raise InvalidInput(_("A pledge needs at least one deed."))
    if len(items) > MAX_ITEMS:
        raise InvalidInput(_("A pledge holds at most {n} deeds.").format(n=MAX_ITEMS))
    for key in ("duty", "shortcoming", "remedy", "commitment"):
        content[key] = check_field(content.get(key) or "")
    for it in items:
        for key in ITEM_KEYS:
            it[key] = check_field(it.get(key) or "")
    if not is_complete(content):
        raise InvalidInput(_("Some parts of the pledge are still empty."))
