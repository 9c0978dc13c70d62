"""Build bot/content/library/*.yaml from shared/content/hcm-quotes-verified.yaml.

Run from the repo root:  python -m bot.content.tools.import_verified [--check]
Re-running must give byte-identical files (a reviewer diffs them); --check only reports differences.

What it does, and nothing more:
- copies id, kind, text, work, date, citation, source_url, confidence, also_seen, note verbatim
  (programmatically, never retyped); renames ``theme`` -> ``themes``; drops ``text_as_found``;
- adds our own ``occasions``, ``lead`` and ``reflection`` from the small reviewed tables below;
- ships every high/medium item, and a low item only when LOW_CONFIRMED names an official outlet that
  prints the same words (that URL is appended to ``also_seen``);
- holds back the items in HELD (with the reason) and writes library/LOW_CONFIDENCE.md;
- validates the result with the loader's rules before writing anything.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import LIBRARY_DIR, validate_items

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_FILE = "content/hcm-quotes-verified.yaml"
COPIED = ("id", "kind", "text", "work", "date", "citation", "source_url")
ORDER = ("id", "kind", "text", "work", "date", "citation", "source_url", "themes", "occasions", "lead",
         "reflection", "confidence", "also_seen", "note")

# Occasions only where the item's own work/date makes the link obvious.
OCCASIONS: dict[str, list[str]] = {
    "tuyen-ngon-doc-lap-ket": ["09-02"],  # Tuyên ngôn độc lập, 1945-09-02
    "mung-xuan-lanh-manh": ["tet"],  # work: "Mừng Tết Nguyên đán"
    "mung-xuan-phai-dau-lang-phi-co-ban": ["tet"],  # work: "Mừng xuân nguyên đán thế nào"
    "tho-chuc-tet-1961": ["tet"],  # work: "Thơ chúc Tết xuân Tân Sửu 1961"
    "tuoi-tre-la-mua-xuan": ["tet"],  # work: "Gửi thanh niên và nhi đồng ... nhân dịp Tết sắp đến"
}

# Words printed before the opening quotation mark, only where the item's note says exactly what.
LEADS: dict[str, str] = {
    "chi-bo-soi-day-lien-he-dang-quan-chung": "Chi bộ",  # note: "Prefix 'Chi bộ' ... outside the quotes"
}

# Our own questions (rendered with the label "Câu hỏi gợi mở (của hocbac)"), never part of the quote.
REFLECTIONS: dict[str, str] = {
    "bon-duc-can-kiem-liem-chinh": "Hôm nay tôi đã thực hành chữ “Kiệm” bằng việc cụ thể nào?",
    "sao-cho-duoc-long-dan": "Tuần này tôi đã giải quyết được việc gì có lợi cho bà con nơi mình ở?",
    "hoc-nhan-dan": "Hôm nay tôi đã học được điều gì từ một người dân quanh mình?",
    "giai-thich-cho-dan-hieu": "Việc sắp làm của chi bộ, tôi đã giải thích cho bà con hiểu rõ chưa?",
    "dan-van-oc-nghi-mat-trong": "Hôm nay tôi đã đến tận nơi, nghe tận tai ý kiến của ai?",
}

# Low-confidence items confirmed word for word at an official outlet: id -> (outlet URL, what was seen).
LOW_CONFIRMED: dict[str, tuple[str, str]] = {
    "le-loi-lam-viec-phai-dan-chu": (
        "https://bqllang.gov.vn/tin-tuc/tin-tong-hop/8434-nhung-cau-noi-cua-chu-tich-ho-chi-minh-ve-cong-an-nhan-dan.html?start=2",
        "Ban Quản lý Lăng Chủ tịch Hồ Chí Minh prints all five sentences identically, citing Thư gửi "
        "Hội nghị Công an toàn quốc lần thứ 5, 15/01/1950, Toàn tập Sđd t.6 tr.312-313",
    ),
    "cong-an-phuc-vu-nhan-dan-ban-dan": (
        "https://dudnkhanhhoa.vn/noi-dung/id/54/LOI-BAC-HO-DAY-NGAY-15/01/1950--%E2%80%9CCong-an-phai-co-tinh-than-phuc-vu-nhan-dan,-la-ban-dan%E2%80%9D-",
        "Khánh Hòa Party committee site (Đảng ủy khối doanh nghiệp, as read from its name) prints the whole "
        "passage identically, 'Lời Bác Hồ dạy ngày 15/01/1950'; bqllang.gov.vn (same page as "
        "le-loi-lam-viec-phai-dan-chu) prints the first two sentences identically",
    ),
}

# Items not shipped although high/medium, with the reason.
HELD: dict[str, str] = {
    "mot-tam-guong-song": "medium, but neither `work` nor `citation` is known (the note: neither page "
    "names the work); the library rule needs one of them, and none may be supplied from memory. "
    "Re-checked (content pass 2): https://www.qdnd.vn/ky-niem-70-nam-ngay-chu-tich-ho-chi-minh-ra-loi-keu-"
    "goi-thi-dua-ai-quoc-11-6-1948-11-6-2018/70-nam-khac-sau-loi-bac/cau-noi-cua-bac-ve-thi-dua-ai-quoc-541088 "
    "lists 'Một tấm gương sống có giá trị hơn một trăm bài diễn văn tuyên truyền' (no 'còn': a wording "
    "difference) and names no work either. Held until a source names the work.",
}

# Low items searched for but not confirmed: id -> what the search found (kept in LOW_CONFIDENCE.md).
_NOT_OFFICIAL = "searched; found only on unofficial mirrors (no official outlet with these words)"
LOW_NOT_FOUND: dict[str, str] = {
    "thanh-nien-tiep-suc-cach-mang": "phuyen.dcs.vn has different wording (no 'Vì', extra commas: "
    "'tiếp sức cách mạng, cho thế hệ thanh niên già ... người phụ trách, dìu dắt')",
    "dang-khong-co-loi-ich-nao-khac": "baoquankhu4.com.vn has a different wording ('Ngoài lợi ích của Tổ "
    "quốc, của Nhân dân, Đảng ta không có lợi ích gì khác', 1954); this text not found officially",
    "dang-hoan-nghenh-phe-binh": _NOT_OFFICIAL,
    "doi-song-nhu-chiec-thuyen": _NOT_OFFICIAL,
    "vi-loi-ich-tram-nam-trong-nguoi": "searched; only tennguoidepnhat.net and gocnhin.net (citing "
    "laodong.vn) in the stored pages",
    "tuoi-tre-la-mua-xuan": "searched; no official copy found in the stored pages (also_seen btv.org.vn "
    "not re-confirmed, and it capitalises 'mùa Xuân')",
    "thi-dua-yeu-nuoc-1948-di-mau": _NOT_OFFICIAL,
    "hoan-nghenh-nhan-dan-phe-binh-cong-an": "bqllang.gov.vn prints a different wording ('để đi đến hiểu "
    "công an, giúp đỡ công an' - without 'yêu công an, và'); wording conflict, not shipped",
    "quan-lieu-tham-o-lang-phi-la-toi-ac": _NOT_OFFICIAL,
    "nguoi-trong-mot-nuoc-phai-thuong-nhau": _NOT_OFFICIAL,
    "dong-tam-hiep-luc-khong-so-gian-nan": _NOT_OFFICIAL,
    "luong-y-phai-nhu-tu-mau": "qdnd.vn prints only the end ('Vì vậy cán bộ cần phải thương yêu săn sóc "
    "người bệnh ... Lương y phải như từ mẫu, câu nói ấy rất đúng', without the inner quotes); the "
    "rest of the text is not confirmed and the two unofficial sources disagree",
    "dan-men-yeu-tin-cong-an": _NOT_OFFICIAL,
    "tien-do-ca-nhan-khong-tach-roi-to-quoc": _NOT_OFFICIAL,
    "su-nghiep-cach-mang-khong-phai-anh-hung-ca-nhan": _NOT_OFFICIAL,
    "khong-duoc-bo-dan-bo-vo": _NOT_OFFICIAL,
    "bao-chi-dung-but-chong-dich": _NOT_OFFICIAL,
    # Content pass 2 (stored pages searched for exact phrases of the text, the work's title and date).
    "can-bo-thuc-hanh-can-kiem-liem-chinh-1948": "searched (4 queries: the sentence, 'Thư khen ông Tôn Thất "
    "Phùng', bqllang.gov.vn 'ngày này năm xưa' tháng 8 and its cán bộ series); only tennguoidepnhat.net",
    "neu-ta-co-gang-thi-thanh-cong": "searched (2 queries); only tennguoidepnhat.net; the bqllang.gov.vn "
    "page in also_seen cuts the quote off after 'thành c...', so it cannot confirm the whole text",
    "bo-an-uong-hoang-phi-thuc-hanh-chu-kiem": "searched (2 queries: the sentences, 'An Phú và Văn Giáo' "
    "1948); only tennguoidepnhat.net",
    "ap-dung-thiet-thuc-chu-giao-dieu": "searched (3 queries: the sentences, 'Trường sĩ quan Lục quân' "
    "5-4-1958, nvsk.vnanet.vn 'dấu ấn sự kiện'); only tennguoidepnhat.net",
    "dang-to-lon-tim-cach-chua-benh": "searched (4 queries on its sentences and 'Sửa đổi lối làm việc'); "
    "no copy found; the work is still unverified (note: t.5 tr.261 is only a guess at 'Sửa đổi lối làm "
    "việc')",
    "tri-tue-sang-kien-quan-chung-vo-cung-tan": "searched (3 queries); http://www.qpvn.vn/tin-video/loi-"
    "bac-day-so-403.html prints only the clause 'Trí tuệ và sáng kiến của quần chúng là vô cùng tận' "
    "(lưu bút, dated 01/4/1958 - the date conflict in the note); the rest of the text is not confirmed",
    "tuyet-doi-chong-benh-kieu-ngao": "searched (4 queries, incl. nhandan.vn's Hồ Chí Minh pages); only "
    "the baomoi.net.vn copy that is the source",
    "giao-vien-binh-dan-hoc-vu-vo-danh-anh-hung": "searched (3 queries on its sentences and 'vô danh anh "
    "hùng'); no copy found, official or not",
    "moi-can-bo-la-mot-chien-si-diet-giac-dot": "searched (2 queries: the sentence, the letter's title); "
    "only tennguoidepnhat.net",
    "binh-dan-hoc-vu-day-gi-cho-dong-bao": "searched (3 queries on the five points and the letter's date); "
    "no copy found",
    "thang-khong-kieu-kho-khong-nan": "searched (8 queries incl. qdnd/qpvn, nvsk.vnanet.vn, bqllang "
    "'ngày này năm xưa' tháng 4, nhandan.vn, and the docs corpus); only tennguoidepnhat.net",
    "muc-dich-chinh-dang-dui-mai-can-bo": "searched (3 queries incl. bqllang.gov.vn's cán bộ series); only "
    "tennguoidepnhat.net",
    "chinh-dang-chong-quan-lieu-that-tha-tu-phe-binh": "searched (with muc-dich-chinh-dang-dui-mai-can-bo, "
    "same letter, plus 1 query on the three points); only tennguoidepnhat.net",
    "phe-binh-tu-tren-xuong-tu-duoi-len-sua-cho-ky-sach": "searched (4 queries incl. bqllang 'ngày này "
    "năm xưa' tháng 11 and nvsk.vnanet.vn 14/11/1950); no copy found",
    "can-dan-thieu-nhi-dai-hoi-iii": "searched (4 queries incl. bqllang 'ngày này năm xưa' tháng 9 and "
    "nhandan.vn's Hồ Chí Minh pages); only tennguoidepnhat.net",
}


def shared_dir() -> Path | None:
    """The project's shared/ directory: $HOCBAC_SHARED_DIR, else the repo's ../shared.

    In a git worktree (``.git`` is a file) ../shared is taken beside the main checkout.
    """
    env = os.environ.get("HOCBAC_SHARED_DIR")
    if env:
        return Path(env)
    candidates = [REPO_ROOT.parent / "shared"]
    git = REPO_ROOT / ".git"
    if git.is_file():
        gitdir = git.read_text(encoding="utf-8").partition("gitdir:")[2].strip()
        if gitdir:  # <main>/.git/worktrees/<name>
            candidates.append(Path(gitdir).resolve().parents[2].parent / "shared")
    return next((c for c in candidates if c.is_dir()), None)


def convert(entry: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {k: entry.get(k) for k in COPIED}
    item["themes"] = list(entry.get("theme") or [])
    if entry["id"] in OCCASIONS:
        item["occasions"] = OCCASIONS[entry["id"]]
    if entry["id"] in LEADS:
        item["lead"] = LEADS[entry["id"]]
    if entry["id"] in REFLECTIONS:
        item["reflection"] = REFLECTIONS[entry["id"]]
    item["confidence"] = entry.get("confidence")
    also_seen = entry.get("also_seen")
    if entry["id"] in LOW_CONFIRMED:
        url, seen = LOW_CONFIRMED[entry["id"]]
        extra = f"{url} (official outlet, same words: {seen})"
        also_seen = f"{also_seen}; {extra}" if also_seen else extra
    if also_seen:
        item["also_seen"] = also_seen
    if entry.get("note"):
        item["note"] = entry["note"]
    return {k: item[k] for k in ORDER if k in item}


def build(entries: list[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Library files (name -> items) and the LOW_CONFIDENCE.md text."""
    files: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["id"] in HELD:
            continue
        if entry.get("confidence") == "low" and entry["id"] not in LOW_CONFIRMED:
            continue
        item = convert(entry)
        files.setdefault(f"{item['themes'][0]}.yaml", []).append(item)
    # Same rules as the bot applies at start-up: fail here rather than ship a bad file.
    seen: list[dict[str, Any]] = [i for name in sorted(files) for i in files[name]]
    validate_items(seen, "generated library")
    return files, low_report(entries)


def low_report(entries: list[dict[str, Any]]) -> str:
    lows = [e for e in entries if e.get("confidence") == "low"]
    shipped = [e for e in lows if e["id"] in LOW_CONFIRMED]
    held = [e for e in lows if e["id"] not in LOW_CONFIRMED]
    out = [
        "# Low-confidence items (generated by bot/content/tools/import_verified.py)",
        "",
        "A `low` item of shared/content/hcm-quotes-verified.yaml ships only when the same words were found",
        "at an official outlet (recorded in the item's `also_seen`). Held-back items are not in the library.",
        "",
        f"Low items: {len(lows)}; shipped: {len(shipped)}; held back: {len(held)}.",
        "",
        "## Shipped",
        "",
    ]
    out += [f"- `{e['id']}`: {LOW_CONFIRMED[e['id']][0]} — {LOW_CONFIRMED[e['id']][1]}" for e in shipped]
    if not shipped:
        out.append("- (none)")
    out += ["", "## Held back", ""]
    for e in held:
        why = LOW_NOT_FOUND.get(e["id"], "not looked up in this pass; source is not an official outlet")
        out.append(f"- `{e['id']}` (source: {e['source_url']}): {why}")
    others = [e for e in entries if e["id"] in HELD]
    if others:
        out += ["", "## Other items held back (not low)", ""]
        out += [f"- `{e['id']}`: {HELD[e['id']]}" for e in others]
    return "\n".join(out) + "\n"


HEADER = (
    "# Generated by bot/content/tools/import_verified.py from shared/{src} -- do not edit by hand.\n"
    "# text/work/date/citation/source_url are copied verbatim; read each item's note before changing.\n"
)


def dump(items: list[dict[str, Any]]) -> str:
    body = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return HEADER.format(src=SHARED_FILE) + body


def main(argv: list[str]) -> int:
    shared = shared_dir()
    if shared is None or not (shared / SHARED_FILE).is_file():
        print("shared/content/hcm-quotes-verified.yaml not found (set HOCBAC_SHARED_DIR)")
        return 1
    entries = yaml.safe_load((shared / SHARED_FILE).read_text(encoding="utf-8"))
    files, report = build(entries)
    wanted = {name: dump(items) for name, items in files.items()}
    wanted["LOW_CONFIDENCE.md"] = report
    current = {p.name for p in LIBRARY_DIR.iterdir() if p.suffix in (".yaml", ".md")}
    changed = sorted(n for n in wanted if not (LIBRARY_DIR / n).is_file()
                     or (LIBRARY_DIR / n).read_text(encoding="utf-8") != wanted[n])
    stale = sorted(current - set(wanted))
    if "--check" in argv:
        for name in changed + stale:
            print(f"differs: {name}")
        return 1 if changed or stale else 0
    for name in stale:
        (LIBRARY_DIR / name).unlink()
    for name, text in wanted.items():
        (LIBRARY_DIR / name).write_text(text, encoding="utf-8")
    total = sum(len(v) for v in files.values())
    print(f"wrote {total} items in {len(files)} files; changed: {', '.join(changed + stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
