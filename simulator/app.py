"""The aiohttp application: middlewares for the request log, faults and API conventions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from .context import (
    ENDPOINTS,
    Caller,
    EndpointSpec,
    Handler,
    current_caller,
    request_scope,
    set_caller,
    set_expand,
)
from .faults import BurstFault, apply_field_faults
from .pagination import link_header
from .problems import ProblemError, not_found
from .ratelimit import RateDecision
from .render import normalize_expand
from .requestlog import RequestRecord

if TYPE_CHECKING:
    from .core import Simulator

SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator")
_LOGGER = logging.getLogger(__name__)
# One line per request (method, path without query, status, duration): the demo's simulator.log.
_REQUEST_LOGGER = logging.getLogger("simulator.requests")
API_VERSION = "2"
_UNFAULTED_PREFIXES = ("/_admin", "/_portal")
_HTML_ERROR = (
    "<html><head><title>{status} {reason}</title></head><body>"
    "<center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>"
)


def simulator_of(request: web.Request) -> Simulator:
    """Return the simulator serving ``request``."""
    return request.app[SIM_KEY]


def request_origin(request: web.Request) -> str:
    """Return the origin to put in URLs (the bound origin, else what the client used)."""
    return simulator_of(request).origin or f"{request.scheme}://{request.host}"


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


# ------------------------------------------------------------ request log
@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record every request (except admin calls) with its outcome."""
    started = time.perf_counter()
    status = 500
    with request_scope():
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            duration = time.perf_counter() - started
            if not request.path.startswith("/_admin"):
                _record(request, status, duration)
            _REQUEST_LOGGER.info(
                "%s %s %s %.0f ms", request.method, request.path, status, duration * 1000
            )
    return response


def _record(request: web.Request, status: int, duration: float) -> None:
    sim = simulator_of(request)
    caller = current_caller()
    query: dict[str, list[str]] = {}
    for key, value in request.query.items():
        query.setdefault(key, []).append(value)
    sim.requests.record(
        RequestRecord(
            method=request.method,
            path=request.path,
            route=_route_template(request),
            query=query,
            client_id=caller.client_id if caller else None,
            user_id=caller.acting_user_id if caller else None,
            status=status,
            time=sim.clock.now(),
            duration_seconds=duration,
        )
    )


# ------------------------------------------------------------------ faults
@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the injected faults around the real handler."""
    if request.path.startswith(_UNFAULTED_PREFIXES):
        return await handler(request)
    sim = simulator_of(request)
    state = sim.faults.state
    delay = state.take({"delay"}, request.path)
    if delay is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sim.stopping.wait(), delay.seconds)
    replacement = state.take({"server_error", "html_error", "rate_limit"}, request.path)
    if replacement is not None:
        return _fault_response(request, replacement)
    malformed = state.take({"malformed_json"}, request.path)
    response = await handler(request)
    if not isinstance(response, web.Response):  # pragma: no cover - we never stream
        return response
    if request.path.startswith("/v2"):
        _rewrite_json(request, response, sim)
        _endless_link(request, response, sim)
    if malformed is not None and isinstance(response.body, bytes):
        response.body = response.body[: max(1, len(response.body) // 2)]
    return response


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


def _rewrite_json(request: web.Request, response: web.Response, sim: Simulator) -> None:
    faults = sim.faults.state.fields
    if not faults or response.content_type != "application/json":
        return
    if not isinstance(response.body, bytes):  # pragma: no cover - we only send bytes
        return
    body = json.loads(response.body)
    segments = [s for s in request.path.split("/")[2:] if s]
    if apply_field_faults(faults, segments, body):
        response.body = json.dumps(body).encode()


def _endless_link(request: web.Request, response: web.Response, sim: Simulator) -> None:
    if "Link" not in response.headers:
        return
    for rule in sim.faults.state.endless:
        if request.path.startswith(rule.path_prefix):
            page = int(request.query.get("endless_page", "0") or 0)
            url = URL(request_origin(request) + request.path)
            kept = [(k, v) for k, v in request.query.items() if k != "endless_page"]
            if rule.loop and page >= 1:
                next_url = url.with_query(kept)
            else:
                next_url = url.with_query([*kept, ("endless_page", str(page + 1))])
            response.headers["Link"] = link_header(None, str(next_url))
            return


# --------------------------------------------------------------------- api
@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Enforce /v2 conventions: auth, rate limit, version, scopes, expand, problems."""
    if not request.path.startswith("/v2"):
        return await handler(request)
    sim = simulator_of(request)
    sim.catch_up()
    headers = {"EvEnergy-Version": API_VERSION}
    try:
        response = await _serve_api(request, handler, sim, headers)
    except ProblemError as problem:
        response = problem.response(str(request.url))
    except Exception:  # a bug must still look like the API's 500, not an HTML page
        _LOGGER.exception("Simulator error serving %s %s", request.method, request.path)
        response = ProblemError(
            500, "server-error", "Server Error", "The server encountered an unexpected condition."
        ).response(str(request.url))
    response.headers.update(headers)
    return response


async def _serve_api(
    request: web.Request, handler: Handler, sim: Simulator, headers: dict[str, str]
) -> web.StreamResponse:
    spec = ENDPOINTS.get(request.match_info.handler)
    # Until the caller is known (e.g. a 401), report the anonymous budget.
    headers["x-ratelimit-limit"] = str(sim.rate_limiter.limit)
    headers["x-ratelimit-remaining"] = str(sim.rate_limiter.remaining("anonymous", None))
    caller = _authenticate(request, sim, spec)
    decision = _count(sim, caller)
    headers["x-ratelimit-limit"] = str(decision.limit)
    headers["x-ratelimit-remaining"] = str(decision.remaining)
    if not decision.allowed:
        raise ProblemError(
            429,
            "rate-limit-exceeded",
            "Too Many Requests",
            f"Request was rate limited. Try again in {decision.retry_after_seconds} seconds",
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )
    _check_version(request)
    if spec is None:
        return await _route_problem(request, handler)
    _check_scopes(caller, spec)
    set_expand(_parse_expand(request, spec))
    return await handler(request)


async def _route_problem(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn the router's own 404/405 into problems (the router raises them when called)."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed:
        raise ProblemError(
            405,
            "method-not-allowed",
            "Method Not Allowed",
            f'Method "{request.method}" not allowed.',
        ) from None
    except web.HTTPException:
        raise not_found() from None


def _authenticate(request: web.Request, sim: Simulator, spec: EndpointSpec | None) -> Caller | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    record = sim.oauth.validate(token.strip()) if scheme.lower() == "bearer" else None
    if record is None:
        if spec is not None and spec.scopes is None:
            return None
        detail = (
            "Authentication credentials were not provided."
            if not header
            else "Invalid or expired token."
        )
        raise ProblemError(
            401,
            "not-authenticated",
            "Unauthorized",
            detail,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    acting = record.user_id
    if acting is None and "EvEnergy-User" in request.headers:
        acting = request.headers["EvEnergy-User"].strip().rstrip("/").rsplit("/", 1)[-1]
        if acting not in sim.state.users:
            raise ProblemError(
                400,
                "invalid-user-header",
                "Invalid EvEnergy-User header",
                "The EvEnergy-User header does not name a user of this application.",
            )
    caller = Caller(record.client_id, record.user_id, acting, record.scopes)
    set_caller(caller)
    return caller


def _count(sim: Simulator, caller: Caller | None) -> RateDecision:
    if caller is None or caller.client_id is None:
        return sim.rate_limiter.hit("anonymous", None)
    return sim.rate_limiter.hit(caller.client_id, caller.token_user_id)


def _check_version(request: web.Request) -> None:
    requested = request.headers.get("EvEnergy-Version")
    if requested is None:
        return
    try:
        supported = float(requested) == float(API_VERSION)
    except ValueError:
        supported = False
    if not supported:
        raise ProblemError(
            400,
            "pagination-parameters",
            "Unsupported version",
            f"Unsupported version requested: {requested}",
        )


def _check_scopes(caller: Caller | None, spec: EndpointSpec) -> None:
    if spec.scopes is None or caller is None:
        return
    missing = [scope for scope in spec.scopes if not caller.has_scope(scope)]
    if missing:
        raise ProblemError(
            403,
            "permission-denied",
            "Forbidden",
            "You do not have permission to perform this action. Missing scope: "
            + " ".join(missing),
        )


def _parse_expand(request: web.Request, spec: EndpointSpec) -> frozenset[str]:
    expand = normalize_expand(request.query.getall("expand", []))
    unknown = sorted(expand - spec.expand)
    if unknown:
        raise ProblemError(
            400,
            "invalid-expand",
            "Invalid expand parameter",
            "These fields cannot be expanded here: " + ", ".join(unknown),
            field_errors={"expand": [f"Invalid value: {name}" for name in unknown]},
        )
    return expand


def json_response(data: Any, *, status: int = 200, link: str | None = None) -> web.Response:
    """Return a JSON response (with a Link header for lists)."""
    response = web.json_response(data, status=status)
    if link is not None:
        response.headers["Link"] = link
    return response


def build_app(sim: Simulator) -> web.Application:
    """Create the aiohttp application serving ``sim``."""
    from .routes import ROUTE_TABLES

    app = web.Application(middlewares=[request_log_middleware, fault_middleware, api_middleware])
    app[SIM_KEY] = sim
    for table in ROUTE_TABLES:
        app.router.add_routes(table)
    return app
