"""What a request handler needs: the simulator serving it, the caller, the endpoint's rules.

The server puts the simulator on the application (``SIM_KEY``); handlers reach it here, so they
never import the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .core import Simulator
from .render import NO_EXPAND, Expand

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator", Simulator)
# Per-request state lives in context variables rather than on the request object, so no
# aiohttp request-storage API (str keys vs RequestKey, which varies by version) is needed.
# Each request runs in one task; the outermost middleware resets them (see request_scope).
_CALLER: ContextVar[Caller | None] = ContextVar("evenergy_caller", default=None)
_EXPAND: ContextVar[frozenset[str]] = ContextVar("evenergy_expand", default=frozenset())
# The spec's schedules endpoint asks for this misspelt scope; the proper one also grants it.
SCOPE_ALIASES = {"chargingsession:read": "charging_session:read"}


@dataclass(frozen=True)
class EndpointSpec:
    """What an operation requires: ``scopes`` None means no authentication at all."""

    scopes: tuple[str, ...] | None
    expand: frozenset[str]


ENDPOINTS: dict[object, EndpointSpec] = {}


def endpoint(
    *, scopes: tuple[str, ...] | None = (), expand: Iterable[str] = ()
) -> Callable[[Handler], Handler]:
    """Declare a /v2 handler's scopes (from the spec's ``security``) and allowed expands."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS[handler] = EndpointSpec(scopes, frozenset(expand))
        return handler

    return register


@dataclass(frozen=True)
class Caller:
    """Who is calling: the OAuth client, the token's user and the user acted for."""

    client_id: str | None
    token_user_id: str | None
    acting_user_id: str | None
    scopes: frozenset[str]

    def sees(self, user_id: str) -> bool:
        """Return whether resources of ``user_id`` are visible (client credentials see all)."""
        return self.acting_user_id is None or self.acting_user_id == user_id

    def has_scope(self, scope: str) -> bool:
        """Return whether the token grants ``scope``."""
        return scope in self.scopes or SCOPE_ALIASES.get(scope, "") in self.scopes


ANONYMOUS = Caller(None, None, None, frozenset())


@contextmanager
def request_scope() -> Iterator[None]:
    """Start a request with no caller and no expansions (keep-alive reuses the task)."""
    caller_token = _CALLER.set(None)
    expand_token = _EXPAND.set(NO_EXPAND)
    try:
        yield
    finally:
        _CALLER.reset(caller_token)
        _EXPAND.reset(expand_token)


def set_caller(caller: Caller) -> None:
    """Record who is calling in the current request."""
    _CALLER.set(caller)


def current_caller() -> Caller | None:
    """Return the caller recorded for the current request, if any."""
    return _CALLER.get()


def set_expand(expand: Expand) -> None:
    """Record the validated expansions of the current request."""
    _EXPAND.set(expand)


def get_caller(_request: web.Request) -> Caller:
    """Return the authenticated caller of a /v2 request."""
    return _CALLER.get() or ANONYMOUS


def get_expand(_request: web.Request) -> Expand:
    """Return the validated expansions of a /v2 request."""
    return _EXPAND.get()


def simulator_of(request: web.Request) -> Simulator:
    """Return the simulator serving ``request``."""
    return request.app[SIM_KEY]


def request_origin(request: web.Request) -> str:
    """Return the origin to put in URLs (the bound origin, else what the client used)."""
    return simulator_of(request).origin or f"{request.scheme}://{request.host}"


def json_response(data: Any, *, status: int = 200, link: str | None = None) -> web.Response:
    """Return a JSON response (with a Link header for lists)."""
    response = web.json_response(data, status=status)
    if link is not None:
        response.headers["Link"] = link
    return response
