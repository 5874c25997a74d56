"""Helpers shared by the /v2 handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
import json
from typing import Any, Protocol

from aiohttp import web

from simulator.context import get_caller, get_expand, json_response, request_origin, simulator_of
from simulator.core import Simulator
from simulator.pagination import paginate
from simulator.problems import ProblemError, not_found, validation_failed
from simulator.render import Expand, Json, Renderer
from simulator.timeutil import iso, parse_iso


class Owned(Protocol):
    """Anything that belongs to a user."""

    @property
    def user_id(self) -> str:
        """Return the owner's ID."""


def sim(request: web.Request) -> Simulator:
    """Return the simulator serving ``request``."""
    return simulator_of(request)


def renderer(request: web.Request) -> Renderer:
    """Return a renderer for this request's origin."""
    return sim(request).renderer(request_origin(request))


def expand(request: web.Request) -> Expand:
    """Return the validated ``expand`` set."""
    return get_expand(request)


def visible[T: Owned](request: web.Request, items: Iterable[T]) -> list[T]:
    """Return the items the caller may see."""
    caller = get_caller(request)
    return [item for item in items if caller.sees(item.user_id)]


def owned[T: Owned](request: web.Request, mapping: Mapping[str, T], key: str, what: str) -> T:
    """Return ``mapping[key]`` if the caller may see it, else raise 404 (also for others')."""
    item = mapping.get(key)
    if item is None or not get_caller(request).sees(item.user_id):
        raise not_found(what)
    return item


def listing[T](
    request: web.Request,
    items: Sequence[T],
    cursor: Callable[[T], str],
    render: Callable[[T], Json],
) -> web.Response:
    """Paginate ``items`` (in API order) and return them with the Link header."""
    page = paginate(request, request_origin(request), items, cursor)
    return json_response([render(item) for item in page.items], link=page.link)


def time_param(request: web.Request, name: str) -> datetime | None:
    """Parse an ISO timestamp query parameter (400 problem when invalid)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise ProblemError(
            400,
            "invalid-parameters",
            "Invalid query parameter",
            f"Invalid value for {name}: {raw}",
            field_errors={name: ["Enter a valid date/time."]},
        ) from None


def bool_param(request: web.Request, name: str) -> bool | None:
    """Parse a boolean query parameter (400 problem when invalid)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    raise ProblemError(
        400,
        "invalid-parameters",
        "Invalid query parameter",
        f"Invalid value for {name}: {raw}",
        field_errors={name: ["Must be a valid boolean."]},
    )


def int_param(request: web.Request, name: str) -> int | None:
    """Parse an integer query parameter (400 problem when invalid)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ProblemError(
            400,
            "invalid-parameters",
            "Invalid query parameter",
            f"Invalid value for {name}: {raw}",
            field_errors={name: ["A valid integer is required."]},
        ) from None


async def json_body(request: web.Request, slug: str) -> dict[str, Any]:
    """Return the JSON object body (400 problem when it is not one)."""
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise validation_failed(slug, {"non_field_errors": ["Invalid JSON body."]}) from None
    if not isinstance(body, dict):
        raise validation_failed(slug, {"non_field_errors": ["Expected a JSON object."]})
    return body


def log_window[T](
    request: web.Request, logs: Sequence[T], sampled_at: Callable[[T], datetime]
) -> list[T]:
    """Return logs newest first, filtered by ``sampled_at__gte`` / ``sampled_at__lte``."""
    since = time_param(request, "sampled_at__gte")
    until = time_param(request, "sampled_at__lte")
    return [
        log
        for log in reversed(logs)
        if (since is None or sampled_at(log) >= since)
        and (until is None or sampled_at(log) <= until)
    ]


def find_log[T](logs: Sequence[T], sampled_at: Callable[[T], datetime], raw: str) -> T:
    """Return the log sampled exactly at ``raw`` (404 otherwise)."""
    try:
        wanted = parse_iso(raw)
    except ValueError:
        raise not_found("status log") from None
    for log in logs:
        if sampled_at(log) == wanted:
            return log
    raise not_found("status log")


def log_cursor(sampled_at: Callable[[Any], datetime]) -> Callable[[Any], str]:
    """Return the timestamp cursor function used by the log endpoints."""
    return lambda log: iso(sampled_at(log))
