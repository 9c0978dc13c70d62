"""Content check and import (DB-free).

``python -m bot.content [PATH]`` checks the shipped library (or PATH) and exits 0/1.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.choose import (
    PROMISED_OCCASIONS,
    YEAR_DAYS,
    occasion_allowance,
    repeats,
    simulate,
    spacing_promise,
)
from bot.content.imports import check_entries, check_rendered
from bot.content.loader import load_library, owned_by, read_yaml, validate_items
from bot.content.model import TET, ContentError, ContentItem
from bot.content.outlets import DEFAULT_OFFICIAL_DOMAINS
from bot.content.search import normalize

_CSV_LIST_FIELDS = ("themes", "occasions")

# The check's simulation: three years from a fixed day, so its figures are the same on every run.
SIMULATION_START = dt.date(2027, 1, 1)
SIMULATION_YEARS = 3


def check_main(path: Path | None = None, *, promised: Mapping[str, str] | None = None) -> int:
    """Load and validate; print the summary, the occasions and the simulated repeats, or the first error
    line. Returns 0 or 1. ``promised`` (default: PROMISED_OCCASIONS for the shipped library, none for a
    PATH) are occasions that must have an item."""
    try:
        library = load_library(path)
    except ContentError as exc:
        print(f"Lỗi thư viện nội dung: {exc}")
        return 1
    print(f"Thư viện nội dung hợp lệ: {len(library)} mục (nguồn: {', '.join(library.sources)})")
    items = library.all()
    promised = (PROMISED_OCCASIONS if path is None else {}) if promised is None else promised
    counts = Counter(tag for item in items for tag in set(item.occasions))
    missing = [f"{label} ({tag})" for tag, label in promised.items() if not counts[tag]]
    if missing:
        print(f"Lỗi thư viện nội dung: không có mục nào cho dịp {', '.join(missing)} (docs/daily.md hứa có)")
        return 1
    if counts:
        labels = {**{t: t for t in counts}, **PROMISED_OCCASIONS}
        print("Mục theo dịp: " + ", ".join(f"{labels[t]} {counts[t]}" for t in sorted(counts, key=_by_date)))
    return _check_repeats(items)


def _by_date(tag: str) -> tuple[int, str]:
    return (0, "") if tag == TET else (1, tag)


def _check_repeats(items: list[ContentItem]) -> int:
    """Run the real chooser over SIMULATION_YEARS years of days and print when the first item comes back.
    Fails if two showings of an item are closer than choose.py promises (min(N - A, 365) days)."""
    days = SIMULATION_YEARS * YEAR_DAYS
    seen = repeats([i.id for i in simulate(items, start=SIMULATION_START, days=days)])
    allowance = occasion_allowance(items)
    promise = spacing_promise(items)
    where = f"Mô phỏng {SIMULATION_YEARS} năm từ {SIMULATION_START:%d/%m/%Y} bằng bộ chọn thật"
    if seen.first_repeat is None or seen.min_gap is None:
        print(f"{where}: không mục nào lặp lại (no repeat in {days} days)")
        return 0
    print(f"{where}: first repeat after {seen.first_repeat} days (mục đầu tiên lặp lại sau "
          f"{seen.first_repeat} ngày); hai lần của một mục cách nhau ít nhất {seen.min_gap} ngày "
          f"(cam kết: ≥ {promise}, tức min({len(items)} mục − {allowance} mục dành cho các dịp, {YEAR_DAYS}))")
    if seen.min_gap < promise:
        print(f"Lỗi bộ chọn: một mục lặp lại sau {seen.min_gap} ngày, ít hơn {promise}")
        return 1
    return 0


@dataclass
class ImportResult:
    """Valid new items, and the rows left out because the library already has them."""

    items: list[ContentItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line 7 (id 'x'): same text as 'y'"

    def summary(self) -> str:
        text = f"Nhập {len(self.items)} mục"
        if self.skipped:
            text += f", bỏ qua {len(self.skipped)} ({'; '.join(self.skipped)})"
        return text


def _read_csv(path: Path) -> tuple[list[dict[str, Any]], list[int | None]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows: list[dict[str, Any]] = []
            lines: list[int | None] = []
            start = 2  # line 1 is the header
            for row in reader:
                if None in row:
                    raise ContentError(f"{path.name}, dòng {start}: nhiều ô hơn số cột của dòng tiêu đề")
                item: dict[str, Any] = {k.strip(): v for k, v in row.items()}
                for name in _CSV_LIST_FIELDS:
                    if isinstance(item.get(name), str):
                        item[name] = [p.strip() for p in item[name].split(";") if p.strip()]
                rows.append(item)
                lines.append(start)
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ContentError(f"{path.name}: không đọc được tệp CSV (cần UTF-8): {exc}") from None
    return rows, lines


def import_file(
    path: Path,
    *,
    existing: Iterable[ContentItem] | None = None,
    owner_org_id: int | None = None,
    allowed_domains: Iterable[str] | None = None,
) -> ImportResult:
    """Parse a YAML or CSV file of items and validate it with the import's and the library's rules.

    Any invalid row raises ContentError naming its line and the reason (in Vietnamese: the committee
    reads it); nothing is returned then. Each item needs a source on ``allowed_domains`` (default: the
    official outlets of bot.content.outlets), a work or citation and a confidence level. Rows whose id
    or text is already in ``existing`` (default: the shipped library) are skipped with a reason.
    """
    if path.suffix.lower() == ".csv":
        raw, lines = _read_csv(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw, lines = read_yaml(path)
        except ContentError as exc:
            raise ContentError(f"{path.name}: không đọc được tệp YAML ({exc})") from None
        raw = [] if raw is None else raw
    else:
        raise ContentError(f"{path.name}: loại tệp không được nhận (dùng .yaml hoặc .csv)")
    check_entries(raw, path.name, lines,
                  allowed=DEFAULT_OFFICIAL_DOMAINS if allowed_domains is None else allowed_domains)
    items = validate_items(raw, path.name, lines)
    check_rendered(items, path.name, lines)
    known = list(existing) if existing is not None else load_library().all()
    known_ids = {i.id for i in known}
    known_texts = {normalize(i.text): i.id for i in known}
    result = ImportResult()
    for item, line in zip(items, lines or [None] * len(items), strict=False):
        where = f"dòng {line}" if line else "mục"
        if item.id in known_ids:
            result.skipped.append(f"{where} (id {item.id!r}): id đã có")
        elif (twin := known_texts.get(normalize(item.text))) is not None:
            result.skipped.append(f"{where} (id {item.id!r}): trùng nội dung với {twin!r}")
        else:
            result.items.append(item)
    result.items = owned_by(result.items, owner_org_id)
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return check_main(Path(args[0]) if args else None)


if __name__ == "__main__":
    sys.exit(main())
