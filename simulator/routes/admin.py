"""``/_admin``: JSON controls for faults, time, tokens, webhooks and counters (loopback only)."""

from __future__ import annotations

from dataclasses import asdict
import ipaddress
import json
from typing import Any

from aiohttp import web

from simulator.app import simulator_of
from simulator.timeutil import iso

routes = web.RouteTableDef()
FAULTS = {
    "server_errors",
    "delay",
    "timeout",
    "malformed_json",
    "html_error",
    "rate_limit_now",
    "revoke_tokens",
    "null_field",
    "unknown_enum",
    "bad_value",
    "endless_pagination",
    "foreign_next_link",
    "malformed_next_link",
    "device_unreachable",
    "add_evse",
    "remove_evse",
    "add_vehicle",
    "remove_vehicle",
    "clear",
}


def _loopback_only(request: web.Request) -> None:
    try:
        loopback = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise web.HTTPForbidden(text="The admin endpoint only answers loopback clients.")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="Expected a JSON object.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="Expected a JSON object.")
    return body


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return iso(value)
    return value


@routes.get("/_admin/state")
async def state(request: web.Request) -> web.Response:
    """Summarise the world."""
    _loopback_only(request)
    return web.json_response(simulator_of(request).describe())


@routes.post("/_admin/faults/{name}")
async def fault(request: web.Request) -> web.Response:
    """Call ``sim.faults.<name>(**body)``."""
    _loopback_only(request)
    name = request.match_info["name"]
    if name not in FAULTS:
        raise web.HTTPNotFound(text=f"Unknown fault {name!r}; choose from {sorted(FAULTS)}")
    method = getattr(simulator_of(request).faults, name)
    try:
        result = method(**await _body(request))
    except (TypeError, KeyError, ValueError) as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response({"ok": True, "result": _jsonable(result)})


@routes.post("/_admin/clock/advance")
async def advance(request: web.Request) -> web.Response:
    """Move simulated time forward by ``{"seconds": N}``."""
    _loopback_only(request)
    sim = simulator_of(request)
    body = await _body(request)
    try:
        sim.clock.advance(float(body.get("seconds", 0)))
    except (TypeError, ValueError) as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response({"now": iso(sim.clock.now())})


@routes.post("/_admin/tokens")
async def tokens(request: web.Request) -> web.Response:
    """Issue a token without the OAuth dance (``user_id``, ``client_id``, ``scopes``, ``expires_in``)."""
    _loopback_only(request)
    sim = simulator_of(request)
    body = await _body(request)
    scopes = body.get("scopes")
    pair = sim.issue_token(
        user_id=body.get("user_id"),
        client_id=body.get("client_id", "ha-test-client"),
        scopes=scopes.split() if isinstance(scopes, str) else scopes,
        expires_in=body.get("expires_in"),
    )
    return web.json_response(_jsonable(pair))


@routes.post("/_admin/webhooks")
async def register_webhook(request: web.Request) -> web.Response:
    """Register a webhook endpoint ``{"url": ...}``; return its secret."""
    _loopback_only(request)
    body = await _body(request)
    if not isinstance(body.get("url"), str):
        raise web.HTTPBadRequest(text="url is required")
    return web.json_response({"secret": simulator_of(request).register_webhook(body["url"])})


@routes.post("/_admin/webhooks/deliver")
async def deliver_webhooks(request: web.Request) -> web.Response:
    """Deliver due webhook messages now."""
    _loopback_only(request)
    delivered = await simulator_of(request).webhooks.deliver_pending()
    return web.json_response({"delivered": delivered})


@routes.get("/_admin/requests")
async def requests_log(request: web.Request) -> web.Response:
    """Return the last ``limit`` (default 100) requests."""
    _loopback_only(request)
    limit = int(request.query.get("limit", "100"))
    entries = simulator_of(request).requests[-limit:] if limit > 0 else []
    return web.json_response(
        [{**_jsonable(entry), "endpoint": entry.endpoint} for entry in entries]
    )


@routes.get("/_admin/counters")
async def counters(request: web.Request) -> web.Response:
    """Return request counters."""
    _loopback_only(request)
    return web.json_response(simulator_of(request).counters.as_dict())


@routes.delete("/_admin/requests")
async def reset_requests(request: web.Request) -> web.Response:
    """Forget the request log and counters."""
    _loopback_only(request)
    simulator_of(request).requests.reset()
    return web.json_response({"ok": True})


@routes.post("/_admin/rate_limit")
async def rate_limit(request: web.Request) -> web.Response:
    """Change the limit (``{"limit": N}``) and/or reset budgets (``{"reset": true}``)."""
    _loopback_only(request)
    limiter = simulator_of(request).rate_limiter
    body = await _body(request)
    if "limit" in body:
        limiter.limit = int(body["limit"])
    if body.get("reset"):
        limiter.reset()
    return web.json_response({"limit": limiter.limit})
