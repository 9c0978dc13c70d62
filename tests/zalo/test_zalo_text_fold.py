import pytest

from bot.text import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Đồng ý ✓", "dong y"),
        ("HÔM NAY", "hom nay"),
        ("hôm nay", "hom nay"),
        ("  Từ   chối!! ", "tu choi"),
        ("Nguyễn Văn Đạt", "nguyen van dat"),
        ("👍🏽 Tốt lắm 🇻🇳", "tot lam"),
        ("ngày 1/5", "ngay 1 5"),
        ("Ủy ban, Ban Chấp hành", "uy ban ban chap hanh"),
        ("/homnay", "homnay"),
        ("", ""),
        ("✓✓✓", ""),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_fold_treats_precomposed_and_decomposed_alike():
    import unicodedata

    word = "Thường xuyên"
    nfd, nfc = unicodedata.normalize("NFD", word), unicodedata.normalize("NFC", word)
    assert nfd != nfc
    assert fold(nfd) == fold(nfc) == "thuong xuyen"


def test_fold_is_idempotent():
    for s in ["Đồng ý ✓", "Học tập và làm theo tư tưởng, đạo đức!"]:
        assert fold(fold(s)) == fold(s)
