"""Fault injection: what a flaky cloud API does to a client, switchable at runtime.

Burst faults (5xx, HTML pages, malformed JSON, 429, delays) count down per matching
request; field faults (nulls, unknown enum values, wrong types), endless pagination and broken
next links stay until ``clear()``. ``fault_middleware`` applies them to the HTTP traffic; device
changes go straight to the world, token revocations to the OAuth server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from yarl import URL

from .devices import Devices
from .oauth import OAuthServer
from .pagination import BLANK, link_header
from .problems import API_VERSION, ProblemError
from .world import Evse, Vehicle

RETRY_HEADER_SPELLINGS = ("Retry-After", "RetryAfter", "retry-after")


@dataclass
class BurstFault:
    """A fault for the next ``remaining`` matching requests (None: until cleared)."""

    kind: str
    remaining: int | None
    path_prefix: str | None = None
    status: int = 500
    seconds: float = 0.0
    header: str = "Retry-After"
    # A 429's header value as sent, when it is not a number of seconds (e.g. "inf", "soon").
    header_value: str | None = None

    def matches(self, path: str) -> bool:
        """Return whether the fault applies to ``path`` and has uses left."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def consume(self) -> None:
        """Use up one occurrence."""
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class FieldFault:
    """Replace a field in JSON bodies: ``evses.*.latest_status_log.charge_rate_watts``.

    The leading segments are matched against the URL path after ``/v2`` (``*`` matches
    any segment); the rest walks the JSON body (``*`` = every list element).
    """

    path: tuple[str, ...]
    value: Any


@dataclass
class EndlessPagination:
    """Make a list's Link header never end (or loop back to a URL already seen)."""

    path_prefix: str
    loop: bool


@dataclass
class BrokenNextLink:
    """Make a list's Link ``next`` one a client must not follow.

    ``kind``: ``foreign`` (on ``origin``, another server), ``bad_url`` (a target that
    is not a URL) or ``bad_header`` (``next`` without the ``<...>`` of RFC 8288).
    """

    path_prefix: str
    kind: str
    origin: str = ""

    def link(self, path_qs: str) -> str:
        """The Link header value for a page at ``path_qs`` (path and query)."""
        if self.kind == "foreign":
            return link_header(None, self.origin + path_qs)
        if self.kind == "bad_url":
            return link_header(None, "http://[" + path_qs)
        return f'<{BLANK}>; rel="previous", {path_qs}; rel="next"'


@dataclass
class FaultState:
    """The active faults."""

    bursts: list[BurstFault] = field(default_factory=list)
    fields: list[FieldFault] = field(default_factory=list)
    endless: list[EndlessPagination] = field(default_factory=list)
    links: list[BrokenNextLink] = field(default_factory=list)

    def take(self, kinds: set[str], path: str) -> BurstFault | None:
        """Return (and consume) the first active burst fault of ``kinds`` for ``path``."""
        for fault in self.bursts:
            if fault.kind in kinds and fault.matches(path):
                fault.consume()
                return fault
        return None


def _normalize_prefix(path_prefix: str | None) -> str | None:
    if path_prefix is None or path_prefix.startswith("/"):
        return path_prefix
    return "/v2/" + path_prefix


class Faults:
    """Fault switches, used from tests (``sim.faults``) and the admin endpoint."""

    def __init__(self, oauth: OAuthServer, devices: Devices) -> None:
        """Revoke ``oauth``'s tokens and change ``devices``; the HTTP faults live in ``state``."""
        self._oauth = oauth
        self._devices = devices
        self.state = FaultState()

    def _burst(self, kind: str, count: int | None, path_prefix: str | None, **extra: Any) -> None:
        self.state.bursts.append(BurstFault(kind, count, _normalize_prefix(path_prefix), **extra))

    def server_errors(
        self, count: int = 1, status: int = 500, path_prefix: str | None = None
    ) -> None:
        """Answer the next ``count`` requests with a 5xx problem."""
        self._burst("server_error", count, path_prefix, status=status)

    def delay(self, seconds: float, count: int = 1, path_prefix: str | None = None) -> None:
        """Hold the next ``count`` responses for ``seconds`` (a long delay is a timeout)."""
        self._burst("delay", count, path_prefix, seconds=seconds)

    def timeout(self, count: int = 1, path_prefix: str | None = None, seconds: float = 300) -> None:
        """Never answer in time: hold the next ``count`` responses for ``seconds``."""
        self.delay(seconds, count, path_prefix)

    def malformed_json(self, count: int = 1, path_prefix: str | None = None) -> None:
        """Cut the JSON body of the next ``count`` responses in half."""
        self._burst("malformed_json", count, path_prefix)

    def html_error(self, count: int = 1, status: int = 502, path_prefix: str | None = None) -> None:
        """Answer with an HTML error page, as a proxy in front of the API would."""
        self._burst("html_error", count, path_prefix, status=status)

    def rate_limit_now(
        self,
        retry_after: int | str = 30,
        header: str = "Retry-After",
        count: int = 1,
        path_prefix: str | None = None,
    ) -> None:
        """Answer 429 with the wait in ``header`` (``Retry-After``, ``RetryAfter``, ``retry-after``).

        A string is sent as it is, for the values a client must read as no usable wait ("inf", "soon").
        """
        if isinstance(retry_after, str):
            self._burst("rate_limit", count, path_prefix, header=header, header_value=retry_after)
        else:
            self._burst("rate_limit", count, path_prefix, seconds=retry_after, header=header)

    def revoke_tokens(self, user_id: str | None = None, client_id: str | None = None) -> int:
        """Revoke all tokens (of a user and/or client); return how many access tokens died."""
        return self._oauth.revoke_all(user_id=user_id, client_id=client_id)

    def null_field(self, path: str) -> None:
        """Serve ``null`` at ``path`` (e.g. ``vehicles.*.latest_status_log.state_of_charge_percentage``)."""
        self.state.fields.append(FieldFault(tuple(path.split(".")), None))

    def unknown_enum(self, path: str, value: str = "SOMETHING_NEW") -> None:
        """Serve an enum value the spec does not know at ``path``."""
        self.state.fields.append(FieldFault(tuple(path.split(".")), value))

    def bad_value(self, path: str, value: Any = "abc") -> None:
        """Serve ``value`` of the wrong JSON type at ``path`` (e.g. a string where a number belongs)."""
        self.state.fields.append(FieldFault(tuple(path.split(".")), value))

    def endless_pagination(self, path_prefix: str, loop: bool = False) -> None:
        """Make Link ``next`` of lists under ``path_prefix`` never end (``loop``: cycle)."""
        prefix = _normalize_prefix(path_prefix) or path_prefix
        self.state.endless.append(EndlessPagination(prefix, loop))

    def foreign_next_link(
        self, path_prefix: str, origin: str = "https://elsewhere.example"
    ) -> None:
        """Make Link ``next`` of lists under ``path_prefix`` point to ``origin``, another server."""
        prefix = _normalize_prefix(path_prefix) or path_prefix
        self.state.links.append(BrokenNextLink(prefix, "foreign", origin.rstrip("/")))

    def malformed_next_link(self, path_prefix: str, header: bool = False) -> None:
        """Make Link ``next`` of lists under ``path_prefix`` unreadable.

        The target is not a URL, or with ``header`` the whole entry is not RFC 8288.
        """
        prefix = _normalize_prefix(path_prefix) or path_prefix
        self.state.links.append(BrokenNextLink(prefix, "bad_header" if header else "bad_url"))

    def device_unreachable(self, device_id: str | None = None, unreachable: bool = True) -> None:
        """Cut a charger (or all) off: it stops reporting status logs and commands get 503.

        It keeps charging on its last schedule, so the meter jumps when it reports again.
        """
        self._devices.set_reachable(device_id, not unreachable)

    def add_evse(self, user_id: str | None = None) -> Evse:
        """Install a new charger for ``user_id`` (default: the primary user)."""
        return self._devices.add_evse(user_id)

    def remove_evse(self, evse_id: str) -> None:
        """Remove a charger: it disappears from the API (404) and its session ends."""
        self._devices.remove_evse(evse_id)

    def add_vehicle(
        self, user_id: str | None = None, evse_id: str | None = None, integrated: str = "ACTIVE"
    ) -> Vehicle:
        """Add a car for ``user_id`` parked at ``evse_id`` (not plugged in)."""
        return self._devices.add_vehicle(user_id, evse_id, integrated)

    def remove_vehicle(self, vehicle_id: str) -> None:
        """Remove a car: it disappears from the API (404) and its session ends."""
        self._devices.remove_vehicle(vehicle_id)

    def clear(self) -> None:
        """Switch every fault off and make all devices reachable again."""
        self.state = FaultState()
        self._devices.set_reachable(None, True)


# ------------------------------------------------------------- middleware
# The admin page and the webhook portal are the test's own controls, never faulted.
_UNFAULTED_PREFIXES = ("/_admin", "/_portal")
_HTML_ERROR = (
    "<html><head><title>{status} {reason}</title></head><body>"
    "<center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>"
)


def fault_middleware(
    faults: Faults, stopping: asyncio.Event, origin_of: Callable[[web.Request], str]
) -> Middleware:
    """Return the aiohttp middleware applying ``faults``' active faults around the handler.

    A delay ends early once ``stopping`` is set, so a held request never holds the shutdown;
    ``origin_of`` gives the origin the endless next links point at.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(_UNFAULTED_PREFIXES):
            return await handler(request)
        state = faults.state
        delay = state.take({"delay"}, request.path)
        if delay is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay.seconds)
        replacement = state.take({"server_error", "html_error", "rate_limit"}, request.path)
        if replacement is not None:
            return _fault_response(request, replacement)
        malformed = state.take({"malformed_json"}, request.path)
        response = await handler(request)
        if not isinstance(response, web.Response):  # pragma: no cover - we never stream
            return response
        if request.path.startswith("/v2"):
            _rewrite_json(request, response, state.fields)
            _rewrite_link(request, response, state, origin_of)
        if malformed is not None and isinstance(response.body, bytes):
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    return middleware


def _fault_response(request: web.Request, fault: BurstFault) -> web.Response:
    instance = str(request.url)
    if fault.kind == "html_error":
        reason = "Bad Gateway" if fault.status == 502 else "Service Unavailable"
        return web.Response(
            status=fault.status,
            text=_HTML_ERROR.format(status=fault.status, reason=reason),
            content_type="text/html",
        )
    if fault.kind == "rate_limit":
        wait = fault.header_value or str(int(fault.seconds))
        return ProblemError(
            429,
            "rate-limit-exceeded",
            "Too Many Requests",
            f"Request was rate limited. Try again in {wait} seconds",
            headers={fault.header: wait, "EvEnergy-Version": API_VERSION},
        ).response(instance)
    return ProblemError(
        fault.status,
        "server-error",
        "Server Error",
        "The server encountered an unexpected condition.",
    ).response(instance)


def _rewrite_json(request: web.Request, response: web.Response, fields: list[FieldFault]) -> None:
    if not fields or response.content_type != "application/json":
        return
    if not isinstance(response.body, bytes):  # pragma: no cover - we only send bytes
        return
    body = json.loads(response.body)
    segments = [s for s in request.path.split("/")[2:] if s]
    if apply_field_faults(fields, segments, body):
        response.body = json.dumps(body).encode()


def _rewrite_link(
    request: web.Request,
    response: web.Response,
    state: FaultState,
    origin_of: Callable[[web.Request], str],
) -> None:
    """Break a list's Link header, or make it endless (which wins when both apply)."""
    if "Link" not in response.headers:
        return
    for broken in state.links:
        if request.path.startswith(broken.path_prefix):
            response.headers["Link"] = broken.link(request.path_qs)
            break
    for rule in state.endless:
        if request.path.startswith(rule.path_prefix):
            page = int(request.query.get("endless_page", "0") or 0)
            url = URL(origin_of(request) + request.path)
            kept = [(k, v) for k, v in request.query.items() if k != "endless_page"]
            if rule.loop and page >= 1:
                next_url = url.with_query(kept)
            else:
                next_url = url.with_query([*kept, ("endless_page", str(page + 1))])
            response.headers["Link"] = link_header(None, str(next_url))
            return


def apply_field_faults(faults: list[FieldFault], url_segments: list[str], body: Any) -> bool:
    """Apply matching field faults to ``body`` in place; return whether anything changed."""
    changed = False
    for fault in faults:
        rest = _match_url(fault.path, url_segments)
        if rest is not None and rest:
            changed = _set_path(body, rest, fault.value) or changed
    return changed


def _match_url(path: tuple[str, ...], segments: list[str]) -> tuple[str, ...] | None:
    if len(path) < len(segments):
        return None
    for want, got in zip(path, segments, strict=False):
        if want not in ("*", got):
            return None
    return path[len(segments) :]


def _set_path(node: Any, path: tuple[str, ...], value: Any) -> bool:
    head, rest = path[0], path[1:]
    if isinstance(node, list):
        if head == "*" or head.isdigit():
            items = node if head == "*" else node[int(head) : int(head) + 1]
            return bool(rest) and _set_each(items, rest, value)
        return _set_each(node, path, value)
    if not isinstance(node, dict) or head not in node:
        return False
    if not rest:
        node[head] = value
        return True
    return _set_path(node[head], rest, value)


def _set_each(items: list[Any], path: tuple[str, ...], value: Any) -> bool:
    changed = False
    for item in items:
        changed = _set_path(item, path, value) or changed
    return changed
