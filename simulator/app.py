"""The HTTP server: the aiohttp application serving a Simulator, and its start and stop.

The server knows the simulator, never the reverse: the simulator is the world and its services,
the middlewares here (request log, faults, API conventions) and the routes serve it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiohttp import web

from .context import (
    ENDPOINTS,
    SIM_KEY,
    Caller,
    EndpointSpec,
    Handler,
    current_caller,
    request_origin,
    request_scope,
    set_caller,
    set_expand,
    simulator_of,
)
from .core import Simulator, origin_for
from .faults import fault_middleware
from .problems import API_VERSION, ProblemError, not_found
from .ratelimit import RateDecision
from .render import normalize_expand
from .requestlog import RequestRecord
from .routes import ROUTE_TABLES

_LOGGER = logging.getLogger(__name__)
# One line per request (method, path without query, status, duration): the demo's simulator.log.
_REQUEST_LOGGER = logging.getLogger("simulator.requests")


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


def build_app(sim: Simulator, stopping: asyncio.Event) -> web.Application:
    """Create the aiohttp application serving ``sim``; ``stopping`` cuts injected delays short."""
    app = web.Application(
        middlewares=[
            request_log_middleware,
            fault_middleware(sim.faults, stopping, request_origin),
            api_middleware,
        ]
    )
    app[SIM_KEY] = sim
    for table in ROUTE_TABLES:
        app.router.add_routes(table)
    return app


class SimulatorServer:
    """Serves a simulator over HTTP and, with a running clock, keeps its world moving."""

    def __init__(self, sim: Simulator) -> None:
        """Serve ``sim`` once started."""
        self.sim = sim
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        # Set on stop(): injected delays end at once instead of holding the shutdown.
        self._stopping = asyncio.Event()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = a free port); return the origin."""
        self._runner = web.AppRunner(
            build_app(self.sim, self._stopping),
            handle_signals=False,
            shutdown_timeout=1.0,
            access_log=None,
        )
        self._stopping.clear()
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.sim.origin = origin_for(bound_host, bound_port)
        if not self.sim.clock.is_manual:
            self._ticker = asyncio.create_task(self.sim.keep_time())
        return self.sim.origin

    async def stop(self) -> None:
        """Stop serving and the background work, then let the simulator save its world."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.sim.close()
