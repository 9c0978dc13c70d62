"""Start, joining a branch, approval, help, profile, language and leaving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import local_now
from bot.features.onboarding.callbacks import (
    HelpMore,
    JoinCodeFor,
    JoinDecision,
    LeaveBranch,
    MembersFor,
    MenuCommand,
    PendingFor,
    SetLanguage,
    StayInBranch,
)
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.callbacks import StaleButton
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.dispatcher import audience_denial
from bot.kernel.forms import AskChoice, AskText, Form, example_hint, text_prompt
from bot.kernel.help import sections
from bot.kernel.routing import Router, Unhandled
from bot.messages import Button, esc
from bot.services.bot_binding import join_link
from bot.services.errors import PermissionDenied
from bot.services.identity import IdentityService
from bot.services.menus import menu_for, secretary_more
from bot.services.org import CODE_ALPHABET, CODE_LENGTH, JoinResult, OrgService, normalize_code
from bot.services.permissions import (
    is_committee_admin,
    is_member,
    is_onboarded,
    is_system_admin,
    is_waiting_for_approval,
)
from bot.text import branch_title

router = Router("onboarding")

def looks_like_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


async def _join(ctx: Ctx, code: str) -> None:
    actor = ctx.require_actor()
    result: JoinResult = await ctx.svc(OrgService).redeem(actor, code)
    if result.kind == "pending":
        await ctx.reply(_("📨 Your request to join branch <b>{branch}</b> ({org}) has been sent to the secretary. "
                          "I will tell you as soon as it is approved.").format(
            branch=esc(branch_title(result.branch_name)), org=esc(result.org_name)))
    elif result.kind == "already":
        # A code never lowers a role: say what the person already is, nothing changed.
        if result.role == "committee_admin":
            text = _("You are already an administrator of <b>{org}</b>; nothing was changed.")
        elif result.role == "secretary":
            text = _("You are already the secretary of this branch (<b>{branch}</b>); your role stays as it is.")
        elif result.role == "deputy":
            text = _("You are already the deputy secretary of this branch (<b>{branch}</b>); "
                     "your role stays as it is.")
        else:
            text = _("You are already a member of branch <b>{branch}</b>.")
        await ctx.reply(text.format(branch=esc(branch_title(result.branch_name)), org=esc(result.org_name)),
                        menu=menu_for(actor))
    elif result.kind == "committee_admin":
        await ctx.reply(_("✅ You are now an administrator of <b>{org}</b>. Send /help to see your commands.").format(
            org=esc(result.org_name)))
    else:
        refreshed = await ctx.svc(IdentityService).actor_for_person(actor.person_id)
        role = _("secretary") if result.role == "secretary" else _("deputy secretary")
        await ctx.reply(_("✅ You are now the {role} of branch <b>{branch}</b>. Send /help to see your commands.")
                        .format(role=role, branch=esc(branch_title(result.branch_name))), menu=menu_for(refreshed))


@router.command("start", help=lambda: _("start, or join a branch with a code"), in_menu=True, phrases=("bat dau",))
async def start(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    if ctx.inbound.args.strip():
        await _join(ctx, ctx.inbound.args.strip())
        return
    if is_member(actor):
        await ctx.reply(_("Welcome back, {name}! 🌿\nChoose from the menu below, or send /help.").format(
            name=esc(actor.display_name)), menu=menu_for(actor))
        return
    if is_waiting_for_approval(actor):
        await ctx.reply(_("Welcome back! Your request to join is waiting for the secretary's approval."))
        return
    text = _("🌅 Welcome to <b>Học Bác mỗi ngày</b>!\n\n"
             "Every day I bring you a short teaching of President Hồ Chí Minh, help you register your pledge "
             "and report your good deeds.\n\n"
             "To begin, please send the <b>join code</b> your branch secretary gave you (8 letters and digits).")
    # Zalo's Terms: say that an automated system answers and how the person's data can be erased.
    text += "\n\n" + _("🤖 I am an automated system, not a person. What you send is kept for your branch's "
                        "work; send /xoadulieu at any time to have your data erased.")
    if is_system_admin(actor):
        text += "\n\n" + _("You are a system administrator: send /quantri for the administration commands.")
    await ctx.reply(text)


@router.command("thamgia", "join", help=lambda: _("join a branch: /thamgia CODE"), takes="code")
async def join(ctx: Ctx) -> None:
    code = ctx.inbound.args.strip()
    if not code:
        await ctx.reply(_("Please send the code after the command, e.g. /thamgia ABCD2345"))
        return
    await _join(ctx, code)


@router.fallback(priority=10)
async def code_typed(ctx: Ctx) -> None:
    """Someone who has not joined yet types their code as a plain message."""
    actor = ctx.require_actor()
    text = ctx.inbound.text or ""
    if looks_like_code(text):
        await _join(ctx, text)
        return
    if is_onboarded(actor):
        raise Unhandled
    if is_waiting_for_approval(actor):
        await ctx.reply(_("Your request to join is waiting for the secretary's approval. "
                          "I will tell you as soon as it is approved."))
        return
    await ctx.reply(_("Please send the join code from your branch secretary (8 letters and digits), "
                      "e.g. ABCD2345."))


@router.fallback(priority=20)
async def courtesy(ctx: Ctx) -> None:
    """Thanks, a greeting, "ok" or a thumbs-up get a short courteous answer (never an error or a deed)."""
    intent = ctx.intent
    if intent is None or intent.kind != "courtesy":
        raise Unhandled
    if intent.tone == "thanks":
        text = _("You are welcome, comrade. Wishing you a good day!")
    elif intent.tone == "greeting":
        text = _("Hello, comrade! Type “hôm nay” for today's lesson, or send /help to see what you can do.")
    else:
        text = _("🙏 Noted, comrade.")
    await ctx.reply(text)


@router.fallback(priority=90)
async def not_understood(ctx: Ctx) -> None:
    """A question, a request or chit-chat that no feature took: say what can be typed, instead of a bare
    "not understood" (and never offer it as a good deed)."""
    if ctx.intent is None or ctx.inbound.media:
        raise Unhandled
    actor = ctx.require_actor()
    if not is_member(actor):
        raise Unhandled
    await ctx.reply(
        _(
            "Sorry, I did not quite understand, comrade. You can type, for example:\n"
            "• “hôm nay”: today's lesson\n"
            "• “việc tốt”: report a good deed (or just send a photo of it)\n"
            "• “của tôi”: your good deeds\n"
            "• “tìm tiết kiệm”: search the teachings\n"
            "• “có mặt 123456”: check in at a meeting with its code\n"
            "Send /help to see everything."
        ),
        menu=menu_for(actor),
    )


def join_buttons(membership_id: int) -> list[list[Button]]:
    return [[Button(_("✅ Approve"), JoinDecision("ok", membership_id).pack()),
             Button(_("❌ Reject"), JoinDecision("no", membership_id).pack())]]


@router.button(JoinDecision)
async def decide_join(ctx: Ctx, data: JoinDecision) -> None:
    actor = ctx.require_actor()
    approve = data.verdict == "ok"
    _membership, person = await ctx.svc(OrgService).decide_join(actor, data.membership_id, approve)
    text = (_("✅ Approved: {name} is now a member.") if approve else _("❌ Rejected: {name}.")).format(
        name=esc(person.display_name))
    if ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text)
    else:
        await ctx.reply(text)


MORE_WORDS = {"them", "thêm", "xemthem", "xem thêm", "all", "more"}


@router.command("help", "giup", "trogiup", help=lambda: _("what I can do for you"),
                phrases=("huong dan", "huong dan su dung", "menu", "cac lenh", "danh sach lenh", "tro giup"))
async def help_cmd(ctx: Ctx) -> None:
    """The short /help of the person's role, grouped by task; "Xem thêm" (or "/help them") shows the rest."""
    actor = ctx.require_actor()
    if ctx.inbound.args.strip().lower() in MORE_WORDS:
        await _help_more(ctx)
        return
    lines = [_("<b>What you can do</b>")]
    for title, entries in sections(ctx.registry, ctx.registry.help_lines, actor, "main"):
        lines.append("")
        lines.append(f"<b>{esc(title)}</b>")
        lines += [f"/{e.command} — {esc(e.text)}" for e in entries]
    if not is_member(actor) and not is_committee_admin(actor):
        lines.append("")
        lines.append(_("You have not joined a branch yet: send the join code from your branch secretary."))
    if not ctx.channel.caps.buttons:
        lines.append("")
        lines.append(_("You can also type a command without the slash, e.g. “hom nay”."))
    more = sections(ctx.registry, ctx.registry.help_lines, actor, "more")
    buttons = [[Button(_("📚 See more"), HelpMore().pack())]] if more else []
    # On Telegram the inline "See more" wins over the menu keyboard, which stays from earlier messages.
    await ctx.reply("\n".join(lines), buttons, menu=menu_for(actor))


async def _help_more(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    lines = [_("<b>More commands</b>")]
    for title, entries in sections(ctx.registry, ctx.registry.help_lines, actor, "more"):
        lines.append("")
        lines.append(f"<b>{esc(title)}</b>")
        lines += [f"/{e.command} — {esc(e.text)}" for e in entries]
    await ctx.reply("\n".join(lines))


@router.button(HelpMore)
async def help_more(ctx: Ctx, data: HelpMore) -> None:
    await _help_more(ctx)


@router.command("them", "more")
async def more_menu(ctx: Ctx) -> None:
    """The secretary's "➕ More": the rest of the menu as buttons (numbered choices on Zalo)."""
    buttons = [[Button(label, MenuCommand(cmd).pack())] for label, cmd in secretary_more().items()
               if cmd in ctx.registry.commands and audience_denial(ctx.require_actor(),
                                                                   ctx.registry.commands[cmd]) is None]
    await ctx.reply(_("What would you like to do?"), buttons)


@router.button(MenuCommand)
async def menu_command(ctx: Ctx, data: MenuCommand) -> None:
    spec = ctx.registry.commands.get(data.command)
    if spec is None:
        raise StaleButton("unknown command")
    denial = audience_denial(ctx.require_actor(), spec)
    if denial:
        raise PermissionDenied(denial)
    ctx.inbound.args = ""
    await spec.fn(ctx)


ROLE_NAMES = {"member": lambda: _("member"), "secretary": lambda: _("secretary"),
              "deputy": lambda: _("deputy secretary")}
def _label(names: dict, key: str) -> str:  # type: ignore[type-arg]
    fn = names.get(key)
    return fn() if fn else key


STATUS_NAMES = {"pending": lambda: _("waiting for approval"), "active": lambda: _("active"),
                "rejected": lambda: _("not approved"), "left": lambda: _("left")}


@router.command("toi", "me", help=lambda: _("my profile"),
                phrases=("thong tin cua toi", "ho so", "ho so cua toi", "tai khoan cua toi"))
async def profile(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    lines = [_("👤 <b>{name}</b>").format(name=esc(actor.display_name or "?"))]
    for seat in actor.seats:
        lines.append(_("• Branch {branch}: {role} ({status})").format(
            branch=esc(branch_title(seat.branch_name)), role=_label(ROLE_NAMES, seat.role),
            status=_label(STATUS_NAMES, seat.status)))
    if not actor.seats:
        lines.append(_("You have not joined a branch yet."))
    if is_committee_admin(actor):
        lines.append(_("• Party committee administrator"))
    if is_system_admin(actor):
        lines.append(_("• System administrator"))
    for section in ctx.services.deps.ext.profile_sections:
        extra = await section(ctx, actor)
        if extra:
            lines.append(extra)
    lines.append("")
    lines.append(_("To leave a branch: /roi. To delete your data: /xoadulieu."))
    await ctx.reply("\n".join(lines), menu=menu_for(actor))


@router.command("roi", "leave", help=lambda: _("leave a branch"), audience="member")
async def leave(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    buttons = [[Button(_("Leave {branch}").format(branch=branch_title(s.branch_name)), LeaveBranch(s.branch_id).pack())]
               for s in actor.active_seats()]
    buttons.append([Button(_("No, stay"), StayInBranch().pack())])
    await ctx.reply(_("Which branch do you want to leave? Your past records stay with the branch."), buttons)


@router.button(StayInBranch)
async def stay(ctx: Ctx, data: StayInBranch) -> None:
    await ctx.reply(_("All right, nothing changed."))


@router.button(LeaveBranch)
async def leave_review(ctx: Ctx, data: LeaveBranch) -> None:
    """One more look before leaving: the branch's secretary is told, and only they can take one back."""
    actor = ctx.require_actor()
    seat = actor.seat(data.branch_id)
    if seat is None:
        raise StaleButton("not a member of that branch")
    await ask_confirm(
        ctx, "leave_branch",
        _("🚪 <b>Leave {branch}?</b>\nComrade, you will no longer receive this branch's notices, meetings and "
          "daily lessons, and its secretary will be told. Your past records stay with the branch. To come back "
          "you will need a new join code from the secretary.").format(branch=esc(branch_title(seat.branch_name))),
        {"branch_id": data.branch_id},
        yes=_("🚪 Yes, leave the branch"), cancel=_("No, stay"))


@router.confirmed("leave_branch")
async def leave_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    name = await ctx.svc(OrgService).leave(actor, int(payload["branch_id"]))
    await ctx.reply(_("You have left branch {branch}. The secretary has been told.").format(
        branch=esc(branch_title(name))), remove_menu=True)


@router.command("ngonngu", "language", help=lambda: _("language: Tiếng Việt / English"))
async def language(ctx: Ctx) -> None:
    await ctx.reply(_("Choose your language:"), [[Button("Tiếng Việt", SetLanguage("vi").pack()),
                                                      Button("English", SetLanguage("en").pack())]])


@router.button(SetLanguage)
async def language_set(ctx: Ctx, data: SetLanguage) -> None:
    actor = ctx.require_actor()
    locale = data.locale
    await ctx.svc(IdentityService).set_locale(actor.person_id, locale)
    from bot.i18n import use_locale

    with use_locale(locale):
        await ctx.reply(_("Language saved."))


# --- branch managers ---------------------------------------------------------------------------


async def _send_code(ctx: Ctx, branch_id: int) -> None:
    actor = ctx.require_actor()
    code = await ctx.svc(OrgService).create_code(actor, kind="member", branch_id=branch_id)
    link = join_link(ctx.services.deps, code.org_id, code.code, ctx.channel)  # the bot of that đảng bộ
    expires = local_now(ctx.services.deps.clock) + timedelta(hours=ctx.services.deps.settings.join_code_ttl_hours)
    text = _("🔑 Join code for your branch: <b>{code}</b>\nValid until {expires}. Members type the code to the "
             "bot, and you approve each request.").format(code=code.code, expires=expires.strftime("%H:%M %d/%m/%Y"))
    if link:
        text += "\n" + _("Or share this link: {link}").format(link=esc(link))
    await ctx.reply(text)


@router.command("mathamgia", "joincode", help=lambda: _("create a join code for members"), audience="manager")
async def join_code(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, JoinCodeFor)
    if branch_id is not None:
        await _send_code(ctx, branch_id)


@router.button(JoinCodeFor)
async def join_code_for(ctx: Ctx, data: JoinCodeFor) -> None:
    await _send_code(ctx, data.branch_id)


async def _list_pending(ctx: Ctx, branch_id: int) -> None:
    rows = await ctx.svc(OrgService).pending_with_details(ctx.require_actor(), branch_id)
    if not rows:
        await ctx.reply(_("No join requests are waiting."))
        return
    for m, person, details in rows[:20]:
        await ctx.reply(_("🙋 {name} asks to join.").format(name=esc(person.display_name)) + "\n" + details,
                        join_buttons(m.id))


@router.command("choduyet", "pending", help=lambda: _("join requests waiting for you"), audience="manager")
async def pending(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PendingFor)
    if branch_id is not None:
        await _list_pending(ctx, branch_id)


@router.button(PendingFor)
async def pending_for(ctx: Ctx, data: PendingFor) -> None:
    await _list_pending(ctx, data.branch_id)


async def _list_members(ctx: Ctx, branch_id: int) -> None:
    rows = await ctx.svc(OrgService).members(ctx.require_actor(), branch_id)
    lines = [_("👥 <b>Members ({n})</b>").format(n=len(rows))]
    lines += [f"{i}. {esc(p.display_name)} — {_label(ROLE_NAMES, m.role)}"
              for i, (m, p) in enumerate(rows, 1)]
    await ctx.reply("\n".join(lines))


@router.command("thanhvien", "members", help=lambda: _("members of my branch"), audience="manager")
async def members(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, MembersFor)
    if branch_id is not None:
        await _list_members(ctx, branch_id)


@router.button(MembersFor)
async def members_for(ctx: Ctx, data: MembersFor) -> None:
    await _list_members(ctx, data.branch_id)


# --- the name the branch knows you by: a two-step form ------------------------------------------


async def _rename_done(ctx: Ctx, data: dict) -> None:  # type: ignore[type-arg]
    if data.get("confirm") != "yes":
        await ctx.reply(_("All right, your name was not changed."))
        return
    name = await ctx.svc(IdentityService).rename(ctx.require_actor().person_id, data["name"])
    await ctx.reply(_("✅ Your name is now <b>{name}</b>.").format(name=esc(name)))


router.form(Form(
    "rename",
    steps=[
        AskText("name", text_prompt(lambda: _("What full name should your branch see? (e.g. Nguyễn Văn An)")),
                max_len=100, placeholder=lambda _ctx, _d: example_hint("Nguyễn Văn An")),
        AskChoice("confirm", lambda _ctx, data: _("Change your name to <b>{name}</b>?").format(
            name=esc(data["name"])), choices=lambda _ctx, _data: [("yes", _("✅ Yes")), ("no", _("No"))]),
    ],
    on_complete=_rename_done,
))


@router.command("doiten", "rename", help=lambda: _("change the name your branch sees"), takes="text")
async def rename(ctx: Ctx) -> None:
    await ctx.forms.start("rename")
