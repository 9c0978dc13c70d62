"""Votes in chat: /bieuquyet for the secretary (open, live tally, close, export, settings) and the member's
ballot (a button per option on Telegram, numbered on Zalo; the ballot is edited to show the current choice)."""

from __future__ import annotations

from typing import Any

from bot.clock import as_utc
from bot.features.votes.callbacks import (
    Cast,
    CloseVote,
    ExportVotes,
    NewVote,
    ToggleVoteSetting,
    VotesAt,
    VoteSettingsFor,
    VotesFor,
    VoteView,
)
from bot.features.votes.exports import VoteExport
from bot.features.votes.service import VoteService, clean_options, default_options
from bot.features.votes.texts import ballot_buttons, ballot_text, short_counts, tally_text
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form, Invalid
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.errors import InvalidInput
from bot.services.sheets import XLSX_MIME

router = Router("votes")


@router.command("bieuquyet", "vote", help=lambda: _("votes at a meeting"), audience="manager",
                phrases=("bieu quyet",))
async def votes_command(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, VotesFor)
    if branch_id is not None:
        await _branch_screen(ctx, branch_id)


@router.button(VotesFor)
async def votes_for(ctx: Ctx, data: VotesFor) -> None:
    await _branch_screen(ctx, data.branch_id)


async def _branch_screen(ctx: Ctx, branch_id: int) -> None:
    meetings = await ctx.svc(VoteService).recent_meetings(ctx.require_actor(), branch_id)
    if not meetings:
        await ctx.reply(_("No meeting has started yet, comrade. Votes are opened during or after a meeting "
                          "(schedule one with /hop)."))
        return
    await _meeting_screen(ctx, meetings[0][0], others=meetings[1:])


@router.button(VotesAt)
async def votes_at(ctx: Ctx, data: VotesAt) -> None:
    await _meeting_screen(ctx, data.meeting_id)


def _day(ctx: Ctx, at: Any) -> str:
    return str(as_utc(at).astimezone(ctx.services.deps.clock.tz).strftime("%d/%m/%Y"))


async def _meeting_screen(ctx: Ctx, meeting_id: int, others: list[Any] | None = None) -> None:
    svc = ctx.svc(VoteService)
    actor = ctx.require_actor()
    branch_id, starts_at, tallies = await svc.meeting_overview(actor, meeting_id)
    present, members = await svc.present_count(actor, meeting_id)
    lines = [_("🗳 <b>Votes</b> — meeting of {date}").format(date=_day(ctx, starts_at)),
             _("Present: {present}/{members}.").format(present=present, members=members)]
    buttons: list[list[Button]] = []
    if not tallies:
        lines.append(_("No vote at this meeting yet."))
    for n, t in enumerate(tallies, 1):
        state = _("closed") if t.closed else _("open")
        lines.append(f"{n}. {esc(t.vote.question)} — {state}: {short_counts(t)}")
        assert t.vote.id is not None
        buttons.append([Button(f"📊 {n}. {t.vote.question[:40]}", VoteView(t.vote.id).pack())])
    buttons.append([Button(_("➕ New vote"), NewVote(meeting_id).pack())])
    if tallies:
        buttons.append([Button(_("📥 Export to Excel"), ExportVotes(meeting_id).pack())])
    buttons.append([Button(_("⚙️ Vote settings"), VoteSettingsFor(branch_id).pack())])
    for mid, at in (others or [])[:3]:
        buttons.append([Button(_("Meeting of {date}").format(date=_day(ctx, at)), VotesAt(mid).pack())])
    await ctx.reply("\n".join(lines), buttons)


# --- opening: question, options, review card -----------------------------------------------------------------


def _question_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    return _("Vote at the meeting of {date} ({present}/{members} present). Please send the question to vote "
             "on.").format(date=data["date"], present=data["present"], members=data["members"])


def _mode_options(ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
    return [("default", " / ".join(default_options())), ("custom", _("✏️ Type the options"))]


class OptionLines(AskText):
    """The options typed one per line (2 to 10, distinct)."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = await super().parse(ctx, data)
        try:
            return clean_options(str(text).splitlines())
        except InvalidInput as exc:
            raise Invalid(exc.message) from exc


router.form(Form(
    "vote_open",
    steps=[
        AskText("question", _question_prompt, max_len=500),
        AskChoice("mode", lambda _ctx, _data: _("Which options?"), choices=_mode_options),
        OptionLines("options", lambda _ctx, _data: _("Please send the options, one per line (2 to 10)."),
                    skip_if=lambda d: d.get("mode") != "custom", max_len=1200),
    ],
    on_complete=lambda ctx, data: _review(ctx, data),
))


@router.button(NewVote)
async def new_vote(ctx: Ctx, data: NewVote) -> None:
    svc = ctx.svc(VoteService)
    actor = ctx.require_actor()
    _branch, starts_at, _t = await svc.meeting_overview(actor, data.meeting_id)
    present, members = await svc.present_count(actor, data.meeting_id)
    await ctx.forms.start("vote_open", {"meeting_id": data.meeting_id, "date": _day(ctx, starts_at),
                                        "present": present, "members": members})


async def _review(ctx: Ctx, data: dict[str, Any]) -> None:
    options = data.get("options") if data.get("mode") == "custom" else default_options()
    meeting_id = int(data["meeting_id"])
    svc = ctx.svc(VoteService)
    branch_id, _at, _t = await svc.meeting_overview(ctx.require_actor(), meeting_id)
    settings = await svc.settings(ctx.require_actor(), branch_id)
    present, members = await svc.present_count(ctx.require_actor(), meeting_id)
    lines = [_("🗳 <b>Open this vote?</b>"), f"<b>{esc(data['question'])}</b>"]
    lines += [f"• {esc(o)}" for o in options or []]
    lines.append(_("Secret ballot: only the counts are shown, never who chose what.") if settings.anonymous
                 else _("Open vote: the secretary sees who chose what."))
    lines.append(_("The ballot goes to the {present} members checked in (of {members}).").format(
        present=present, members=members))
    if present == 0:
        lines.append(_("⚠️ Nobody is checked in yet: mark attendance first (/diemdanh)."))
    await ask_confirm(ctx, "vote_open", "\n".join(lines),
                      {"meeting_id": meeting_id, "question": data["question"], "options": options,
                       "anonymous": settings.anonymous},
                      yes=_("✅ Open the vote and send the ballots"))


@router.confirmed("vote_open")
async def open_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    vote = await ctx.svc(VoteService).open(ctx.require_actor(), int(payload["meeting_id"]), str(payload["question"]),
                                           list(payload["options"]), bool(payload["anonymous"]))
    assert vote.id is not None
    await ctx.reply(
        _("🗳 The vote is open: the ballot was sent to the {n} members checked in. Close it when everyone has "
          "voted.").format(n=vote.present_count or 0),
        [[Button(_("📊 Live tally"), VoteView(vote.id).pack())],
         [Button(_("⏹ Close the vote"), CloseVote(vote.id).pack())]],
    )


# --- the secretary's tally and the close -----------------------------------------------------------------------


@router.button(VoteView)
async def view_vote(ctx: Ctx, data: VoteView) -> None:
    t, names, waiting = await ctx.svc(VoteService).view(ctx.require_actor(), data.vote_id)
    buttons = [] if t.closed else [[Button(_("🔄 Refresh"), VoteView(data.vote_id).pack())],
                                   [Button(_("⏹ Close the vote"), CloseVote(data.vote_id).pack())]]
    await ctx.reply(tally_text(t, names, waiting), buttons)


@router.button(CloseVote)
async def close_vote(ctx: Ctx, data: CloseVote) -> None:
    t, _names, _waiting = await ctx.svc(VoteService).view(ctx.require_actor(), data.vote_id)
    if t.closed:
        await ctx.reply(_("This vote has already closed."))
        return
    await ask_confirm(
        ctx, "vote_close",
        _("⏹ Close the vote “{question}”? {voters} of the {present} present have voted. After the close nobody "
          "can vote or change their choice.").format(question=esc(t.vote.question), voters=t.voters,
                                                     present=t.present),
        {"vote_id": data.vote_id}, yes=_("⏹ Close and announce the result"),
    )


@router.confirmed("vote_close")
async def close_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    svc = ctx.svc(VoteService)
    await svc.close(ctx.require_actor(), int(payload["vote_id"]))
    t, names, waiting = await svc.view(ctx.require_actor(), int(payload["vote_id"]))
    await ctx.reply(tally_text(t, names, waiting) + "\n\n" + _("The result was sent to those present."))


# --- the member's ballot ------------------------------------------------------------------------------------


@router.button(Cast)
async def cast(ctx: Ctx, data: Cast) -> None:
    svc = ctx.svc(VoteService)
    outcome = await svc.cast(ctx.require_actor(), data.vote_id, data.choice)
    vote = outcome.vote
    label = esc(vote.options[outcome.choice])
    if ctx.channel.caps.edit and ctx.inbound.kind == "callback" and ctx.inbound.message_id:
        day = await svc.ballot_day(vote)
        await ctx.edit(ctx.inbound.message_id, ballot_text(vote, day, outcome.choice),
                       ballot_buttons(vote, outcome.choice))
        await ctx.ack(_("Recorded: {option}").format(option=vote.options[outcome.choice]))
        return
    if outcome.changed:
        await ctx.reply(_("✅ Changed: your choice is now <b>{option}</b>. You may change it until the secretary "
                          "closes the vote.").format(option=label))
    else:
        await ctx.reply(_("✅ Recorded: you chose <b>{option}</b>. You may change it until the secretary closes "
                          "the vote.").format(option=label))


# --- export and settings ------------------------------------------------------------------------------------


@router.button(ExportVotes)
async def export_votes(ctx: Ctx, data: ExportVotes) -> None:
    key, name = await ctx.svc(VoteExport).meeting_xlsx(ctx.require_actor(), data.meeting_id)
    await ctx.reply(_("📥 The meeting's votes (secret ballots: counts only)."),
                    media=MediaRef(kind="document", media_key=key, file_name=name, mime=XLSX_MIME))


async def _settings_screen(ctx: Ctx, branch_id: int) -> None:
    st = await ctx.svc(VoteService).settings(ctx.require_actor(), branch_id)
    basis = _("of those present") if st.pass_basis == "present" else _("of the branch's members")
    text = "\n".join([
        _("⚙️ <b>Vote settings</b>"),
        _("Secret ballot (counts only): {value}").format(value=_("yes") if st.anonymous else _("no")),
        _("Passed when more than half {basis} agree.").format(basis=basis),
        _("Quorum: a warning when fewer than two thirds of the members are present."),
        _("Defaults follow the earlier guidance (not found in Guidance 43; to be verified)."),
    ])
    await ctx.reply(text, [
        [Button(_("Switch to an open vote") if st.anonymous else _("Switch to a secret ballot"),
                ToggleVoteSetting(branch_id, "anon").pack())],
        [Button(_("Count those present instead") if st.pass_basis != "present"
                else _("Count the branch's members instead"), ToggleVoteSetting(branch_id, "basis").pack())],
    ])


@router.button(VoteSettingsFor)
async def vote_settings(ctx: Ctx, data: VoteSettingsFor) -> None:
    await _settings_screen(ctx, data.branch_id)


@router.button(ToggleVoteSetting)
async def toggle_setting(ctx: Ctx, data: ToggleVoteSetting) -> None:
    await ctx.svc(VoteService).toggle_setting(ctx.require_actor(), data.branch_id, data.key)
    await _settings_screen(ctx, data.branch_id)
