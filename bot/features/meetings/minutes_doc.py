"""The minutes as a Word document, in the layout of docs/year-end.md §5 (a branch's own paper, in Vietnamese
whatever the secretary's chat language): header, I. time and place, II. who took part, III. content,
IV. discussion, V. votes, VI. conclusions, VII. tasks, the closing line and the signatures.

Blank parts are left as dotted lines for the secretary to finish by hand; no internal id appears."""

from __future__ import annotations

from bot.features.meetings.minutes import Attendee, MinutesView
from bot.features.meetings.models import MeetingKind
from bot.services.documents import (
    Block,
    Bullets,
    DocSpec,
    Heading,
    Paragraph,
    Signer,
    Table,
    docx_bytes,
    place_date_line,
)
from bot.services.when import show

DOTS = "…" * 20


def _kind(kind: str) -> str:
    return "sinh hoạt chuyên đề" if kind == MeetingKind.THEMATIC else "sinh hoạt chi bộ thường kỳ"


def _people(people: list[Attendee]) -> str:
    return "; ".join(f"{a.name} ({a.reason})" if a.reason else a.name for a in people)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def minutes_spec(v: MinutesView) -> DocSpec:
    start = v.starts_local
    day = show(start.date())
    blocks: list[Block] = [
        Heading("I. THỜI GIAN, ĐỊA ĐIỂM"),
        Paragraph(f"Thời gian: bắt đầu lúc {start.strftime('%H:%M')} ngày {day}."),
        Paragraph(f"Địa điểm: {v.place or DOTS}."),
        Heading("II. THÀNH PHẦN"),
        Paragraph(f"Chủ trì: đồng chí {v.chair or DOTS}."),
        Paragraph(f"Thư ký: đồng chí {v.recorder or DOTS}."),
        Paragraph(
            f"Tổng số đảng viên của chi bộ: {len(v.attendees)}; có mặt: {v.counts['present']}; "
            f"vắng có lý do: {v.counts['excused']}; vắng không lý do: {v.counts['absent']}."
        ),
    ]
    if v.of("excused"):
        blocks.append(Paragraph(f"Vắng có lý do: {_people(v.of('excused'))}."))
    if v.of("absent"):
        blocks.append(Paragraph(f"Vắng không lý do: {_people(v.of('absent'))}."))
    blocks.append(Paragraph(f"Khách mời: {v.guests or 'không có'}."))

    blocks += [Heading("III. NỘI DUNG"), Paragraph(f"Chương trình: {v.topic or DOTS}")]
    if v.documents:
        blocks += [Paragraph("Tài liệu kèm theo:"), Bullets(v.documents)]
    if v.checks:
        blocks.append(Heading("Việc cần kiểm tra (được phân công tại các buổi sinh hoạt trước)", level=2))
        blocks.append(Table(
            ("STT", "Nhiệm vụ", "Người thực hiện", "Thời hạn", "Tình hình"),
            [(i, c.text, c.owner, show(c.due), "quá hạn, chưa xong" if c.due < v.today else "chưa xong")
             for i, c in enumerate(v.checks, 1)],
            widths_cm=(1.2, 6.5, 3.5, 2.5, 2.5),
        ))

    blocks.append(Heading("IV. Ý KIẾN THẢO LUẬN"))
    discussion = _lines(v.discussion)
    blocks.append(Bullets(discussion) if discussion else Paragraph(DOTS * 2))

    blocks.append(Heading("V. BIỂU QUYẾT"))
    if v.votes:
        blocks.append(Table(("STT", "Nội dung biểu quyết", "Kết quả"),
                            [(i, q, result) for i, (q, result) in enumerate(v.votes, 1)],
                            widths_cm=(1.2, 6.5, 8.5)))
    else:
        blocks.append(Paragraph("Không có biểu quyết."))

    blocks.append(Heading("VI. KẾT LUẬN, NGHỊ QUYẾT"))
    conclusions = _lines(v.conclusions)
    blocks.append(Bullets(conclusions) if conclusions else Paragraph(DOTS * 2))

    blocks.append(Heading("VII. PHÂN CÔNG NHIỆM VỤ"))
    if v.tasks:
        blocks.append(Table(("STT", "Nhiệm vụ", "Người thực hiện", "Thời hạn"),
                            [(i, t.text, t.owner, show(t.due)) for i, t in enumerate(v.tasks, 1)],
                            widths_cm=(1.2, 8.0, 4.0, 3.0)))
    else:
        blocks.append(Paragraph("Không có nhiệm vụ được phân công."))

    closing = (f"Buổi sinh hoạt kết thúc lúc {v.closing_time} cùng ngày." if v.closing_time
               else "Buổi sinh hoạt kết thúc lúc …… giờ …… cùng ngày.")
    blocks += [Paragraph(closing), Paragraph("Biên bản đã được thông qua trước chi bộ.", italic=True)]
    return DocSpec(
        title="BIÊN BẢN",
        subtitle=f"{_kind(v.kind).capitalize()} ngày {day}",
        org_lines=[line for line in (v.org_name.upper(), v.branch_name.upper()) if line],
        place_date=place_date_line("", start.day, start.month, start.year),
        blocks=blocks,
        signers=(Signer("CHỦ TRÌ", v.chair), Signer("THƯ KÝ", v.recorder)),
    )


def minutes_docx(v: MinutesView) -> bytes:
    return docx_bytes(minutes_spec(v))
