"""Which web sites a đảng bộ's imported item may cite as its source.

An imported quote must come from an official outlet: Party, state, army or TTXVN media, the Lăng's and the
Museum's sites, the Party's publishing house. The default list covers every outlet the shipped corpus (v2)
cites; a deployment may replace it with the CONTENT_OFFICIAL_DOMAINS setting. Blogs, aggregators, social
networks and document-sharing sites are refused by name, with a clearer reason than "not on the list".

A domain on a list matches itself and its subdomains: ``dcs.vn`` matches ``thainguyen.dcs.vn`` but not
``evil-dcs.vn`` nor ``dcs.vn.evil.com``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

# Default allowlist (domain and its subdomains). Grouped by who publishes them.
DEFAULT_OFFICIAL_DOMAINS: tuple[str, ...] = (
    # The Party: central and local Party sites, its journals, schools and publishing house.
    "dangcongsan.vn", "dcs.vn", "tapchicongsan.org.vn", "xaydungdang.org.vn", "tuyengiao.vn",
    "nhandan.vn", "giaoduclyluanhcma.vn", "truongchinhtrils.vn", "nxbctqg.org.vn", "stbook.vn",
    "bantuyengiao.laocai.org.vn", "dudnkhanhhoa.vn",
    # The state: every *.gov.vn site (bqllang.gov.vn, ditichhochiminhphuchutich.gov.vn, ministries,
    # provinces), the Government's portal and paper, the National Assembly.
    "gov.vn", "chinhphu.vn", "baochinhphu.vn", "quochoi.vn", "bqllang.gov.vn",
    "ditichhochiminhphuchutich.gov.vn",
    # Hồ Chí Minh museums and memorial sites.
    "baotanghochiminh.vn", "hochiminh.vn", "baotangchungtichchientranh.vn",
    # The army.
    "qdnd.vn", "qpvn.vn", "tapchiqptd.vn", "baohaiquanvietnam.vn", "phongkhongkhongquan.vn",
    "baoquankhu4.com.vn", "baoquankhu7.vn", "cuuchienbinh.vn",
    # TTXVN (the national news agency) and national broadcasters.
    "vnanet.vn", "vietnamplus.vn", "baotintuc.vn", "infographics.vn", "vov.vn", "vtv.vn",
    "vietnamnet.vn",
    # Provincial Party newspapers, broadcasters and libraries cited by the shipped corpus.
    "baobinhthuan.com.vn", "baonghean.vn", "baonamdinh.vn", "baothanhhoa.vn", "baohaiduong.vn",
    "baothainguyen.vn", "baolaocai.vn", "baophutho.vn", "baoninhthuan.com.vn", "sggp.org.vn",
    "thuvienbinhthuan.com.vn", "thvl.vn", "btv.org.vn", "nvhtn.org.vn", "tvs.vuc.vn",
)

# Refused by name, whatever the allowlist says: (domain, the kind of site, shown to the committee).
_BLOG = "blog cá nhân"
_AGGREGATOR = "trang tổng hợp tin, không phải nơi đăng gốc"
_SHARING = "trang chia sẻ tài liệu do người dùng tải lên"
_SOCIAL = "mạng xã hội hoặc trang video"
_WIKI = "trang bách khoa mở, ai cũng sửa được"
REFUSED_DOMAINS: dict[str, str] = {
    **dict.fromkeys(("blogspot.com", "wordpress.com", "medium.com", "spiderum.com", "tumblr.com",
                     "substack.com", "tennguoidepnhat.net", "hoanggiaanh.net", "gocnhin.net"), _BLOG),
    **dict.fromkeys(("baomoi.com", "baomoi.net.vn", "news.google.com", "thuvienphapluat.vn",
                     "luatvietnam.vn", "thivien.net", "kienthuc.net.vn"), _AGGREGATOR),
    **dict.fromkeys(("tailieu.vn", "123doc.net", "123docz.net", "studocu.com", "scribd.com",
                     "slideshare.net", "issuu.com", "vndoc.com", "academia.edu", "docs.google.com",
                     "drive.google.com"), _SHARING),
    **dict.fromkeys(("facebook.com", "fb.com", "fb.watch", "youtube.com", "youtu.be", "tiktok.com",
                     "zalo.me", "twitter.com", "x.com", "instagram.com", "t.me"), _SOCIAL),
    **dict.fromkeys(("wikipedia.org", "wikisource.org", "wikiquote.org"), _WIKI),
}


def normalize_domain(value: str) -> str:
    """" .Dcs.VN. " -> "dcs.vn"; "*.gov.vn" -> "gov.vn" (a listed domain always covers its subdomains)."""
    return value.strip().lower().removeprefix("*.").strip(".")


def host_of(url: str) -> str | None:
    """The lower-case host of an http(s) URL, or None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host.rstrip(".")


def matches(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains (label by label: "evil-dcs.vn" is not "dcs.vn")."""
    return host == domain or host.endswith("." + domain)


def refusal(url: str, allowed: Iterable[str] = DEFAULT_OFFICIAL_DOMAINS) -> str | None:
    """Why ``url`` may not be an imported item's source (Vietnamese, for the committee), or None."""
    host = host_of(url)
    if host is None:
        return f"địa chỉ nguồn {url!r} không phải địa chỉ web http(s)"
    for domain, kind in REFUSED_DOMAINS.items():
        if matches(host, domain):
            return f"nguồn {host} là {kind}; chỉ nhận nguồn từ trang chính thống"
    if any(matches(host, normalize_domain(d)) for d in allowed if normalize_domain(d)):
        return None
    return (f"nguồn {host} không nằm trong danh sách trang chính thống "
            "(CONTENT_OFFICIAL_DOMAINS: báo Đảng, Nhà nước, Quân đội, TTXVN, Bảo tàng, Lăng Bác…)")
