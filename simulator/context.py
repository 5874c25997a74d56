"""Per-endpoint requirements (scopes, allowed expands) and the per-request caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import cast

from aiohttp import web

from .render import NO_EXPAND, Expand

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CALLER_KEY = "evenergy.caller"
EXPAND_KEY = "evenergy.expand"
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


def get_caller(request: web.Request) -> Caller:
    """Return the authenticated caller of a /v2 request."""
    return cast("Caller", request.get(CALLER_KEY, ANONYMOUS))


def get_expand(request: web.Request) -> Expand:
    """Return the validated expansions of a /v2 request."""
    return cast("Expand", request.get(EXPAND_KEY, NO_EXPAND))
