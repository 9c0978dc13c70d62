""""Học Bác mỗi ngày": /homnay, /ngaunhien, /timkiem, /chuyende, /caidat, "Đã đọc ✓", the secretary's
weekly count, linking the branch group (/lienketnhom) and importing content by uploading a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.content import ContentError, ContentItem
from bot.content.model import theme_name
from bot.content.render import render_snippet
from bot.features.daily.callbacks import (
    DailyDays,
    DailyGroupOnly,
    DailyLargeCard,
    DailySetting,
    MarkRead,
    WeekReadsFor,
)
from bot.features.daily.catalog import DAILY_EXAMPLE, Today, actor_org, hhmm, render_daily
from bot.features.daily.delivery import DailyDelivery
from bot.features.daily.library import DailyLibrary
from bot.features.daily.preferences import DailyPrefs, Prefs
from bot.features.daily.reading import DailyReading
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskDate, AskText, Form, Invalid, text_prompt
from bot.kernel.routing import Router, Unhandled
from bot.messages import Button, esc
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, PermissionDenied
from bot.services.permissions import can_admin_some_org, committee_org, import_org, is_committee_admin, is_member
from bot.services.when import WhenError, read_time, show
from bot.text import branch_title, fold

router = Router("daily")

SEARCH_LIMIT = 5
WEEKLY_STREAK = 7  # on channels that pay per message, "Read ✓" is confirmed only on every 7th day of a streak
SNIPPET_CHARS = 320
IMPORT_MAX_BYTES = 1_000_000
IMPORT_SUFFIXES = (".yaml", ".yml", ".csv")


# --- reading ---------------------------------------------------------------------------------------


@router.command("homnay", "today", help=lambda: _("today's lesson"), audience="member",
                phrases=("bai hom nay", "bai hoc hom nay", "loi bac hom nay", "hoc bac hom nay", "bai hoc",
                         "hoc hom nay", "noi dung hom nay", "bai doc hom nay", "bai cua hom nay"))
async def today(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    delivery = ctx.svc(DailyDelivery)
    t = await delivery.today(actor)
    reply = render_daily(t)
    if (await ctx.svc(DailyPrefs).prefs(actor.person_id)).large_card:
        # The same card as the morning's item (drawn once, from the cache).
        names = {t.item.owner_org_id or 0: t.added_by} if t.added_by else None
        reply.media = (await delivery.card_photos({t.item}, names)).get(t.item.id)
    await ctx.send(reply)


@router.command("ngaunhien", "random", help=lambda: _("another teaching, chosen at random"),
                phrases=("bai khac", "them bai", "bai ngau nhien", "mot bai khac", "them bai khac"))
async def random_item(ctx: Ctx) -> None:
    lib = ctx.svc(DailyLibrary)
    item = await lib.random_item(ctx.require_actor())
    names = await lib.added_by([item])
    await ctx.send(render_daily(Today(ctx.today, item, None, names.get(item.owner_org_id or 0)), with_button=False))


def _snippet(item: ContentItem, added_by: str | None = None) -> str:
    # The cut's "…" goes outside the quotation marks: never a mark of ours inside his words.
    snippet = render_snippet(item, SNIPPET_CHARS)
    if added_by:  # an item a đảng bộ imported says so, as in the daily message
        snippet += "\n<i>" + esc(_("Added by {org}").format(org=added_by)) + "</i>"
    return snippet


@router.command("timkiem", "search", help=lambda: _("search the teachings: /timkiem keyword"), takes="text",
                phrases=("tim", "tim bai", "tim bai ve", "tim kiem bai", "tim kiem ve", "tim ve", "tra cuu",
                         "tra cuu ve", "tim loi bac", "tim loi bac ve"))
async def search(ctx: Ctx) -> None:
    query = ctx.inbound.args.strip()
    if not query:
        await ctx.reply(_("Please type a keyword after the command, e.g. /timkiem cần kiệm"))
        return
    actor = ctx.require_actor()
    found = await ctx.svc(DailyLibrary).search(actor, query[:100], SEARCH_LIMIT)
    if not found:
        item = await ctx.svc(DailyLibrary).random_item(actor)
        names = await ctx.svc(DailyLibrary).added_by([item])
        await ctx.reply(_("I found nothing for “{query}”. Try other words, e.g. “cần kiệm”, “đoàn kết”. "
                          "Meanwhile, here is one teaching:").format(query=esc(query[:100])))
        await ctx.send(render_daily(Today(ctx.today, item, None, names.get(item.owner_org_id or 0)),
                                    with_button=False))
        return
    names = await ctx.svc(DailyLibrary).added_by(found)
    lines = [_("🔎 <b>Results for “{query}”</b>").format(query=esc(query[:100]))]
    for n, item in enumerate(found, 1):
        lines.append("")
        lines.append(f"{n}. {_snippet(item, names.get(item.owner_org_id or 0))}")
    await ctx.reply("\n".join(lines))


@router.button(MarkRead)
async def read(ctx: Ctx, data: MarkRead) -> None:
    streak = await ctx.svc(DailyReading).mark_read(ctx.require_actor(), data.day)
    if not ctx.channel.caps.buttons and streak % WEEKLY_STREAK != 0:
        # Zalo counts every message against the bot's monthly plan: the press is recorded silently, and the
        # streak is confirmed once a week (forecast.READ_CONFIRM_EVERY assumes the same).
        return
    await ctx.reply(_("✅ Noted, thank you. Your reading streak: {n} day(s).").format(n=streak))


async def reading_streak_line(ctx: Ctx, actor: Actor) -> str | None:
    """A line of /toi (declared as a profile section in feature.py)."""
    if not is_member(actor):
        return None
    streak = await ctx.svc(DailyReading).streak(actor.person_id)
    return _("📖 Reading streak: {n} day(s)").format(n=streak)


# --- year theme ------------------------------------------------------------------------------------


def _topics_from(text: str, known: set[str]) -> list[str]:
    """"cần kiệm liêm chính, đạo đức" or slugs -> known theme slugs; unknown words are kept to be refused."""
    by_words = {fold(slug.replace("-", " ")): slug for slug in known}
    # The Vietnamese names people see ("Dân vận", "Cần, kiệm, liêm, chính") are accepted too.
    by_words.update({fold(theme_name(slug).replace(",", " ")): slug for slug in known})
    out: list[str] = []
    for part in text.split(";" if ";" in text else ","):
        words = " ".join(fold(part).replace(",", " ").split())
        if words:
            out.append(by_words.get(words, part.strip()))
    return out


def _topic_names(slugs: list[str] | set[str]) -> str:
    """Theme slugs as the Vietnamese names people read, in the given order."""
    return "; ".join(theme_name(s) for s in slugs)


@router.command("chuyende", "theme", help=lambda: _("this year's theme"), phrases=("chuyen de nam nay",))
async def theme(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    args = ctx.inbound.args.strip()
    head, _sep, rest = args.partition(" ")
    if fold(head) in ("dat", "set"):
        await _set_theme(ctx, actor, rest)
        return
    t = await ctx.svc(DailyLibrary).get_theme(actor)
    if t is None:
        text = _("Your Party committee has not set this year's theme ({year}) yet.").format(
            year=ctx.today.year)
    else:
        text = _("📌 <b>Year theme {year}</b>\n{title}").format(year=t.year, title=esc(t.title))
        if t.themes:
            text += "\n" + _("Topics: {topics}").format(topics=esc(_topic_names(t.themes)))
    if can_admin_some_org(actor):
        known = esc(_topic_names(sorted(await _known_topics(ctx, actor), key=theme_name)))
        text += "\n\n" + _("To set it: /chuyende dat &lt;title&gt; | &lt;topic&gt;, &lt;topic&gt;\n"
                             "Topics: {known}").format(known=known)
    await ctx.reply(text)


async def _known_topics(ctx: Ctx, actor: Actor) -> set[str]:
    svc = ctx.svc(DailyLibrary)
    async with ctx.services.deps.db.session() as s:
        return await svc.topics(s, actor_org(actor))


async def _set_theme(ctx: Ctx, actor: Actor, rest: str) -> None:
    org_id = committee_org(actor) or actor_org(actor)
    if org_id is None or not can_admin_some_org(actor):
        # The service decides; this only gives members a clear answer without touching anything.
        raise PermissionDenied(_("Only the Party committee's administrator can set the year theme."))
    title, _sep, topics = rest.partition("|")
    if not title.strip():
        raise InvalidInput(_("Please write: /chuyende dat <title> | <topic>, <topic>"))
    known = await _known_topics(ctx, actor)
    t = await ctx.svc(DailyLibrary).set_theme(actor, org_id, title, _topics_from(topics, known))
    await ctx.reply(_("✅ Year theme {year} saved: {title}").format(year=t.year, title=esc(t.title)))


# --- settings --------------------------------------------------------------------------------------


def _settings_text(p: Prefs, today: date) -> str:
    days = _("every day") if p.days == "all" else _("weekdays only (Monday to Friday)")
    lines = [_("⚙️ <b>Daily lesson settings</b>"),
             _("• Time: {time}").format(time=hhmm(p.minute)),
             _("• Days: {days}").format(days=days)]
    if p.paused_until is not None and p.paused_until >= today:
        lines.append(_("• Paused until the end of {day}").format(day=p.paused_until.strftime("%d/%m/%Y")))
    if p.group_only:
        lines.append(_("• Read in the branch group only (no private message)"))
    if p.large_card:
        lines.append(_("• With a large-print picture card"))
    return "\n".join(lines)


def _settings_buttons(p: Prefs, today: date) -> list[list[Button]]:
    paused = p.paused_until is not None and p.paused_until >= today
    rows = [[Button(_("⏰ Change time"), DailySetting("time").pack())],
            [Button(_("📅 Every day"), DailyDays("all").pack()),
             Button(_("📅 Weekdays only"), DailyDays("weekdays").pack())],
            [Button(_("▶️ Resume"), DailySetting("resume").pack()) if paused
             else Button(_("⏸ Pause"), DailySetting("pause").pack())]]
    rows.append([Button(_("📩 Private message too"), DailyGroupOnly(False).pack())] if p.group_only
                else [Button(_("👥 Group only"), DailyGroupOnly(True).pack())])
    rows.append([Button(_("🔠 No large-print picture"), DailyLargeCard(False).pack())] if p.large_card
                else [Button(_("🔠 Large-print picture too"), DailyLargeCard(True).pack())])
    return rows


def _saved_time(p: Prefs) -> str:
    return _("✅ Saved: you will get the lesson at {time}.").format(time=hhmm(p.minute))


async def _show_settings(ctx: Ctx, p: Prefs, note: str | None = None) -> None:
    text = _settings_text(p, ctx.today)
    await ctx.reply(f"{note}\n\n{text}" if note else text, _settings_buttons(p, ctx.today))


@router.command("caidat", "settings", help=lambda: _("daily lesson: time, days, pause"), audience="member")
async def settings(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    arg = ctx.inbound.args.strip()
    if arg:
        p = await ctx.svc(DailyPrefs).set_time(actor, arg)
        await _show_settings(ctx, p, _saved_time(p))
        return
    await _show_settings(ctx, await ctx.svc(DailyPrefs).prefs(actor.person_id))


@router.button(DailySetting)
async def settings_pressed(ctx: Ctx, data: DailySetting) -> None:
    if data.action == "time":
        await ctx.forms.start("daily_time")
    elif data.action == "pause":
        await ctx.forms.start("daily_pause")
    else:
        await _show_settings(ctx, await ctx.svc(DailyPrefs).resume(ctx.require_actor()), _("✅ Saved."))


@router.button(DailyDays)
async def days_pressed(ctx: Ctx, data: DailyDays) -> None:
    p = await ctx.svc(DailyPrefs).set_days(ctx.require_actor(), data.days)
    await _show_settings(ctx, p, _("✅ Saved."))


@router.button(DailyGroupOnly)
async def group_only_pressed(ctx: Ctx, data: DailyGroupOnly) -> None:
    p = await ctx.svc(DailyPrefs).set_group_only(ctx.require_actor(), data.group_only)
    await _show_settings(ctx, p, _("✅ Saved."))


@router.button(DailyLargeCard)
async def large_card_pressed(ctx: Ctx, data: DailyLargeCard) -> None:
    p = await ctx.svc(DailyPrefs).set_large_card(ctx.require_actor(), data.on)
    note = (_("✅ Saved: the daily lesson will also come as a picture in large print, easy to read and to "
              "forward to your family.") if p.large_card else _("✅ Saved: no more large-print picture."))
    await _show_settings(ctx, p, note)


@dataclass
class AskTime(AskText):
    """A time of day ("6h30", "6 giờ sáng"), re-asked with the reason and an example ("25:99", "sáng mai")."""

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = await super().parse(ctx, data)
        try:
            read_time(text, example=DAILY_EXAMPLE)
        except WhenError as exc:
            raise Invalid(exc.message) from exc
        return text


async def _time_done(ctx: Ctx, data: dict[str, Any]) -> None:
    p = await ctx.svc(DailyPrefs).set_time(ctx.require_actor(), data["time"])
    await _show_settings(ctx, p, _saved_time(p))


async def _pause_done(ctx: Ctx, data: dict[str, Any]) -> None:
    p = await ctx.svc(DailyPrefs).pause(ctx.require_actor(), date.fromisoformat(data["until"]))
    assert p.paused_until is not None
    await _show_settings(ctx, p, _("⏸ Paused until the end of {day}. Press “Resume” any time.").format(
        day=p.paused_until.strftime("%d/%m/%Y")))


router.form(Form("daily_time", [AskTime("time", text_prompt(
    lambda: _("At what time should the daily lesson come? E.g. 06:30 or 6h sáng.")), max_len=20)],
    on_complete=_time_done))
router.form(Form("daily_pause", [AskDate("until", lambda c, _d: _(
    "Pause until which day (inclusive)? E.g. {example} or “chủ nhật tuần sau”.").format(
        example=show(c.today + timedelta(days=7))),
    max_back_days=0, max_ahead_days=366, quick=False)], on_complete=_pause_done))


# --- secretaries: weekly count and the branch group -------------------------------------------------


async def _week(ctx: Ctx, branch_id: int) -> None:
    w = await ctx.svc(DailyReading).week_reads(ctx.require_actor(), branch_id)
    text = _("📖 <b>This week</b> (since {since}): {readers} of {members} members pressed “Read ✓”, "
             "{reads} times in all.").format(since=w.since.strftime("%d/%m"), readers=w.readers,
                                             members=w.members, reads=w.reads)
    if w.unreachable:
        text += "\n" + _("⚠️ {n} member(s) cannot be reached (they blocked the bot or never started it)."
                         ).format(n=w.unreachable)
    await ctx.reply(text)


@router.command("dadoc", "reads", help=lambda: _("how many members read this week"), audience="manager")
async def week(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, WeekReadsFor)
    if branch_id is not None:
        await _week(ctx, branch_id)


@router.button(WeekReadsFor)
async def week_for(ctx: Ctx, data: WeekReadsFor) -> None:
    await _week(ctx, data.branch_id)


@router.command("lienketnhom", "linkgroup", help=lambda: _("send in the branch group chat to link it"),
                audience="manager", groups=True)
async def link_group(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    if ctx.inbound.is_private:
        await ctx.reply(_("Add me to your branch's group chat, then send /lienketnhom there. "
                          "Optionally give the time, e.g. /lienketnhom 06:30. To stop: /lienketnhom huy")
                        + _groups_beta_note(ctx))
        return
    arg = ctx.inbound.args.strip()
    svc = ctx.svc(DailyPrefs)
    if fold(arg) in ("huy", "off", "tat"):
        branch = await svc.unlink_group(actor, ctx.inbound.chat)
        await ctx.reply(_("This group no longer gets the daily lesson of branch {branch}.").format(
            branch=esc(branch_title(branch.name))))
        return
    minute = None
    if arg:
        at = read_time(arg, example=DAILY_EXAMPLE)
        minute = at.hour * 60 + at.minute
    branch = await svc.link_group(actor, ctx.inbound.chat, minute)
    text = _("✅ This group is linked to branch {branch}. It will get the daily lesson at {time}.")
    await ctx.reply(text.format(branch=esc(branch_title(branch.name)), time=hhmm(await svc.group_minute(branch.id)))
                    + _groups_beta_note(ctx))


def _groups_beta_note(ctx: Ctx) -> str:
    """Where group chats are still a beta feature of the platform (Zalo), say so and how groups behave."""
    if not ctx.channel.caps.groups_beta:
        return ""
    return "\n\n" + _("ℹ️ Group chats on this app are still in beta: at most 3 groups per bot, and in a group "
                       "I only hear messages that @mention me or reply to mine, e.g. @Bot /lienketnhom.")


# --- committee: import by uploading a file ---------------------------------------------------------


@router.fallback(priority=40, media=True)
async def upload(ctx: Ctx) -> None:
    media = ctx.inbound.media[0] if ctx.inbound.media else None
    name = (media.file_name if media else "") or ""
    if media is None or media.kind != "document" or not name.lower().endswith(IMPORT_SUFFIXES):
        raise Unhandled
    actor = ctx.require_actor()
    org_id = import_org(actor)
    if not is_committee_admin(actor):
        raise PermissionDenied(_("Only the Party committee's administrator can import teachings."))
    if org_id is None:
        raise InvalidInput(_("You administer several Party committees: please import with "
                             "hocbac content import FILE --org ID."))
    if media.size is not None and media.size > IMPORT_MAX_BYTES:
        raise InvalidInput(_("That file is too large for an import (limit 1 MB)."))
    data = await ctx.channel.fetch_media(media)
    try:
        result = await ctx.svc(DailyLibrary).import_bytes(actor, org_id, data, name)
    except ContentError as exc:
        text = _("⚠️ The file was not imported (nothing was added): {reason}")
        await ctx.reply(text.format(reason=esc(exc)))
        return
    await ctx.reply("✅ " + esc(result.summary()))
