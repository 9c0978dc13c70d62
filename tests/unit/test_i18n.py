"""Every user-facing string has a Vietnamese translation, and catalogs never contradict each other."""

from __future__ import annotations

from bot.devtools.i18n_check import extract, missing, unused
from bot.i18n import _, catalog, conflicts, use_locale


def test_every_msgid_is_translated_to_vietnamese():
    assert extract(), "the extractor found no strings at all"
    assert missing("vi") == {}


def test_no_catalog_keeps_a_translation_no_code_uses():
    assert unused("vi") == {}


def test_catalogs_merge_without_conflicts_and_switch_locale():
    assert conflicts("vi") == []
    vi = catalog("vi")
    assert vi["✅ Approve"] == "✅ Duyệt"
    with use_locale("en"):
        assert _("✅ Approve") == "✅ Approve"
    with use_locale("vi"):
        assert _("✅ Approve") == "✅ Duyệt"
