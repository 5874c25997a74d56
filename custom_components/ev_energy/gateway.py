"""The one way to ev.energy: every request of an entry goes through its gateway.

Polls, the readers, commands, actions, repairs and the options flow all send through `RequestGateway.request`,
which:
- counts each request once, under the caller's name, in the entry's `RequestBudget` (the client tells the gateway
  as it sends each request; the caller's name travels in a context variable, so readers running side by side never
  count each other's requests);
- sends nothing while ev.energy asked to wait (a 429, whoever met it) and blocks everyone after a 429;
- owns the token state: one refresh at a time, a 401 gets one refresh and one retry, and once ev.energy refused
  the sign-in nothing more is sent with that token and re-authentication starts once.

The functions at the end are the one mapping from the client's errors to Home Assistant's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.util import dt as dt_util

from .api import (
    AbstractAuth,
    EvEnergyAuthError,
    EvEnergyBadRequestError,
    EvEnergyClient,
    EvEnergyError,
    EvEnergyRateLimitError,
)
from .budget import RequestBudget
from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .auth import ConfigEntryAuth

# The callers' names in the budget, beside the readers' (polling, sessions, home energy name themselves).
COMMAND = "command"
ACTION = "action"
REPAIR = "repair"
CONFIG_FLOW = "config_flow"
# A request sent outside `RequestGateway.request` is still counted, under this name.
UNNAMED = "unnamed"

_caller: ContextVar[str | None] = ContextVar("ev_energy_caller", default=None)


class ReauthRequiredError(EvEnergyAuthError):
    """ev.energy refused the sign-in: nothing more is sent until the user signs in again."""


class RequestBlockedError(EvEnergyRateLimitError):
    """ev.energy asked to wait (a 429, met by this caller or another): nothing is sent until then."""

    def __init__(self, seconds: float) -> None:
        """Say how long the wait still is."""
        super().__init__(f"rate limited for {round(seconds)} s", retry_after=seconds)
        self.seconds = seconds


class TokenState(AbstractAuth):
    """The entry's access token as every request gets it: one refresh at a time, none after a refusal.

    A refresh ev.energy refused (``invalid_grant``) leaves the refresh token dead: sending it again, or a
    request with the old access token, can only fail, so every later request stops here.
    """

    def __init__(self, auth: ConfigEntryAuth, on_refused: Callable[[], None]) -> None:
        """Wrap the entry's OAuth session; ``on_refused`` runs once, at the first refusal."""
        self._auth = auth
        self._on_refused = on_refused
        self._lock = asyncio.Lock()
        self.refused = False
        # Counts the refreshes after a 401: a caller whose 401 came before another's refresh only retries.
        self.generation = 0

    async def async_get_access_token(self) -> str:
        """Return a valid access token (refreshed when it expired)."""
        async with self._lock:
            self._raise_if_refused()
            return await self._guarded(self._auth.async_get_access_token())

    async def async_refresh_after_401(self, generation: int) -> None:
        """Refresh a token ev.energy refused, unless another caller did since ``generation``."""
        async with self._lock:
            self._raise_if_refused()
            if generation == self.generation:
                await self._guarded(self._auth.async_force_refresh())
                self.generation += 1

    def refuse(self) -> ReauthRequiredError:
        """Take the sign-in as refused (once); return the error to raise."""
        if not self.refused:
            self.refused = True
            LOGGER.warning("ev.energy refused the sign-in; nothing is sent until you sign in again")
            self._on_refused()
        return ReauthRequiredError("ev.energy refused the sign-in")

    def _raise_if_refused(self) -> None:
        if self.refused:
            raise ReauthRequiredError("ev.energy refused the sign-in")

    async def _guarded[T](self, token_call: Awaitable[T]) -> T:
        try:
            return await token_call
        except ConfigEntryAuthFailed as err:
            raise self.refuse() from err


class RequestGateway:
    """Sends an entry's requests: inside its budget, with its token state."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        session: aiohttp.ClientSession,
        auth: ConfigEntryAuth,
        *,
        base_url: str,
        budget: RequestBudget | None = None,
    ) -> None:
        """Build the entry's client behind the gateway."""
        self.budget = budget or RequestBudget()
        self.tokens = TokenState(auth, lambda: entry.async_start_reauth(hass))
        self.client = EvEnergyClient(
            session,
            self.tokens,
            base_url=base_url,
            on_request=self._count,
        )

    async def request[T](self, caller: str, send: Callable[[], Awaitable[T]]) -> T:
        """Send one client call (a list walk, a write) for ``caller``; a 401 gets one refresh and one retry.

        Raises `ReauthRequiredError` once the sign-in was refused and `RequestBlockedError` during a 429's wait
        (both before sending anything), and the client's other errors as they are.
        """
        self._raise_unless_free()
        name = _caller.set(caller)
        try:
            return await self._with_one_refresh(send)
        except EvEnergyRateLimitError as err:
            # One bucket for the whole account: every caller waits, across a restart too (the budget's on_block).
            now = dt_util.utcnow()
            self.budget.rate_limited(err.retry_after, now)
            raise RequestBlockedError(self.budget.seconds_blocked(now)) from err
        finally:
            _caller.reset(name)

    def count_as(self, caller: str) -> Callable[[], None]:
        """Return an ``on_request`` hook counting a separate client's requests (the options flow's) here."""
        return lambda: self.budget.record_request(dt_util.utcnow(), caller)

    async def _with_one_refresh[T](self, send: Callable[[], Awaitable[T]]) -> T:
        generation = self.tokens.generation
        try:
            return await send()
        except ReauthRequiredError:
            raise
        except EvEnergyAuthError:
            await self.tokens.async_refresh_after_401(generation)
        try:
            return await send()
        except EvEnergyAuthError as err:
            # Refused even with a fresh token (or meanwhile, by another caller): only signing in again helps.
            raise self.tokens.refuse() from err

    def _raise_unless_free(self) -> None:
        if self.tokens.refused:
            raise ReauthRequiredError("ev.energy refused the sign-in")
        if blocked := self.budget.seconds_blocked(dt_util.utcnow()):
            raise RequestBlockedError(blocked)

    def _count(self) -> None:
        self.budget.record_request(dt_util.utcnow(), _caller.get() or UNNAMED)


def auth_failed() -> ConfigEntryAuthFailed:
    """Return what a coordinator raises once the sign-in was refused (Home Assistant starts re-authentication)."""
    return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="token_refused")


def user_error(
    err: EvEnergyError,
    failed: str,
    *,
    refusals: Mapping[type[EvEnergyError], str] | None = None,
    placeholders: Mapping[str, str] | None = None,
) -> HomeAssistantError:
    """Return the translated error a command or an action raises for a client error.

    ``refusals`` names the key of each refusal the caller tells apart (a 409, a 503, ...); ``failed`` is the key
    of everything else. A rejected request (400) is the user's to fix: a validation error. Every key gets the
    error's text as ``{error}``, with ``placeholders`` beside it.
    """
    filled = {"error": str(err), **(placeholders or {})}
    if isinstance(err, RequestBlockedError):
        return _translated(HomeAssistantError, "rate_limited", {"seconds": str(round(err.seconds))})
    key = next(
        (key for kind, key in (refusals or {}).items() if isinstance(err, kind)),
        "token_refused" if isinstance(err, ReauthRequiredError) else failed,
    )
    kind = (
        ServiceValidationError if isinstance(err, EvEnergyBadRequestError) else HomeAssistantError
    )
    return _translated(kind, key, filled)


def _translated(
    kind: type[HomeAssistantError], key: str, placeholders: dict[str, str]
) -> HomeAssistantError:
    return kind(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
