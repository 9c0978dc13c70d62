"""The "Học Bác mỗi ngày" content library: verified quotes, loader, check, search and daily choice."""

from bot.content.choose import choose_item, occasions_on
from bot.content.cli import ImportResult, check_main, import_file
from bot.content.loader import Library, load_library, validate_items
from bot.content.model import ContentError, ContentItem
from bot.content.render import render_item
from bot.content.search import normalize, search

__all__ = [
    "ContentError",
    "ContentItem",
    "ImportResult",
    "Library",
    "check_main",
    "choose_item",
    "import_file",
    "load_library",
    "normalize",
    "occasions_on",
    "render_item",
    "search",
    "validate_items",
]
