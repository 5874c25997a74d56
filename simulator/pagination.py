"""Link-header pagination exactly like the API: cursors, page numbers, ``<about:blank>`` ends.

The broken and endless next-link faults rewrite the header afterwards (``simulator.faults``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from .problems import pagination_error

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
BLANK = "about:blank"
_PAGING_PARAMS = {"page_size", "page_before", "page_after", "page"}


@dataclass(frozen=True)
class Page[T]:
    """One page of items and its Link header value."""

    items: list[T]
    link: str


def page_size(request: web.Request) -> int:
    """Return the requested page size (1..100, default 25) or raise the pagination problem."""
    raw = request.query.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise pagination_error("page_size") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise pagination_error("page_size")
    return size


def _link_url(request: web.Request, origin: str, extra: dict[str, str]) -> str:
    kept = [(k, v) for k, v in request.query.items() if k not in _PAGING_PARAMS]
    return str(URL(origin + request.path).with_query([*kept, *extra.items()]))


def link_header(previous: str | None, next_: str | None) -> str:
    """Format ``<prev>; rel="previous", <next>; rel="next"`` with about:blank at the ends."""
    return f'<{previous or BLANK}>; rel="previous", <{next_ or BLANK}>; rel="next"'


def paginate[T](
    request: web.Request, origin: str, items: Sequence[T], cursor: Callable[[T], str]
) -> Page[T]:
    """Cut one page out of ``items`` (already in API order) using ``page_after``/``page_before``.

    ``page_after=X`` gives the items following X, ``page_before=X`` those preceding X;
    links carry the cursor of the first/last item shown, as the real API does.
    """
    size = page_size(request)
    after = request.query.get("page_after")
    before = request.query.get("page_before")
    if after is not None and before is not None:
        raise pagination_error("page_before")
    keys = [cursor(item) for item in items]
    if after is not None:
        if after not in keys:
            raise pagination_error("page_after")
        start = keys.index(after) + 1
        end = min(len(items), start + size)
    elif before is not None:
        if before not in keys:
            raise pagination_error("page_before")
        end = keys.index(before)
        start = max(0, end - size)
    else:
        start, end = 0, min(len(items), size)
    shown = list(items[start:end])
    size_param = {"page_size": str(size)}
    previous = None
    if start > 0 and shown:
        previous = _link_url(request, origin, {**size_param, "page_before": keys[start]})
    next_ = None
    if end < len(items) and shown:
        next_ = _link_url(request, origin, {**size_param, "page_after": keys[end - 1]})
    return Page(shown, link_header(previous, next_))


def paginate_by_number[T](request: web.Request, origin: str, items: Sequence[T]) -> Page[T]:
    """Cut page ``page`` (1-based) out of ``items`` for the page-number style endpoints."""
    size = page_size(request)
    raw = request.query.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise pagination_error("page") from None
    if number < 1:
        raise pagination_error("page")
    start = (number - 1) * size
    shown = list(items[start : start + size])
    previous = None
    if number > 1:
        previous = _link_url(request, origin, {"page": str(number - 1), "page_size": str(size)})
    next_ = None
    if start + size < len(items):
        next_ = _link_url(request, origin, {"page": str(number + 1), "page_size": str(size)})
    return Page(shown, link_header(previous, next_))
