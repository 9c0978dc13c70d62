"""Votes at a branch meeting (biểu quyết): open a question for those present, ballots, close, result, export."""

from bot.features.votes import handlers, models
from bot.features.votes.service import provide_meeting_votes, provide_open_meeting_vote, provide_vote_result
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="votes",
    routers=(handlers.router,),
    models=(models.Vote, models.Ballot, models.VoteSettings),
    # A ballot keeps only the person's id: an erased member's ballot still counts, with nothing personal left.
    personal_data=PersonalData(by_reference=(models.Vote, models.Ballot, models.VoteSettings)),
    providers={
        "open_meeting_vote": provide_open_meeting_vote,
        "vote_result": provide_vote_result,
        "meeting_votes": provide_meeting_votes,
    },
    help=(HelpLine("bieuquyet", "meetings"),),
    catalog="votes",
)
