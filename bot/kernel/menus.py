"""The persistent main menus (big buttons). Labels are matched back to commands by the router, so a
label is defined once here and nowhere else."""

from __future__ import annotations

from bot.i18n import _


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
    return {
        _("📣 Send a notice"): "thongbao",
        _("🗂 Review deeds"): "duyet",
        _("👥 Members"): "thanhvien",
        _("📊 Report"): "baocao",
        # --- pledges ---
        _("📋 Pledge status"): "dangky_tinhhinh",
    }


def _rows(labels: list[str], per_row: int = 2) -> list[list[str]]:
    return [labels[i : i + per_row] for i in range(0, len(labels), per_row)]


def member_menu() -> list[list[str]]:
    return _rows(list(member_labels()))


def secretary_menu() -> list[list[str]]:
    return _rows(list(secretary_labels()) + list(member_labels()))


def all_labels() -> dict[str, str]:
    return {**member_labels(), **secretary_labels()}
