"""Read a webhook's JSON body within bounds: its size and its nesting depth (Telegram and Zalo routes).

An update is a few kilobytes nested a handful of levels. A body nested 100,000 levels deep made
``json.loads`` raise RecursionError, which aiohttp answered with 500 and a logged traceback; a huge body
costs memory. Both are refused here with a plain 400/413 before or while parsing, never a traceback.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 1024 * 1024  # a Telegram or Zalo update is a few KB; the app's client_max_size matches
MAX_DEPTH = 64  # the deepest real update is about 10 levels

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class BadBody(Exception):
    """The body is refused; ``status`` is 400 (not JSON, too deep) or 413 (too large)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting outside strings (cheap: strings and other bytes are removed in C)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    if len(brackets) <= 1:
        return len(brackets)
    return max(itertools.accumulate(_STEP[b] for b in brackets))


def parse_json(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses deep nesting and bad bytes with :class:`BadBody` (status 400)."""
    if nesting_depth(raw) > max_depth:
        raise BadBody(400, f"nested deeper than {max_depth}")
    try:
        return json.loads(raw)
    except RecursionError:  # belt and braces: the scan above should have caught it
        raise BadBody(400, "nested too deep") from None
    except (ValueError, UnicodeDecodeError):
        raise BadBody(400, "not JSON") from None


async def read_json(request: web.Request, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The request's JSON body, or :class:`BadBody` (413 when larger than ``max_bytes``, 400 otherwise)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:  # a chunked body has no Content-Length: stop reading past the limit
        chunk = await request.content.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise BadBody(413, "body too large")
    return parse_json(b"".join(chunks), max_depth=max_depth)
