"""Which ``Link: rel="next"`` URLs the client follows.

The API paginates with RFC 8288 ``Link`` headers and marks the ends with
``<about:blank>``. Its cursor parameters are documented inconsistently (the
spec swaps page_before/page_after; logs use timestamps), so the client never
builds page URLs itself: it follows ``next`` as given, within limits.
"""

from __future__ import annotations

from yarl import URL


def same_origin(url: URL, origin: URL) -> bool:
    """Return whether ``url`` has the scheme, host and port of ``origin``."""
    if not url.absolute or url.scheme not in ("http", "https"):
        return False
    return (url.scheme, url.host, url.port) == (origin.scheme, origin.host, origin.port)


class PageWalker:
    """Decides, page by page, whether to follow the next link.

    Stops when there is no next link, at ``about:blank``, at a URL already
    visited (a loop), at a link to another origin (never send the token
    elsewhere), and after ``max_pages`` pages.
    """

    def __init__(self, first_url: URL, origin: URL, max_pages: int) -> None:
        """Start a walk at ``first_url``, restricted to ``origin``."""
        self._origin = origin
        self._max_pages = max(1, max_pages)
        self._seen: set[str] = {str(first_url)}
        self.pages_fetched = 0

    def next_url(self, next_link: URL | None) -> URL | None:
        """Record one fetched page and return the next URL to fetch, or None to stop."""
        self.pages_fetched += 1
        if next_link is None or self.pages_fetched >= self._max_pages:
            return None
        if not same_origin(next_link, self._origin):
            # Covers about:blank as well as foreign hosts.
            return None
        key = str(next_link)
        if key in self._seen:
            return None
        self._seen.add(key)
        return next_link
