"""The conversation of contests: members enter (/hoithi), the committee opens one (/taohoithi) and follows
it (/dshoithi: entries per branch, judging, results, workbook, winners' list, announcement), judges score
(/chamthi)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.features.contests.callbacks import (
    AnnounceResults,
    ContestCard,
    ContestCounts,
    ContestExport,
    ContestResults,
    ContestWinners,
    EnterContest,
    JudgeContest,
    NameJudge,
    ScoreEntry,
)
from bot.features.contests.models import Contest, ContestEntry
from bot.features.contests.service import (
    MAX_TEXT,
    PLATFORM_MAX_MB,
    ContestInput,
    Contests,
    EntryInput,
    is_link,
    kind_label,
    parse_criteria,
)
from bot.i18n import _
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskDate, AskText, Form, Invalid, Step
from bot.kernel.media_intake import keep_media
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.documents import DOCX_MIME
from bot.services.errors import Conflict, DomainError, InvalidInput
from bot.services.media import MediaStore
from bot.services.permissions import committee_org
from bot.services.sheets import XLSX_MIME
from bot.text import number

router = Router("contests")

# The kinds a committee picks from when it opens a contest (value: the kinds, comma separated).
KIND_PRESETS = (
    ("text,document", lambda: _("Essays (text or a PDF/Word file)")),
    ("photo", lambda: _("Photos")),
    ("video,link", lambda: _("Video clips (a file or a link)")),
    ("text,photo,document,video,link", lambda: _("Any kind")),
)
DOC_MIMES = ("application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument")


def _day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


# --- members enter ---------------------------------------------------------------------------------------


@router.command("hoithi", "contest", help=lambda: _("enter a contest of the Party committee"), audience="member",
                phrases=("du thi", "nop bai du thi", "gui bai du thi"))
async def contests(ctx: Ctx) -> None:
    open_ = await ctx.svc(Contests).open_for_member(ctx.require_actor())
    if not open_:
        await ctx.reply(_("There is no contest open at the moment."))
        return
    lines = [_("🏆 <b>Contests open now</b>")]
    for c in open_:
        lines.append(_("• {title} (until {day})").format(title=esc(c.title), day=_day(c.deadline)))
    lines.append(_("Choose the contest to enter:"))
    await ctx.reply("\n".join(lines), [[Button(c.title[:60], EnterContest(c.id or 0).pack())] for c in open_])


def _entry_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    kinds = [str(k) for k in data.get("kinds") or []]
    ways = []
    if "text" in kinds:
        ways.append(_("write your entry as a message (up to {n} characters)").format(n=number(MAX_TEXT)))
    if "photo" in kinds:
        ways.append(_("send a photo"))
    if "document" in kinds:
        ways.append(_("send a PDF or Word file"))
    if "video" in kinds:
        ways.append(_("send a video file"))
    if "link" in kinds:
        ways.append(_("send a link (e.g. to a video)"))
    return _("📨 <b>{title}</b>\nPlease {ways}. Files up to {mb} MB.").format(
        title=esc(data.get("title") or ""), ways="; ".join(ways), mb=data.get("mb"))


def _media_kind(ref: MediaRef) -> str | None:
    if ref.kind == "photo" or (ref.kind == "document" and ref.mime.startswith("image/")):
        return "photo"
    if ref.kind == "video" or (ref.kind == "document" and ref.mime.startswith("video/")):
        return "video"
    if ref.kind == "document":
        return "document"
    return None


@dataclass
class EntryStep(Step):
    """The entry itself: a text, a link, or a photo, document or video kept in the media store."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        svc = ctx.svc(Contests)
        contest = await svc.get(int(data["contest_id"]))
        inbound = ctx.inbound
        text = (inbound.text or "").strip()
        try:
            if inbound.media:
                ref = inbound.media[-1]
                kind = _media_kind(ref)
                if kind is None:
                    raise InvalidInput(_("This kind of message cannot be an entry. This contest accepts: {kinds}.")
                                       .format(kinds=", ".join(kind_label(k) for k in contest.kinds)))
                svc.check_entry(contest, kind, ref.size)  # before downloading, when the platform says the size
                if kind == "document" and not ref.mime.startswith(DOC_MIMES):
                    raise InvalidInput(_("This file type is not accepted. Please send a PDF or Word file of up "
                                         "to {mb} MB.").format(mb=svc.limit_mb(contest)))
                kept = await keep_media(ctx, ref)
                svc.check_entry(contest, kind, kept.size)
                return {"kind": kind, "media_key": kept.media_key, "file_name": kept.file_name,
                        "size": kept.size, "text": text[:MAX_TEXT]}
            if not text:
                raise Invalid(_("The answer is empty. Please send your entry."))
            kind = "link" if is_link(text) else "text"
            svc.check_entry(contest, kind, None)
        except DomainError as exc:
            raise Invalid(exc.message) from exc
        if len(text) > MAX_TEXT:
            raise Invalid(_("That is too long ({length} characters). Please keep it within {n} characters, or "
                            "send it as a file.").format(length=number(len(text)), n=number(MAX_TEXT)))
        return {"kind": kind, "url": text} if kind == "link" else {"kind": kind, "text": text}


async def _entry_done(ctx: Ctx, data: dict[str, Any]) -> None:
    got = data["entry"]
    svc = ctx.svc(Contests)
    try:
        entry = await svc.submit(ctx.require_actor(), int(data["contest_id"]), EntryInput(
            kind=got["kind"], text=got.get("text") or "", url=got.get("url") or "", media_key=got.get("media_key"),
            file_name=got.get("file_name") or "", size=got.get("size")))
    except Conflict as exc:  # closed or entered meanwhile: trying again cannot help
        await ctx.reply("⚠️ " + exc.message)
        return
    await ctx.reply(_("✅ Entry No. {n} to the contest “{title}” is received ({kind}). Thank you!\nKeep this "
                      "number: the committee announces the results by entry number.").format(
        n=entry.number, title=esc(data.get("title") or ""), kind=kind_label(entry.kind)))


router.form(Form("contest_entry", [EntryStep("entry", _entry_prompt)], on_complete=_entry_done))


@router.button(EnterContest)
async def enter(ctx: Ctx, data: EnterContest) -> None:
    svc = ctx.svc(Contests)
    contest = await svc.check_can_enter(ctx.require_actor(), data.contest_id)
    await ctx.reply("\n".join([_("🏆 <b>{title}</b>").format(title=esc(contest.title)),
                               *([esc(contest.rules)] if contest.rules else []), *svc.terms(contest)]))
    await ctx.forms.start("contest_entry", {"contest_id": contest.id, "title": contest.title,
                                            "kinds": list(contest.kinds), "mb": svc.limit_mb(contest)})


# --- the committee opens a contest ---------------------------------------------------------------------


def _mb(text: str) -> int:
    if not re.fullmatch(r"\d{1,3}", text.strip()) or not 1 <= int(text) <= PLATFORM_MAX_MB:
        raise Invalid(_("Please type a number of MB from 1 to {limit}.").format(limit=PLATFORM_MAX_MB))
    return int(text)


@dataclass
class AskMb(AskText):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        return _mb(await super().parse(ctx, data))


@dataclass
class AskRubric(AskText):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        try:
            return parse_criteria(await super().parse(ctx, data))
        except DomainError as exc:
            raise Invalid(exc.message) from exc


def _new_summary(ctx: Ctx, data: dict[str, Any]) -> str:
    kinds = dict((v, f()) for v, f in KIND_PRESETS).get(data.get("kinds", ""), "")
    per = _("one entry per member") if data.get("per") == "member" else _("one entry per branch")
    rubric = "; ".join(f"{esc(str(n))} ({m})" for n, m in data.get("criteria") or [])
    return "\n".join([
        _("<b>Please check the contest:</b>"),
        _("Name: {title}").format(title=esc(data.get("title") or "")),
        _("Rules: {rules}").format(rules=esc(data.get("rules") or "")),
        _("Entries: {kinds}; {per}.").format(kinds=kinds, per=per),
        _("Files up to {mb} MB. Deadline: {day}.").format(mb=data.get("max_mb"),
                                                         day=_day(date.fromisoformat(data["deadline"]))),
        _("Rubric: {rubric}").format(rubric=rubric),
        _("Announce to the branches: {answer}").format(answer=_("yes") if data.get("announce") == "yes" else _("no")),
    ])


def _new_steps() -> list[Step]:
    return [
        AskText("title", lambda _c, _d: _("🏆 The name of the contest?"), max_len=200),
        AskText("rules", lambda _c, _d: _("📜 Its rules, briefly (theme, who may enter, what to send)?"),
                max_len=2000),
        AskChoice("kinds", lambda _c, _d: _("📎 Which entries does it take?"),
                  choices=lambda _c, _d: [(v, f()) for v, f in KIND_PRESETS]),
        AskMb("max_mb", lambda _c, _d: _("📦 The size limit of a file, in MB (at most {limit}: Telegram bots "
                                         "download files up to 20 MB)?").format(limit=PLATFORM_MAX_MB), max_len=3),
        AskDate("deadline", lambda _c, _d: _("📅 The last day entries are accepted?"), max_back_days=0,
                max_ahead_days=None, quick=False),
        AskChoice("per", lambda _c, _d: _("👥 One entry per member, or per branch?"),
                  choices=lambda _c, _d: [("member", _("Per member")), ("branch", _("Per branch"))]),
        AskRubric("criteria", lambda _c, _d: _("⚖️ The rubric: each criterion with its maximum points, separated "
                                               "by “;”, e.g. “Nội dung 50; Hình thức 30; Sáng tạo 20”."),
                  max_len=1000),
        AskChoice("announce", lambda _c, _d: _("📣 Announce the contest to the branches now?"),
                  choices=lambda _c, _d: [("yes", _("Yes, announce it")), ("no", _("Not now"))]),
        AskChoice("confirm", _new_summary,
                  choices=lambda _c, _d: [("open", _("✅ Open the contest")), ("restart", _("✏️ Start again"))],
                  next=lambda d: "title" if d.get("confirm") == "restart" else None),
    ]


async def _new_done(ctx: Ctx, data: dict[str, Any]) -> None:
    svc = ctx.svc(Contests)
    contest = await svc.open(ctx.require_actor(), int(data["org_id"]), ContestInput(
        title=data["title"], rules=data["rules"], kinds=str(data["kinds"]).split(","), max_mb=int(data["max_mb"]),
        deadline=date.fromisoformat(data["deadline"]), per=data["per"], criteria=data["criteria"],
        announce=data.get("announce") == "yes"))
    await ctx.reply(_("✅ The contest “{title}” is open until {day}. Follow it with /dshoithi.").format(
        title=esc(contest.title), day=_day(contest.deadline)))


router.form(Form("contest_new", _new_steps(), on_complete=_new_done))


@router.command("taohoithi", "newcontest", help=lambda: _("open a contest for the branches"), audience="committee")
async def new_contest(ctx: Ctx) -> None:
    org_id = committee_org(ctx.require_actor())
    if org_id is None:
        await ctx.reply(_("Only a Party committee opens contests."))
        return
    await ctx.forms.start("contest_new", {"org_id": org_id})


# --- the committee follows its contests ------------------------------------------------------------------


@router.command("dshoithi", "contests", help=lambda: _("the committee's contests: entries, judging, results"),
                audience="committee")
async def committee_list(ctx: Ctx) -> None:
    rows = await ctx.svc(Contests).of_committee(ctx.require_actor())
    if not rows:
        await ctx.reply(_("The committee has no contest yet. Open one with /taohoithi."))
        return
    await ctx.reply(_("🏆 The committee's contests:"),
                    [[Button(f"{c.title[:50]} ({_day(c.deadline)})", ContestCard(c.id or 0).pack())] for c in rows])


def _card_buttons(contest: Contest) -> list[list[Button]]:
    cid = contest.id or 0
    return [
        [Button(_("👥 Per branch"), ContestCounts(cid).pack()), Button(_("⚖️ Score"), JudgeContest(cid).pack())],
        [Button(_("🏅 Results"), ContestResults(cid).pack()), Button(_("📥 Excel"), ContestExport(cid).pack())],
        [Button(_("📄 Winners (.docx)"), ContestWinners(cid).pack()),
         Button(_("📣 Announce the winners"), AnnounceResults(cid).pack())],
        [Button(_("🧑‍⚖️ Name a judge"), NameJudge(cid).pack())],
    ]


@dataclass
class AskJudge(AskText):
    """The judge's full name: one active member of the đảng bộ's branches, else asked again."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        name = await super().parse(ctx, data)
        try:
            pid, found = await ctx.svc(Contests).find_member(ctx.require_actor(), int(data["contest_id"]), name)
        except InvalidInput as exc:
            raise Invalid(exc.message) from exc
        return {"person_id": pid, "name": found}


async def _judge_named(ctx: Ctx, data: dict[str, Any]) -> None:
    judge = data["judge"]
    contest = await ctx.svc(Contests).name_judge(ctx.require_actor(), int(data["contest_id"]), int(judge["person_id"]))
    await ctx.reply(_("✅ {name} is a judge of “{title}” and is told to score with /chamthi.").format(
        name=esc(judge["name"]), title=esc(contest.title)))


router.form(Form("contest_judge", [AskJudge("judge", lambda _c, _d: _(
    "🧑‍⚖️ Type the full name of the judge (a member of one of the đảng bộ's branches)."), max_len=200)],
    on_complete=_judge_named))


@router.button(NameJudge)
async def name_judge(ctx: Ctx, data: NameJudge) -> None:
    await ctx.svc(Contests).branch_counts(ctx.require_actor(), data.contest_id)  # the committee only
    await ctx.forms.start("contest_judge", {"contest_id": data.contest_id})


@router.button(ContestCard)
async def card(ctx: Ctx, data: ContestCard) -> None:
    svc = ctx.svc(Contests)
    contest, counts = await svc.branch_counts(ctx.require_actor(), data.contest_id)
    lines = [_("🏆 <b>{title}</b>").format(title=esc(contest.title)), *svc.terms(contest),
             _("{n} entries so far.").format(n=sum(c.entries for c in counts))]
    await ctx.reply("\n".join(lines), _card_buttons(contest))


@router.button(ContestCounts)
async def counts(ctx: Ctx, data: ContestCounts) -> None:
    contest, rows = await ctx.svc(Contests).branch_counts(ctx.require_actor(), data.contest_id)
    entered = sum(1 for r in rows if r.entries)
    lines = [_("👥 <b>{title}</b>: {entered}/{total} branches have entered, {n} entries.").format(
        title=esc(contest.title), entered=entered, total=len(rows), n=sum(r.entries for r in rows))]
    lines += [_("• {branch}: {n} entries").format(branch=esc(r.name), n=r.entries) for r in rows if r.entries]
    missing = [esc(r.name) for r in rows if not r.entries]
    if missing:
        lines.append(_("Not entered yet: {names}").format(names=", ".join(missing)))
    await ctx.reply("\n".join(lines))


@router.button(ContestResults)
async def results(ctx: Ctx, data: ContestResults) -> None:
    standing = await ctx.svc(Contests).results(ctx.require_actor(), data.contest_id)
    lines = [_("🏅 <b>Ranking of “{title}”</b>").format(title=esc(standing.contest.title))]
    for r in standing.ranking:
        lines.append(_("{rank}. Entry No. {n}, {name} ({branch}): {points} points{prize}").format(
            rank=r.rank, n=r.entry.number, name=esc(r.author), branch=esc(r.branch), points=number(r.average),
            prize=f" — {r.prize}" if r.prize else ""))
    if not standing.ranking:
        lines.append(_("No entry has been scored yet."))
    if standing.unscored:
        lines.append(_("{n} entries are not scored yet.").format(n=standing.unscored))
    await ctx.reply("\n".join(lines))


async def _save_export(ctx: Ctx, body: bytes, mime: str, name: str, contest_id: int) -> str:
    """Saved once, listed under every branch of the đảng bộ: it names their members."""
    svc, store = ctx.svc(Contests), ctx.svc(MediaStore)
    branches = await svc.branch_ids(await svc.get(contest_id))
    key = store.key_for(body)
    for branch_id in branches:
        key = await store.save(body, mime, name, generated_for=branch_id)
    if not branches:
        key = await store.save(body, mime, name)
    return key


@router.button(ContestExport)
async def export(ctx: Ctx, data: ContestExport) -> None:
    svc = ctx.svc(Contests)
    body, name = await svc.workbook(ctx.require_actor(), data.contest_id)
    key = await _save_export(ctx, body, XLSX_MIME, name, data.contest_id)
    await ctx.reply(_("📥 The contest workbook: summary, entries per branch, entries, ranking."),
                    media=MediaRef(kind="document", media_key=key, mime=XLSX_MIME, file_name=name))


@router.button(ContestWinners)
async def winners(ctx: Ctx, data: ContestWinners) -> None:
    body, name = await ctx.svc(Contests).winners_docx(ctx.require_actor(), data.contest_id)
    key = await _save_export(ctx, body, DOCX_MIME, name, data.contest_id)
    await ctx.reply(_("📄 The list of winners, for the certificates."),
                    media=MediaRef(kind="document", media_key=key, mime=DOCX_MIME, file_name=name))


@router.button(AnnounceResults)
async def announce(ctx: Ctx, data: AnnounceResults) -> None:
    svc = ctx.svc(Contests)
    standing = await svc.results(ctx.require_actor(), data.contest_id)
    if not any(r.prize for r in standing.ranking):
        await ctx.reply(_("No entry has been scored yet: there are no winners to announce."))
        return
    await ask_confirm(ctx, "contest_announce", _("Send these results to every branch?") + "\n\n"
                      + svc.winners_text(standing), {"contest_id": data.contest_id},
                      yes=_("📣 Announce"))


@router.confirmed("contest_announce")
async def announced(ctx: Ctx, payload: dict[str, Any]) -> None:
    n = await ctx.svc(Contests).announce_results(ctx.require_actor(), int(payload["contest_id"]))
    await ctx.reply(_("📣 The results are sent to the branches ({n} notices).").format(n=n))


# --- judges ---------------------------------------------------------------------------------------------


@router.command("chamthi", "judge", help=lambda: _("score the entries of a contest you judge"), audience="member")
async def judge_list(ctx: Ctx) -> None:
    rows = await ctx.svc(Contests).judged_by(ctx.require_actor())
    if not rows:
        await ctx.reply(_("You are not a judge of any contest."))
        return
    await ctx.reply(_("⚖️ Which contest do you score?"),
                    [[Button(c.title[:60], JudgeContest(c.id or 0).pack())] for c in rows])


def _entry_label(e: ContestEntry) -> str:
    return _("No. {n} ({kind})").format(n=e.number, kind=kind_label(e.kind))


@router.button(JudgeContest)
async def to_score(ctx: Ctx, data: JudgeContest) -> None:
    contest, entries = await ctx.svc(Contests).entries_to_score(ctx.require_actor(), data.contest_id)
    if not entries:
        await ctx.reply(_("✅ You have scored every entry of “{title}”.").format(title=esc(contest.title)))
        return
    shown = entries[:20]
    await ctx.reply(_("⚖️ “{title}”: {n} entries wait for your score. Choose one:").format(
        title=esc(contest.title), n=len(entries)), [[Button(_entry_label(e), ScoreEntry(e.id or 0).pack())]
                                                    for e in shown])


def _score_prompt(ctx: Ctx, data: dict[str, Any]) -> str:
    crit = data.get("criteria") or []
    listing = "\n".join(_("• {name}: 0–{top}").format(name=esc(str(n)), top=m) for n, m in crit)
    example = " ".join(str(int(m) * 3 // 4) for _n, m in crit)
    return _("⚖️ Entry No. {n}. Type the points for each criterion, in order, separated by spaces (e.g. "
             "“{example}”):\n{listing}").format(n=data.get("number"), example=example, listing=listing)


@dataclass
class AskPoints(AskText):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = await super().parse(ctx, data)
        parts = re.split(r"[\s;,]+", text.strip())
        if not all(re.fullmatch(r"-?\d{1,4}", p) for p in parts):
            raise Invalid(_("Please type whole numbers separated by spaces."))
        points = [int(p) for p in parts]
        contest = await ctx.svc(Contests).get(int(data["contest_id"]))
        try:
            ctx.svc(Contests).check_points(contest, points)
        except DomainError as exc:
            raise Invalid(exc.message) from exc
        return points


async def _score_done(ctx: Ctx, data: dict[str, Any]) -> None:
    row = await ctx.svc(Contests).score(ctx.require_actor(), int(data["entry_id"]), list(data["points"]))
    await ctx.reply(_("✅ Entry No. {n}: {total} points recorded.").format(n=data.get("number"), total=row.total),
                    [[Button(_("⚖️ Next entry"), JudgeContest(int(data["contest_id"])).pack())]])


router.form(Form("contest_score", [AskPoints("points", _score_prompt, max_len=100)], on_complete=_score_done))


@router.button(ScoreEntry)
async def score_entry(ctx: Ctx, data: ScoreEntry) -> None:
    contest, entry = await ctx.svc(Contests).entry(ctx.require_actor(), data.entry_id)
    head = _("📝 Entry No. {n} ({kind})").format(n=entry.number, kind=kind_label(entry.kind))
    body = esc(entry.text or entry.url)
    if entry.media_key:
        mref = MediaRef(kind="photo" if entry.kind == "photo" else "document", media_key=entry.media_key,
                        file_name=entry.file_name)
        await ctx.reply(head + ("\n" + body if body else ""), media=mref)
    else:
        await ctx.reply(head + "\n" + body)
    await ctx.forms.start("contest_score", {"contest_id": contest.id, "entry_id": entry.id, "number": entry.number,
                                            "criteria": list(contest.criteria)})

