"""The persistent main menus (big buttons). Labels are matched back to commands by the router, so a
label is defined once here and nowhere else. An engine module because the engine sends a menu too (the
welcome after a join approval); which menu a person gets is ``permissions.menu_kind``."""

from __future__ import annotations

from bot.i18n import _
from bot.services.actor import Actor
from bot.services.permissions import menu_kind


def member_labels() -> dict[str, str]:
    """label -> command. Features whose command does not exist yet are simply not routed."""
    return {
        _("📖 Today's lesson"): "homnay",
        _("✍️ Report a good deed"): "viectot",
        _("📝 Register my pledge"): "dangky",
        _("📋 My record"): "cuatoi",
        _("👤 My profile"): "toi",
        _("❓ Help"): "help",
    }


def secretary_labels() -> dict[str, str]:
    """The secretary's six big buttons: the jobs done most, meetings among them; the rest is behind "More"."""
    return {
        _("📅 Meetings"): "hop",
        _("🗂 Review deeds"): "duyet",
        _("📣 Send a notice"): "thongbao",
        _("👥 Members"): "thanhvien",
        _("📊 Report"): "baocao",
        _("➕ More"): "them",
    }


def secretary_more() -> dict[str, str]:
    """What "➕ More" offers a secretary (inline buttons on Telegram, numbered choices on Zalo)."""
    return {
        _("📋 Pledge status"): "dangky_tinhhinh",
        **{label: cmd for label, cmd in member_labels().items()},
    }


MAX_MENU_BUTTONS = 6


def first_steps() -> str:
    """The three things a newly approved member can do today (the welcome after approval)."""
    return _("<b>Three things you can do today:</b>\n"
             "1. Read today's lesson: /homnay\n"
             "2. Register your pledge to follow Uncle Hồ: /dangky\n"
             "3. Report a good deed: /viectot")


def _rows(labels: list[str], per_row: int = 2) -> list[list[str]]:
    return [labels[i : i + per_row] for i in range(0, len(labels), per_row)]


def member_menu() -> list[list[str]]:
    return _rows(list(member_labels()))


def secretary_menu() -> list[list[str]]:
    return _rows(list(secretary_labels()))


def all_labels() -> dict[str, str]:
    return {**member_labels(), **secretary_labels(), **secretary_more()}


def menu_for(actor: Actor | None) -> list[list[str]] | None:
    """The person's main menu: the secretary menu for managers, the member menu for members, else none."""
    kind = menu_kind(actor)
    if kind is None:
        return None
    return secretary_menu() if kind == "secretary" else member_menu()
