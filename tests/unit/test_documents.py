"""The one .docx writer: layout blocks land in the document, user text stays text, dates are local."""

from datetime import date, datetime

from openpyxl import load_workbook

from bot.services.documents import (
    Bullets,
    DocSpec,
    Heading,
    Paragraph,
    Signer,
    Table,
    docx_bytes,
    docx_text,
    place_date_line,
)
from bot.services.sheets import Sheet, xlsx_bytes


def test_docx_holds_every_block_in_order():
    spec = DocSpec(
        title="Biên bản họp chi bộ",
        org_lines=["ĐẢNG BỘ PHƯỜNG A", "CHI BỘ KHU PHỐ 3"],
        place_date=place_date_line("Hà Nội", 5, 12, 2026),
        blocks=[
            Heading("I. Thời gian, địa điểm"),
            Paragraph("Vào lúc 19:30 ngày 05/12/2026 <b>tại</b> nhà văn hoá."),
            Bullets(["Đồng chí A", "Đồng chí B"]),
            Table(["STT", "Họ và tên"], [[1, "=HYPERLINK(\"x\")"], [2, "Trần Thị B"]]),
        ],
        signers=[Signer("CHỦ TRÌ", "Nguyễn Văn A"), Signer("THƯ KÝ")],
    )
    text = docx_text(docx_bytes(spec))
    lines = text.splitlines()
    assert "BIÊN BẢN HỌP CHI BỘ" in lines
    assert "Hà Nội, ngày 05 tháng 12 năm 2026" in text
    assert lines.index("I. Thời gian, địa điểm") < lines.index("- Đồng chí A")
    assert "Vào lúc 19:30 ngày 05/12/2026 <b>tại</b> nhà văn hoá." in lines
    assert '1 | =HYPERLINK("x")' in lines
    assert "CHỦ TRÌ (Ký, ghi rõ họ tên) Nguyễn Văn A | THƯ KÝ (Ký, ghi rõ họ tên)" in lines


def test_place_date_without_place():
    assert place_date_line("", 1, 2, 2027) == "Ngày 01 tháng 02 năm 2027"


def test_workbook_dates_are_real_dates_shown_local_and_header_frozen(tmp_path):
    data = xlsx_bytes([Sheet("Tổng hợp", ["Ngày", "Lúc", "Việc"],
                             [[date(2026, 12, 5), datetime(2026, 12, 5, 19, 30), "=1+1"]])])
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    ws = load_workbook(path).active
    assert ws.freeze_panes == "A2"
    assert ws["A2"].is_date and ws["A2"].number_format == "dd/mm/yyyy"
    assert ws["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["C2"].data_type == "s" and ws["C2"].value == "=1+1"
