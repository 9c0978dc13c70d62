"""The year-end self-assessment form (bản kiểm điểm cá nhân) as data: one list of sections per form.

docs/year-end.md §2 and §7: the 2025 forms (Mẫu 2A, 2B, 2C of Hướng dẫn 43-HD/BTCTW) were not found, so their
sections and order are NOT verified. Only "Ưu điểm, kết quả đạt được" is a heading seen in a source (the 2023
Mẫu 02B); the other titles are PLACEHOLDERS named after the rules they serve (``placeholder=True``). When the
đảng ủy's copy of the forms is at hand, correct these lists (keys may stay): no other code changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.i18n import _

SectionKind = Literal["text", "points", "level"]


@dataclass(frozen=True)
class FormSection:
    key: str
    title: Callable[[], str]
    kind: SectionKind
    # Where the draft's first text comes from: "results" (the member's year record), "shortcoming" and
    # "remedy" (the pledge), or "" (nothing).
    prefill: str = ""
    placeholder: bool = True  # the title is ours, not the official form's


_SECTIONS_2A: tuple[FormSection, ...] = (
    FormSection("uu_diem_ket_qua", lambda: _("Strengths and results achieved"), "text", "results",
                placeholder=False),
    FormSection("han_che_khuyet_diem", lambda: _("Limitations and shortcomings"), "text", "shortcoming"),
    FormSection("khac_phuc", lambda: _("Remedying limitations and shortcomings"), "text", "remedy"),
    FormSection("cham_diem", lambda: _("Points (30 common criteria + 70 task results)"), "points"),
    FormSection("tu_xep_loai", lambda: _("Proposed quality level"), "level"),
)

# Mẫu 2C (a member not working in the political system): the same placeholder list until the real one is read.
FORMS: dict[str, tuple[FormSection, ...]] = {"2A": _SECTIONS_2A, "2C": _SECTIONS_2A}
DEFAULT_FORM = "2A"
SECTION_MAX = 3000  # characters a member may write in one text section


def form_sections(form: str | None) -> tuple[FormSection, ...]:
    return FORMS.get(form or DEFAULT_FORM, FORMS[DEFAULT_FORM])


def text_sections(form: str | None) -> tuple[FormSection, ...]:
    return tuple(sec for sec in form_sections(form) if sec.kind == "text")


def section(form: str | None, key: str) -> FormSection | None:
    return next((sec for sec in text_sections(form) if sec.key == key), None)
