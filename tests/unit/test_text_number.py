"""Counts read the Vietnamese way (4.096, not 4096 or 4,096); branch names are never "chi bộ Chi bộ …"."""

from __future__ import annotations

import pytest

from bot.i18n import use_locale
from bot.services.branch_report import fmt_pct, fmt_value
from bot.text import branch_title, number


@pytest.mark.parametrize(("value", "vi", "en"), [
    (0, "0", "0"),
    (999, "999", "999"),
    (1000, "1.000", "1,000"),
    (4096, "4.096", "4,096"),
    (16384, "16.384", "16,384"),
    (1234567, "1.234.567", "1,234,567"),
    (87.5, "87,5", "87.5"),
    (1234.5, "1.234,5", "1,234.5"),
])
def test_number_groups_thousands_for_the_reader(value, vi, en):
    with use_locale("vi"):
        assert number(value) == vi
    with use_locale("en"):
        assert number(value) == en


def test_report_figures_use_it():
    with use_locale("vi"):
        assert fmt_value(12000) == "12.000"
        assert fmt_pct(87.5) == "87,5%"


@pytest.mark.parametrize(("name", "title"), [
    ("Chi bộ thôn 1", "Chi bộ thôn 1"),
    ("chi bộ Khu phố 2", "chi bộ Khu phố 2"),
    ("Chi bo thon 3", "Chi bo thon 3"),
    ("Thôn 4", "Chi bộ Thôn 4"),
    ("Chibo lạ", "Chi bộ Chibo lạ"),
])
def test_branch_title_prefixes_only_bare_names(name, title):
    assert branch_title(name) == title
