"""How the year file reads one member's attendance: the secretary's three-state mark (present / excused /
absent, with a reason) wins; a member not marked is excused by an RSVP "not attending" that gave a reason."""

from __future__ import annotations

from types import SimpleNamespace

from bot.features.meetings.yearfile import _status


def att(**fields):  # type: ignore[no-untyped-def]
    return SimpleNamespace(**fields)


def test_three_states_win_over_the_rsvp():
    declined = att(attending=False, reason="Đi công tác")
    assert _status(att(present=False, status="absent", reason=None), declined) == ("absent", None)
    assert _status(att(present=False, status="excused", reason="Ốm"), declined) == ("excused", "Ốm")
    assert _status(att(present=False, status="excused", reason=None), declined) == ("excused", "Đi công tác")
    assert _status(att(present=True, status="present", reason=None), declined) == ("present", None)


def test_not_marked_an_rsvp_reason_excuses():
    assert _status(att(present=True, status="present", reason=None), None) == ("present", None)
    assert _status(None, att(attending=False, reason="Đi công tác")) == ("excused", "Đi công tác")
    assert _status(None, att(attending=False, reason="  ")) == ("absent", None)
    assert _status(None, att(attending=True, reason=None)) == ("absent", None)
    assert _status(None, None) == ("absent", None)
