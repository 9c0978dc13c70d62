"""bot.kernel.choices: the per-chat map of live numbered choices on channels without buttons."""

from bot.kernel import choices
from bot.messages import Button


def card(*data: str) -> list[Button]:
    return [Button(f"Nhãn {d}", d) for d in data]


def test_cards_number_on_and_an_older_card_stays_answerable():
    state: dict = {}
    assert choices.add_group(state, card("a1", "a2", "a3")) == 1
    assert choices.add_group(state, card("b1", "b2", "b3")) == 4
    assert choices.take(state, "2")["data"] == "a2"
    assert choices.take(state, " 5. ")["data"] == "b2"
    assert choices.take(state, "7") is None and choices.is_stale(state, "7") is None  # never handed out


def test_the_same_card_again_keeps_its_numbers():
    state: dict = {}
    choices.add_group(state, card("a1", "a2"))
    choices.add_group(state, card("b1"))
    assert choices.add_group(state, card("a1", "a2")) == 1
    assert [e["n"] for e in choices.live(state)] == [1, 2, 3]


def test_past_the_cap_the_oldest_cards_close_and_their_numbers_come_back():
    state: dict = {}
    for i in range(choices.MAX_LIVE // 3):
        choices.add_group(state, card(f"{i}a", f"{i}b", f"{i}c"))
    assert choices.add_group(state, card("new1", "new2")) == 1  # the first card closed: 1-3 are free again
    assert choices.take(state, "1")["data"] == "new1"
    assert choices.is_stale(state, "3") == 3  # handed out, now held by no card
    assert len(choices.live(state)) <= choices.MAX_LIVE


def test_words_pick_the_newest_card_first_and_never_guess_between_cards():
    state: dict = {}
    choices.add_group(state, [Button("✅ Ghi nhận", "x1"), Button("Không", "x2")])
    choices.add_group(state, [Button("✅ Ghi nhận", "y1"), Button("Để sau", "y2")])
    assert choices.take(state, "ghi nhan")["data"] == "y1"
    assert choices.take(state, "khong")["data"] == "x2"  # only the older card has it


def test_an_old_state_without_numbers_still_maps():
    state = {"choices": [{"label": "Có", "data": "c"}, {"label": "Không", "data": "k"}]}
    assert choices.take(state, "2")["data"] == "k"
