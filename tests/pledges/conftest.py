"""Helpers for the pledge conversations: fill the form the way a member would, one answer at a time."""

from __future__ import annotations

from bot.devtools.emulator.script import ChatUser

DEEDS = [
    ("Giúp hai hộ nghèo làm hồ sơ vay vốn chăn nuôi", "hai hộ được vay vốn", "trước tháng 9/2026"),
    ("Dạy kèm miễn phí cho học sinh yếu", "5 em lên lớp", "hằng tuần"),
]


async def fill_pledge(
    user: ChatUser, deeds: list[tuple[str, str, str]] | None = None, duty: str = "giáo viên"
) -> None:
    """From /dangky to the review screen (keeps the default commitment)."""
    deeds = deeds or DEEDS[:1]
    await user.send("/dangky")
    await user.expect("Chức vụ hoặc nhiệm vụ của đồng chí là gì?")
    await user.send(duty)
    for i, (what, criterion, when) in enumerate(deeds, 1):
        await user.expect(f"Việc làm {i}: đồng chí sẽ làm gì?", "Ví dụ:")
        await user.send(what)
        await user.expect(f"Việc làm {i}: đo kết quả bằng gì")
        await user.send(criterion)
        await user.expect(f"Việc làm {i}: khi nào?")
        await user.send(when)
        if i < 3:
            await user.expect(f"Đồng chí đã có {i} việc làm. Thêm việc nữa không?")
            await user.press("Thêm việc làm khác" if i < len(deeds) else "Tiếp tục")
    await user.expect("Một khuyết điểm đồng chí sẽ tự sửa")
    await user.send("đôi khi đi họp chi bộ muộn")
    await user.expect("Đồng chí sẽ khắc phục thế nào?")
    await user.send("đặt nhắc giờ, đến sớm 10 phút")
    await user.expect("Lời cam kết của đồng chí")
    await user.press("Giữ lời cam kết này")
    await user.expect("Xem lại phiếu trước khi gửi")


async def pledge_and_approve(
    user: ChatUser, secretary: ChatUser, deeds: list[tuple[str, str, str]] | None = None
) -> None:
    await fill_pledge(user, deeds)
    await user.press("Gửi bí thư")
    await user.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await user.press("Xác nhận gửi")
    await user.expect("Đã gửi!")
    await secretary.expect("Phiếu đăng ký mới cần duyệt", user.name)
    await secretary.press("Duyệt phiếu")
    await secretary.expect(f"Đã duyệt phiếu của {user.name}")
    await user.expect("đã được bí thư duyệt")


def xlsx_rows(fake, message, sheet: int = 0) -> list[list[object]]:
    """Download the document of a bot message from the fake server and read one sheet (the first)."""
    import io

    from openpyxl import load_workbook

    doc = message.raw.record.document
    assert doc is not None, "the message has no document"
    data = fake.files[doc["file_id"]].data
    ws = load_workbook(io.BytesIO(data)).worksheets[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]

# The pledge tests run only the pledge ticks, so other features' messages (the daily item) stay out.
PLEDGE_TICKS = ["pledges_checkin", "pledges_deadline", "pledges_midyear", "pledges_returned", "pledges_yearend"]
