"""Each merged feature's demo data, created through that feature's own service (never raw SQL).

A seeder gets the :class:`SeedContext` and imports its service lazily, so the demo still starts in a tree
without that feature (seed.py checks the module exists first). Texts are the demo's own examples: no
quotation is made up here; the daily items come from the shipped, sourced library.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.clock import local_today
from bot.devtools.demo.cast import AN, BINH, CUONG, GROUP, GROUP_CHAT_ID, SECRETARY, SeedContext, striped_png

# The đảng bộ's theme for the demo year. A neutral title, marked as a sample: the only theme title in
# /work/shared/content/annual-themes.md with verified wording is the full-term theme for 2021–2025, and
# the demo's year is the current one.
THEME_TITLE = "Thực hành cần, kiệm, liêm, chính, chí công vô tư (chuyên đề mẫu của bản thử)"
THEME_TOPICS = ("can-kiem-liem-chinh",)
MEETING_IN_DAYS = 2
MEETING_AT = time(19, 30)
MEETING_PLACE = "Nhà văn hóa thôn 1"
MEETING_TOPIC = "Sinh hoạt chi bộ thường kỳ; kiểm điểm việc làm theo Bác trong tháng"


async def seed_daily(ctx: SeedContext) -> None:
    """The year theme (by the committee admin), the branch group linked by the secretary, and An's
    large-print card turned on."""
    from bot.features.daily.library import DailyLibrary

    await ctx.services.get(DailyLibrary).set_theme(ctx.admin, ctx.org_id, THEME_TITLE, THEME_TOPICS)
    # She links the group as she would: by typing the command in it. The answer shows in the group chat.
    await ctx.say(GROUP, "/lienketnhom")
    await ctx.users[SECRETARY.user_id].expect("đã được liên kết", chat=GROUP_CHAT_ID, timeout=10)
    # An reads on his phone at arm's length: "Nhận kèm ảnh chữ lớn" is on, so his daily item comes with the
    # large-print card (the others get text only).
    from bot.features.daily.preferences import DailyPrefs

    await ctx.services.get(DailyPrefs).set_large_card(await ctx.actor(AN), True)


async def seed_meetings(ctx: SeedContext) -> None:
    """The next regular meeting, two days ahead at 19:30, and its notice with RSVP buttons to members."""
    from bot.features.meetings.models import MeetingKind
    from bot.features.meetings.notices import MeetingNotices
    from bot.features.meetings.scheduling import MeetingScheduling

    svc = ctx.services.get(MeetingScheduling)
    secretary = await ctx.actor(SECRETARY)
    day = local_today(ctx.services.deps.clock) + timedelta(days=MEETING_IN_DAYS)
    meeting = await svc.schedule(secretary, ctx.branch_id, kind=MeetingKind.REGULAR.value,
                                 starts_local=datetime.combine(day, MEETING_AT), place=MEETING_PLACE,
                                 topic=MEETING_TOPIC)
    assert meeting.id is not None
    await ctx.services.get(MeetingNotices).send_notice(secretary, meeting.id)
    await ctx.users[AN.user_id].expect("Giấy mời sinh hoạt", MEETING_PLACE, timeout=10)


def _pledge(duty: str, what: str, criterion: str, when: str) -> dict[str, object]:
    return {
        "duty": duty,
        "items": [{"what": what, "criterion": criterion, "when": when}],
        "shortcoming": "Đôi lúc còn ngại góp ý thẳng thắn trong sinh hoạt chi bộ.",
        "remedy": "Chuẩn bị ý kiến trước mỗi buổi sinh hoạt và góp ý trên tinh thần xây dựng.",
        "commitment": "Tôi xin hứa thực hiện nghiêm túc những việc đã đăng ký.",
    }


async def seed_pledges(ctx: SeedContext) -> None:
    """An's pledge approved with the secretary's button, Bình's waiting for her, Cường without one."""
    from bot.features.pledges.drafting import PledgeDrafting

    svc = ctx.services.get(PledgeDrafting)
    an = await ctx.actor(AN)
    await svc.save_draft(an, _pledge("Trưởng thôn 1", "Vận động bà con giữ đường làng sạch đẹp",
                                     "Mỗi tháng một buổi tổng vệ sinh", "Hằng tháng"))
    await svc.submit(an)
    secretary = ctx.users[SECRETARY.user_id]
    notice = await secretary.expect("Phiếu đăng ký mới cần duyệt", AN.name, timeout=10)
    await secretary.press("Duyệt phiếu", notice)
    await ctx.users[AN.user_id].expect("đã được bí thư duyệt", timeout=10)

    binh = await ctx.actor(BINH)
    await svc.save_draft(binh, _pledge("Giáo viên trường tiểu học", "Kèm học miễn phí cho học sinh khó khăn",
                                       "Hai buổi mỗi tuần", "Cả năm học"))
    await svc.submit(binh)
    await secretary.expect("Phiếu đăng ký mới cần duyệt", BINH.name, timeout=10)


async def seed_deeds(ctx: SeedContext) -> None:
    """Cường's deed commended (and shared to the group), An's accepted with a photo, Bình's waiting with a
    photo: the secretary's 19:00 digest brings it to her."""
    from bot.features.deeds.models import ShareConsent
    from bot.features.deeds.reporting import DeedInput, DeedReporting
    from bot.features.deeds.review import DeedReviewing
    from bot.services.media import MediaStore

    svc = ctx.services.get(DeedReporting)
    reviewing = ctx.services.get(DeedReviewing)
    media = ctx.services.get(MediaStore)
    secretary = await ctx.actor(SECRETARY)
    today = local_today(ctx.services.deps.clock)
    green = ((46, 139, 87), (240, 240, 240))
    photo_an = await media.save(striped_png(240, 160, green), "image/png", "duong-lang.png")
    photo_binh = await media.save(striped_png(240, 160), "image/png", "lop-hoc.png")

    cuong = await ctx.actor(CUONG)
    featured = await svc.report(cuong, DeedInput(
        day=today - timedelta(days=3), text="Cùng thanh niên thôn sửa lại cây cầu tre qua mương cho bà con đi lại",
        category="giúp đỡ nhân dân", share=ShareConsent.YES.value))
    assert featured.id is not None
    await reviewing.review(secretary, featured.id, "feature")

    an = await ctx.actor(AN)
    accepted = await svc.report(an, DeedInput(
        day=today - timedelta(days=1), text="Dọn rác và phát quang bụi rậm đoạn đường làng trước nhà văn hóa",
        category="giữ gìn môi trường", photo_keys=[photo_an]))
    assert accepted.id is not None
    await reviewing.review(secretary, accepted.id, "accept")

    binh = await ctx.actor(BINH)
    await svc.report(binh, DeedInput(
        day=today, text="Kèm hai cháu học lớp 3 đọc và viết sau giờ học", category="giúp đỡ nhân dân",
        photo_keys=[photo_binh]))
    await ctx.users[CUONG.user_id].expect("biểu dương", timeout=10)
    await ctx.users[SECRETARY.user_id].expect("Gương việc tốt", chat=GROUP_CHAT_ID, timeout=10)


async def seed_dialogue(ctx: SeedContext) -> None:
    """Opinions and proposals: An's opinion to the secretary, being handled; Bình's anonymous proposal to the
    committee (anonymous opinions allowed by the đảng bộ), answered; Cường's named proposal, still waiting."""
    from bot.features.dialogue.service import DialogueService, SendInput

    svc = ctx.services.get(DialogueService)
    secretary = await ctx.actor(SECRETARY)
    await svc.set_anonymous(ctx.committee, ctx.org_id, True)
    opinion = await svc.submit(await ctx.actor(AN), SendInput(
        "branch", "opinion", False, "Đề nghị chi bộ gửi tài liệu sinh hoạt chuyên đề trước buổi họp ít nhất ba ngày"))
    await svc.mark_handling(secretary, opinion.id or 0)
    proposal = await svc.submit(await ctx.actor(BINH), SendInput(
        "committee", "proposal", True, "Kiến nghị công khai kinh phí sửa chữa nhà văn hóa thôn trên bảng tin"))
    await svc.answer(ctx.committee, proposal.id or 0,
                     "Đảng uỷ đã đề nghị UBND xã niêm yết kinh phí tại nhà văn hóa thôn từ tuần sau.")
    await svc.submit(await ctx.actor(CUONG), SendInput(
        "committee", "proposal", False, "Kiến nghị mở lớp bồi dưỡng tin học cho đảng viên lớn tuổi"))
async def seed_library(ctx: SeedContext) -> None:
    """The materials library: the committee's link for this month (whole đảng bộ), the secretary's poster for
    the branch, and one open by An (so /tailieu_thongke has a count)."""
    from bot.features.library.service import Library
    from bot.messages import MediaRef
    from bot.services.media import MediaStore

    lib = ctx.services.get(Library)
    today = local_today(ctx.services.deps.clock)
    link = await lib.add(ctx.committee, f"o:{ctx.org_id}",
                         title="Tài liệu sinh hoạt chuyên đề tháng này (mẫu của bản thử)",
                         year=today.year, month=today.month, theme="Học tập và làm theo tư tưởng Hồ Chí Minh",
                         link="https://tuyengiao.vn")
    poster = striped_png(320, 200)
    key = await ctx.services.get(MediaStore).save(poster, "image/png", "ap-phich.png")
    await lib.add(await ctx.actor(SECRETARY), f"b:{ctx.branch_id}", title="Áp phích buổi sinh hoạt chi bộ (mẫu)",
                  year=today.year, month=today.month,
                  media=MediaRef(kind="photo", media_key=key, mime="image/png", size=len(poster),
                                 file_name="ap-phich.png").to_dict())
    await lib.open(await ctx.actor(AN), int(link.id or 0))
async def seed_contests(ctx: SeedContext) -> None:
    """A contest of the đảng bộ (opened by the committee persona), two entries of the home
    branch, one scored: /dshoithi shows the per-branch count, the ranking and the exports; members /hoithi."""
    from bot.features.contests.service import ContestInput, Contests, EntryInput
    from bot.services.media import MediaStore

    svc = ctx.services.get(Contests)
    today = local_today(ctx.services.deps.clock)
    contest = await svc.open(ctx.committee, ctx.org_id, ContestInput(
        title="Ảnh đẹp: người tốt, việc tốt ở thôn xóm (hội thi mẫu của bản thử)",
        rules="Mỗi đảng viên gửi một ảnh hoặc một bài viết ngắn về một việc tốt ở địa phương.",
        kinds=["text", "photo", "link"], max_mb=10, deadline=today + timedelta(days=14), per="member",
        criteria=[["Nội dung", 50], ["Hình thức", 30], ["Sáng tạo", 20]]))
    assert contest.id is not None
    photo = await ctx.services.get(MediaStore).save(striped_png(240, 160), "image/png", "cay-cau-tre.png")
    first = await svc.submit(await ctx.actor(CUONG), contest.id, EntryInput(kind="photo", media_key=photo,
                                                                           file_name="cay-cau-tre.png"))
    await svc.submit(await ctx.actor(AN), contest.id, EntryInput(
        kind="text", text="Bác Tư ở thôn 1 mười năm nay sáng nào cũng quét đoạn đường làng trước nhà văn hóa."))
    await svc.score(ctx.committee, first.id or 0, [42, 25, 16])


async def seed_supervision_visit(ctx: SeedContext) -> None:
    """A supervision visit of the committee to the home branch, concluded, with tasks to fix (/giamsat)."""
    from bot.features.supervision.demo import seed_supervision

    others = [b for b in ctx.report.branch_ids if b != ctx.branch_id]
    await seed_supervision(ctx.services, ctx.committee, ctx.branch_id, others[0] if others else None)
