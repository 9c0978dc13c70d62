"""Button kinds of votes: the secretary's screens and the member's ballot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class VotesFor(CallbackData, prefix="vt.for"):
    branch_id: int


@dataclass(frozen=True)
class VotesAt(CallbackData, prefix="vt.at"):
    meeting_id: int


@dataclass(frozen=True)
class NewVote(CallbackData, prefix="vt.new"):
    meeting_id: int


@dataclass(frozen=True)
class Cast(CallbackData, prefix="vt.cast"):
    """A tap on a ballot. Not ``answers``: the member may change their choice until the close."""

    vote_id: int
    choice: int


@dataclass(frozen=True)
class VoteView(CallbackData, prefix="vt.view"):
    vote_id: int


@dataclass(frozen=True)
class CloseVote(CallbackData, prefix="vt.close"):
    vote_id: int


@dataclass(frozen=True)
class ExportVotes(CallbackData, prefix="vt.xlsx"):
    meeting_id: int


@dataclass(frozen=True)
class VoteSettingsFor(CallbackData, prefix="vt.set"):
    branch_id: int


@dataclass(frozen=True)
class ToggleVoteSetting(CallbackData, prefix="vt.tog"):
    branch_id: int
    key: Literal["anon", "basis"]
