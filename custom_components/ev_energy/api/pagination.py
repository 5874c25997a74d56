"""Which ``Link: rel="next"`` URLs the client follows, and why a walk stopped.

The API paginates with RFC 8288 ``Link`` headers and marks the ends with
``<about:blank>``. Its cursor parameters are documented inconsistently (the
spec swaps page_before/page_after; logs use timestamps), so the client never
builds page URLs itself: it follows ``next`` as given, within limits. A walk
that cannot go on before the end (`IncompleteListReason`) is not the end of the
list: the client raises rather than returning part of it as if it were all.
"""

from __future__ import annotations

from enum import StrEnum
import re
from typing import Final

from yarl import URL

END_OF_LIST: Final = URL("about:blank")
# A ``rel`` parameter naming ``next``, to notice a next link that could not be read.
_REL_NEXT = re.compile(r"""\brel\s*=\s*["']?(?:[^"',;]*\s)?next\b""", re.IGNORECASE)
# One RFC 8288 link-value: ``<target>`` and its parameters, up to the comma that ends it (commas inside quoted
# parameter values do not end it).
_LINK_VALUE = re.compile(r"""\s*<(?P<target>[^<>]*)>(?P<params>(?:[^,"]|"[^"]*")*)(?:,|$)""")
_LINK_PARAM = re.compile(
    r""";\s*(?P<name>[^\s=;,]+)\s*(?:=\s*(?:"(?P<quoted>[^"]*)"|(?P<token>[^\s;,]*)))?"""
)


def next_link(link_headers: list[str], base: URL) -> tuple[URL | None, bool]:
    """Return the ``rel="next"`` target of a response's ``Link`` headers, and whether one could not be read.

    Parsed here, strictly, rather than by the HTTP library: how leniently libraries read a broken header
    differs between versions, and a next link read wrongly would end a list early without anyone noticing.
    A header that cannot be read at all counts as unreadable only when it mentions ``rel="next"``.
    """
    text = ", ".join(link_headers)
    position, found = 0, None
    while position < len(text.rstrip()):
        value = _LINK_VALUE.match(text, position)
        if value is None:
            return None, mentions_next(text)
        position = value.end()
        rels = [
            rel.lower()
            for param in _LINK_PARAM.finditer(value["params"])
            if param["name"].lower() == "rel"
            for rel in (param["quoted"] or param["token"] or "").split()
        ]
        if "next" in rels and found is None:
            found = value["target"]
    if found is None:
        return None, False
    try:
        return base.join(URL(found)), False
    except ValueError:
        return None, True


class IncompleteListReason(StrEnum):
    """Why a list walk stopped before the list's end."""

    FOREIGN_ORIGIN = "foreign_origin"
    LOOP = "loop"
    MALFORMED_LINK = "malformed_link"
    PAGE_CAP = "page_cap"


# What `EvEnergyIncompleteListError` says, completing "... stopped after N pages because ...".
STOP_EXPLANATIONS: Final = {
    IncompleteListReason.FOREIGN_ORIGIN: "the next page is on another server",
    IncompleteListReason.LOOP: "the next page link points back to a page already read",
    IncompleteListReason.MALFORMED_LINK: "the next page link could not be read",
    IncompleteListReason.PAGE_CAP: "the page limit was reached before the end of the list",
}


def mentions_next(link_header: str) -> bool:
    """Return whether a raw ``Link`` header value has a ``rel`` that includes ``next``."""
    return _REL_NEXT.search(link_header) is not None


def same_origin(url: URL, origin: URL) -> bool:
    """Return whether ``url`` has the scheme, host and port of ``origin``."""
    if not url.absolute or url.scheme not in ("http", "https"):
        return False
    return (url.scheme, url.host, url.port) == (origin.scheme, origin.host, origin.port)


class PageWalker:
    """Decides, page by page, whether to follow the next link.

    The walk ends normally when there is no next link or it is ``about:blank``.
    It stops early, recording the reason in ``stop_reason``, at a link that could
    not be read, at a link to another origin (never send the token elsewhere), at
    a URL already visited (a loop), and when ``max_pages`` pages were read while
    the list goes on.
    """

    def __init__(self, first_url: URL, origin: URL, max_pages: int) -> None:
        """Start a walk at ``first_url`` (with its query), restricted to ``origin``."""
        self._origin = origin
        self._max_pages = max(1, max_pages)
        self._seen: set[str] = {str(first_url)}
        self.pages_fetched = 0
        self.stop_reason: IncompleteListReason | None = None

    def next_url(self, next_link: URL | None, *, malformed: bool = False) -> URL | None:
        """Record one fetched page and return the next URL to fetch, or None to stop.

        ``malformed`` says the page's Link header named a next page that could not be read.
        """
        self.pages_fetched += 1
        self.stop_reason = self._stop_reason(next_link, malformed)
        if self.stop_reason is not None or next_link is None or next_link == END_OF_LIST:
            return None
        self._seen.add(str(next_link))
        return next_link

    def _stop_reason(self, next_link: URL | None, malformed: bool) -> IncompleteListReason | None:
        if malformed:
            return IncompleteListReason.MALFORMED_LINK
        if next_link is None or next_link == END_OF_LIST:
            return None
        if not same_origin(next_link, self._origin):
            return IncompleteListReason.FOREIGN_ORIGIN
        if str(next_link) in self._seen:
            return IncompleteListReason.LOOP
        if self.pages_fetched >= self._max_pages:
            return IncompleteListReason.PAGE_CAP
        return None
