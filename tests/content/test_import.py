from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.cli import import_file
from bot.content.model import ContentError

from .conftest import make_item

EXISTING = [make_item("co-san", "Cần, kiệm, liêm, chính")]

CSV_GOOD = (
    "id,kind,text,work,date,citation,source_url,themes,occasions,confidence\n"
    "moi-1,quote,\"Đoàn kết, đoàn kết, đại đoàn kết\",Bài nói,1963,,https://nhandan.vn/1,doan-ket;dao-duc,09-02,high\n"
    "moi-2,quote,\"cần,  KIỆM, liem chinh\",Bài báo,,,https://www.qdnd.vn/2,,,medium\n"
    "co-san,story,Chuyện khác,Sách,,,https://thainguyen.dcs.vn/3,,,medium\n"
)


def test_import_good_csv(tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_text(CSV_GOOD, encoding="utf-8")
    result = import_file(path, existing=EXISTING, owner_org_id=7)
    assert [i.id for i in result.items] == ["moi-1"]
    item = result.items[0]
    assert item.themes == ("doan-ket", "dao-duc") and item.occasions == ("09-02",)
    assert item.owner_org_id == 7 and item.date == "1963" and item.citation is None
    assert len(result.skipped) == 2
    assert "dòng 3" in result.skipped[0] and "'co-san'" in result.skipped[0]  # same text, diacritics aside
    assert "dòng 4" in result.skipped[1] and "id đã có" in result.skipped[1]
    assert "bỏ qua 2" in result.summary()


def test_import_good_yaml(tmp_path: Path):
    path = tmp_path / "in.yaml"
    path.write_text(
        "- id: moi\n  kind: quote\n  text: Học, học nữa\n  citation: Báo Nhân dân\n"
        "  source_url: https://bqllang.gov.vn/1\n  date: 1950-09-02\n  themes: [hoc-tap]\n  confidence: high\n",
        encoding="utf-8",
    )
    result = import_file(path, existing=EXISTING)
    assert [(i.id, i.date, i.owner_org_id) for i in result.items] == [("moi", "1950-09-02", None)]
    assert result.skipped == []


def test_import_defaults_to_shipped_library_for_duplicates(tmp_path: Path):
    from bot.content.loader import load_library

    shipped = load_library().all()[0]
    path = tmp_path / "in.yaml"
    path.write_text(
        f"- id: lap-lai\n  kind: quote\n  text: {shipped.text.upper()!r}\n  work: X\n"
        "  source_url: https://nhandan.vn/1\n  confidence: medium\n",
        encoding="utf-8",
    )
    result = import_file(path)
    assert result.items == [] and shipped.id in result.skipped[0]


def test_bad_csv_row_names_line_and_returns_nothing(tmp_path: Path):
    bad = CSV_GOOD.replace("https://www.qdnd.vn/2", "khong-phai-url")
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError, match=r"^bad\.csv, dòng 3 \(id 'moi-2'\): địa chỉ nguồn 'khong-phai-url'"):
        import_file(path, existing=EXISTING)


def test_bad_csv_unknown_column(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("id,kind,text,work,source_url,tac_gia\nx,quote,abc,W,https://nhandan.vn/1,\n",
                    encoding="utf-8")
    with pytest.raises(ContentError, match=r"bad\.csv, dòng 2 .*trường không được nhận: tac_gia"):
        import_file(path, existing=EXISTING)


def test_bad_yaml_item_names_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "- id: a\n  kind: quote\n  text: A\n  work: W\n  source_url: https://nhandan.vn/1\n  confidence: high\n"
        "- id: b\n  kind: quote\n  text: B\n  source_url: https://nhandan.vn/2\n  confidence: high\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"^bad\.yaml, dòng 7 \(id 'b'\): thiếu tên tác phẩm \(work\)"):
        import_file(path, existing=EXISTING)


def test_broken_yaml_and_wrong_type(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"^broken\.yaml: không đọc được tệp YAML"):
        import_file(path, existing=EXISTING)
    other = tmp_path / "x.txt"
    other.write_text("hi", encoding="utf-8")
    with pytest.raises(ContentError, match="loại tệp không được nhận"):
        import_file(other, existing=EXISTING)


# --- #13 part 4: committee imports you can trust -------------------------------------------------------

from bot.content.outlets import DEFAULT_OFFICIAL_DOMAINS, host_of, matches, refusal  # noqa: E402


def _yaml_item(item_id: str, url: str, **extra: str) -> str:
    fields = {"kind": "quote", "text": f"Mục thử nghiệm {item_id}", "work": "Tài liệu thử nghiệm",
              "source_url": url, "confidence": "high", **extra}
    body = "".join(f"  {k}: {v}\n" for k, v in fields.items() if v != "")
    return f"- id: {item_id}\n{body}"


def _import(tmp_path: Path, text: str, name: str = "up.yaml", **kw):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_file(path, existing=EXISTING, owner_org_id=3, **kw)


@pytest.mark.parametrize(("url", "ok"), [
    ("https://thainguyen.dcs.vn/a.html", True),
    ("http://dcs.vn/a", True),
    ("https://DCS.VN./a", True),
    ("https://evil-dcs.vn/a", False),
    ("https://dcs.vn.evil.com/a", False),
    ("https://dcs.vn@evil.com/a", False),  # the host is evil.com
    ("ftp://dcs.vn/a", False),
    ("javascript:alert(1)//dcs.vn", False),
    ("https://bqllang.gov.vn/x", True),
    ("https://quan1.hochiminhcity.gov.vn/x", True),
    ("https://gov.vn.example.com/x", False),
    ("https://hochiminh.nhandan.vn/x", True),
])
def test_source_domain_matches_label_by_label(url: str, ok: bool):
    assert (refusal(url) is None) is ok, (url, refusal(url))


def test_matches_is_suffix_by_label():
    assert matches("x.dcs.vn", "dcs.vn") and matches("dcs.vn", "dcs.vn")
    assert not matches("evil-dcs.vn", "dcs.vn") and not matches("dcs.vn.evil.com", "dcs.vn")
    assert host_of("mailto:a@dcs.vn") is None


def test_every_source_of_the_shipped_library_and_v2_is_on_the_default_list():
    """The v2 header says every ship source is an official outlet: the default list must take them all,
    and the library the bot ships (built from v2's ship entries) cites none that it refuses."""
    import yaml

    from bot.content.loader import load_library
    from bot.content.tools.import_v2 import shared_dir

    shipped = sorted({f"{host_of(i.source_url)}: {refusal(i.source_url)}" for i in load_library()
                      if refusal(i.source_url) is not None})
    assert shipped == []
    base = shared_dir()
    v2 = base / "content" / "hcm-quotes-v2.yaml" if base else None
    if v2 is None or not v2.is_file():
        pytest.skip("shared/content/hcm-quotes-v2.yaml not present (set HOCBAC_SHARED_DIR)")
    urls = {e["source_url"] for e in yaml.safe_load(v2.read_text(encoding="utf-8")) if e.get("status") == "ship"}
    assert len(urls) > 250  # distinct addresses of the 351 ship entries
    refused = sorted({f"{host_of(u)}: {refusal(u)}" for u in urls if refusal(u) is not None})
    assert refused == []


@pytest.mark.parametrize(("url", "reason"), [
    ("https://quanhoaoxanh1976.blogspot.com/2010/05/bac.html", "blog"),
    ("https://someone.wordpress.com/bac", "blog"),
    ("https://www.facebook.com/groups/x/posts/1", "mạng xã hội"),
    ("https://www.youtube.com/watch?v=x", "mạng xã hội"),
    ("https://baomoi.com/bac-ho-day/c/1.epi", "trang tổng hợp"),
    ("https://thuvienphapluat.vn/van-ban/x.aspx", "trang tổng hợp"),
    ("https://tailieu.vn/doc/x.html", "trang chia sẻ tài liệu"),
    ("https://123doc.net/document/x.htm", "trang chia sẻ tài liệu"),
    ("https://www.studocu.com/vn/document/x", "trang chia sẻ tài liệu"),
    ("https://vi.wikipedia.org/wiki/H%E1%BB%93_Ch%C3%AD_Minh", "bách khoa mở"),
])
def test_blogs_aggregators_and_sharing_sites_are_refused_naming_line_and_kind(tmp_path, url, reason):
    text = _yaml_item("tot", "https://nhandan.vn/1") + _yaml_item("xau", url)
    with pytest.raises(ContentError) as err:
        _import(tmp_path, text)
    message = str(err.value)
    assert message.startswith("up.yaml, dòng 7 (id 'xau'): nguồn ")
    assert reason in message and "chính thống" in message


def test_refused_even_when_the_deployment_allows_it(tmp_path):
    with pytest.raises(ContentError, match="blog"):
        _import(tmp_path, _yaml_item("a", "https://x.blogspot.com/1"), allowed_domains=["blogspot.com"])


def test_unknown_site_is_refused_and_a_configured_list_replaces_the_default(tmp_path):
    text = _yaml_item("a", "https://example.org/1")
    with pytest.raises(ContentError, match=r"dòng 1 \(id 'a'\): nguồn example\.org không nằm trong danh sách"):
        _import(tmp_path, text)
    assert [i.id for i in _import(tmp_path, text, allowed_domains=["example.org"]).items] == ["a"]
    with pytest.raises(ContentError, match=r"nhandan\.vn không nằm"):
        _import(tmp_path, _yaml_item("b", "https://nhandan.vn/1"), allowed_domains=["example.org"])


@pytest.mark.parametrize(("extra", "reason"), [
    ({"source_url": ""}, "thiếu nguồn (source_url)"),
    ({"work": ""}, "thiếu tên tác phẩm (work) hoặc trích dẫn (citation)"),
    ({"confidence": ""}, "thiếu mức tin cậy"),
    ({"confidence": "low"}, "mức tin cậy 'low' chưa đủ"),
    ({"confidence": "chac-chan"}, "mức tin cậy 'chac-chan' không hợp lệ"),
    ({"tac_gia": "Ai đó"}, "trường không được nhận: tac_gia"),
    ({"theme": "[dao-duc]"}, "ý đồng chí là 'themes'"),
    ({"text": "'" + "chữ " * 300 + "'"}, "quá giới hạn 1000 ký tự"),
    ({"citation": "'" + "x" * 400 + "'"}, "trường citation dài quá 300 ký tự"),
])
def test_bad_entry_is_rejected_with_line_and_reason_and_nothing_returned(tmp_path, extra, reason):
    text = _yaml_item("dau", "https://nhandan.vn/1") + _yaml_item("sau", "https://nhandan.vn/2", **extra)
    with pytest.raises(ContentError) as err:
        _import(tmp_path, text)
    assert str(err.value).startswith("up.yaml, dòng ")
    line = int(str(err.value).split("dòng ")[1].split(" ")[0])
    assert text.splitlines()[line - 1] == "- id: sau"
    assert reason in str(err.value)


def test_rendered_length_limit_leaves_room_for_the_added_by_line(tmp_path):
    from bot.content.imports import ADDED_BY_RESERVE
    from bot.content.render import MAX_RENDERED_CHARS

    reflection = "'" + "Câu hỏi dài " * 150 + "'"  # short fields, a long message in all
    text = _yaml_item("dai", "https://nhandan.vn/1", reflection=reflection)
    with pytest.raises(ContentError, match=rf"dòng 1 \(id 'dai'\): tin nhắn dài \d+ ký tự, quá giới hạn "
                                           rf"{MAX_RENDERED_CHARS - ADDED_BY_RESERVE}"):
        _import(tmp_path, text)


def test_csv_upload_names_the_csv_line(tmp_path):
    rows = CSV_GOOD.replace("https://www.qdnd.vn/2", "https://tailieu.vn/2")
    with pytest.raises(ContentError, match=r"^up\.csv, dòng 3 \(id 'moi-2'\): nguồn tailieu\.vn là trang chia sẻ"):
        _import(tmp_path, rows, "up.csv")


def test_default_list_has_no_refused_domain():
    assert not [d for d in DEFAULT_OFFICIAL_DOMAINS if refusal(f"https://{d}/") is not None]


def test_setting_parses_the_domain_list(monkeypatch):
    from pydantic import ValidationError

    from bot.config import Settings

    assert Settings(_env_file=None).content_official_domains == list(DEFAULT_OFFICIAL_DOMAINS)
    monkeypatch.setenv("CONTENT_OFFICIAL_DOMAINS", " *.Gov.vn, nhandan.vn ;qdnd.vn")
    assert Settings(_env_file=None).content_official_domains == ["gov.vn", "nhandan.vn", "qdnd.vn"]
    monkeypatch.setenv("CONTENT_OFFICIAL_DOMAINS", "nhandan.vn, https://evil.com/")
    with pytest.raises(ValidationError, match="expected a domain"):
        Settings(_env_file=None)


def test_added_by_line_goes_after_the_source_and_before_our_reflection():
    from bot.features.daily.catalog import with_added_by

    item = make_item("rieng", "Học, học nữa", citation="Báo Nhân dân", reflection="Đồng chí học gì hôm nay?",
                     owner_org_id=4)
    lines = with_added_by(item, None, "Đảng bộ <xã> A").splitlines()
    added = next(i for i, t in enumerate(lines) if "Đảng bộ &lt;xã&gt; A" in t)  # escaped
    assert added > next(i for i, t in enumerate(lines) if "Báo Nhân dân" in t)
    assert added == next(i for i, t in enumerate(lines) if t.startswith("Nguồn:")) + 1  # right after the source
    assert added < next(i for i, t in enumerate(lines) if "Đồng chí học gì" in t)
    shipped = make_item("chung", "Học, học nữa", reflection="Câu hỏi?")
    assert "Đảng bộ" not in with_added_by(shipped, None, "Đảng bộ A")
