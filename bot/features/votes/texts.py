"""Votes: the texts of the ballot, the tally and the result (names only for a public vote)."""

from __future__ import annotations

from bot.features.votes.callbacks import Cast
from bot.features.votes.models import Vote
from bot.features.votes.service import Tally, counts_text
from bot.i18n import _
from bot.messages import Button, Reply, esc


def ballot_text(vote: Vote, day: str, chosen: int | None) -> str:
    lines = [
        _("🗳 <b>Vote</b> — meeting of {date}").format(date=day),
        f"<b>{esc(vote.question)}</b>",
        "",
        _("Secret ballot: only the counts are shown, never who chose what.") if vote.anonymous
        else _("Open vote: the secretary sees who chose what."),
    ]
    if chosen is None:
        lines.append(_("Please choose one option. You may change your choice until the secretary closes the vote."))
    else:
        lines.append(_("✅ Your choice: <b>{option}</b>. You may change it until the secretary closes the vote.")
                     .format(option=esc(vote.options[chosen])))
    return "\n".join(lines)


def ballot_buttons(vote: Vote, chosen: int | None) -> list[list[Button]]:
    assert vote.id is not None
    return [[Button(("✅ " if i == chosen else "") + label, Cast(vote.id, i).pack())]
            for i, label in enumerate(vote.options)]


def ballot(vote: Vote, day: str, chosen: int | None) -> Reply:
    return Reply(text=ballot_text(vote, day, chosen), buttons=ballot_buttons(vote, chosen))


def figures_lines(t: Tally) -> list[str]:
    lines = [f"• {esc(label)}: <b>{n}</b>" for label, n in zip(t.vote.options, t.counts, strict=False)]
    lines.append(_("Voted {voters}, present {present}, members {members}.").format(
        voters=t.voters, present=t.present, members=t.members))
    if not t.quorum:
        lines.append(_("⚠️ Fewer than two thirds of the members are present."))
    return lines


def outcome_line(t: Tally) -> str:
    basis = _("of those present") if t.vote.pass_basis == "present" else _("of the branch's members")
    if t.vote.kind == "choice":
        if t.winner is not None:
            return _("Result: <b>{option}</b> (more than half {basis}).").format(
                option=esc(t.vote.options[t.winner]), basis=basis)
        return _("Result: no option won more than half {basis}.").format(basis=basis)
    if t.passed:
        return _("Result: <b>passed</b> (more than half {basis} agreed).").format(basis=basis)
    return _("Result: <b>not passed</b> (agreement needs more than half {basis}).").format(basis=basis)


def tally_text(t: Tally, names: dict[int, list[str]], waiting: list[str]) -> str:
    """The secretary's view. ``names`` and ``waiting`` are empty for an anonymous vote (the service never
    reads them then)."""
    state = _("closed") if t.closed else _("open")
    lines = [_("🗳 <b>Vote</b> ({state}): <b>{question}</b>").format(state=state, question=esc(t.vote.question)),
             _("Secret ballot: counts only.") if t.vote.anonymous else _("Open vote.")]
    lines += figures_lines(t)
    if not t.vote.anonymous:
        for i, label in enumerate(t.vote.options):
            if names.get(i):
                lines.append(f"{esc(label)}: " + ", ".join(esc(n) for n in names[i]))
        if waiting:
            lines.append(_("Not voted yet: {names}").format(names=", ".join(esc(n) for n in waiting)))
    if t.closed:
        lines.append(outcome_line(t))
    return "\n".join(lines)


def result_message(t: Tally) -> Reply:
    """Sent to those present and the other managers when the vote closes: counts only, never names."""
    lines = [_("🗳 <b>Vote result</b>: <b>{question}</b>").format(question=esc(t.vote.question))]
    lines += figures_lines(t)
    lines.append(outcome_line(t))
    return Reply(text="\n".join(lines))


def short_counts(t: Tally) -> str:
    return esc(counts_text(t))
