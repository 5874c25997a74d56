"""A reader beside polling: its own cadence, its requests through the gateway, a refusal (403) raising the repair.

The solar forecast and car location readers share this: each names itself in the budget, sends through the
gateway, and maps the client's errors once. A read the sign-in may not make (a scope the entry was not granted,
such as an entry from before the scope was asked for) is named in the entry's ``refused_scopes``, which the
*missing permission* repair reads; the reader then asks again hourly only, so the refusal costs one request an
hour and one log line, until the user signs in again (the entry reloads) or ev.energy grants it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import EvEnergyError, EvEnergyForbiddenError
from .const import DOMAIN, LOGGER
from .gateway import ReauthRequiredError, RequestBlockedError, RequestGateway, auth_failed
from .runtime import EvEnergyConfigEntry

# A read ev.energy refused (403) is asked again this rarely: the user may grant the scope meanwhile.
REFUSED_RETRY = timedelta(hours=1)


class ScopeRefusedError(EvEnergyError):
    """ev.energy refused a read (403): the sign-in lacks ``scope``."""

    def __init__(self, scope: str) -> None:
        """Name the scope the read needs."""
        super().__init__(f"the sign-in lacks the {scope} permission")
        self.scope = scope


class ScopedReader[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator reading one kind of data on its own cadence; subclasses implement `_read`."""

    config_entry: EvEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        gateway: RequestGateway,
        *,
        name: str,
        interval: timedelta,
    ) -> None:
        """Set up the reader ``name`` (also its name in the budget) of one entry."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {name}", update_interval=interval
        )
        self.reader = name
        self.gateway = gateway
        self.client = gateway.client
        self.interval = interval

    async def _read(self, now: datetime) -> DataT:
        """Read the data (raising the client's errors, `ScopeRefusedError` for a 403)."""
        raise NotImplementedError

    async def _request[R](self, scope: str, send: Callable[[], Awaitable[R]]) -> R:
        """Send one client call through the gateway, counted under the reader's name."""
        try:
            return await self.gateway.request(self.reader, send)
        except EvEnergyForbiddenError as err:
            raise ScopeRefusedError(scope) from err

    async def _async_update_data(self) -> DataT:
        now = dt_util.utcnow()
        if self.data is not None and not self.gateway.budget.can_spend(1, now):
            # The hour's share is spent (a small limit, another app): keep what is held, read at the next turn.
            return self.data
        try:
            data = await self._read(now)
        except ReauthRequiredError as err:
            raise auth_failed() from err
        except ScopeRefusedError as err:
            self._refused(err.scope)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="read_forbidden",
                translation_placeholders={"scope": err.scope},
            ) from err
        except RequestBlockedError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": str(round(err.seconds))},
            ) from err
        except EvEnergyError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._allowed()
        return data

    def cap_per_hour(self, most: float, share: float) -> float:
        """Return the requests an hour the reader may spend: ``share`` of the budget's share, at most ``most``.

        A small limit (another app on the account, a test account) slows the reader down with polling.
        """
        budget = self.gateway.budget
        return min(most, budget.limit * budget.share * share)

    def _refused(self, scope: str) -> None:
        self.config_entry.runtime_data.refused_scopes[self.reader] = scope
        self.update_interval = REFUSED_RETRY

    def _allowed(self) -> None:
        if self.config_entry.runtime_data.refused_scopes.pop(self.reader, None) is not None:
            LOGGER.info("ev.energy lets this sign-in read the %s again", self.reader)
        self.update_interval = self.interval
