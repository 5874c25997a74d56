"""A reader beside polling: its own cadence, its requests through the gateway, a refusal (403) raising the repair.

Live power, the carbon forecast, the solar forecast, the cars' locations and the tariff share this: each names
itself in the budget, waits while the hour's share has no room, sends through the gateway, and maps the client's
errors once. A read the sign-in may not make (a scope the entry was not granted, such as an entry from before the
scope was asked for) is named in the entry's ``refused_scopes``, which the *missing permission* repair reads; the
reader then asks again only every ``refused_retry`` (hourly unless the reader says otherwise) and keeps only that
in the budget, so the refusal costs one request a retry and one log line, until the user signs in again (the entry
reloads) or ev.energy grants it.
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
HOUR = timedelta(hours=1)


class ScopeRefusedError(EvEnergyError):
    """ev.energy refused a read (403): the sign-in lacks ``scope``."""

    def __init__(self, scope: str) -> None:
        """Name the scope the read needs."""
        super().__init__(f"the sign-in lacks the {scope} permission")
        self.scope = scope


def read_failed(err: EvEnergyError) -> UpdateFailed:
    """Return the update failure of a read that failed (other than by a refused sign-in or scope)."""
    if isinstance(err, RequestBlockedError):
        return _failed("rate_limited", seconds=str(round(err.seconds)))
    return _failed("update_failed", error=str(err))


class ScopedReader[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator reading one kind of data on its own cadence; subclasses implement `_read`."""

    config_entry: EvEnergyConfigEntry
    # After a refusal the reader asks again this rarely.
    refused_retry: timedelta = REFUSED_RETRY
    # After a failed read, or one the budget had no room for, the reader reads again this soon (None: at its pace).
    failed_retry: timedelta | None = None

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        gateway: RequestGateway,
        *,
        name: str,
        interval: timedelta,
        per_hour: float = 0.0,
    ) -> None:
        """Set up the reader ``name`` (also its name in the budget) of one entry, reading every ``interval``."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {name}", update_interval=interval
        )
        self.reader = name
        self.gateway = gateway
        self.client = gateway.client
        self.interval = interval
        self.per_hour = per_hour
        gateway.budget.reserve(name, per_hour)

    @property
    def refused_scope(self) -> str | None:
        """Return the scope ev.energy refused at the reader's last read (None when it read)."""
        return self.config_entry.runtime_data.refused_scopes.get(self.reader)

    async def _read(self, now: datetime) -> DataT:
        """Read the data (raising the client's errors, `ScopeRefusedError` for a 403)."""
        raise NotImplementedError

    def _read_cost(self) -> int:
        """Return the requests the next read sends, for the budget's room (one unless the reader says)."""
        return 1

    def _failed(self, err: EvEnergyError, now: datetime) -> DataT:
        """Return what stands after a failed read, or raise: by default the read fails.

        A reader whose data stays true for a while (readings, a forecast) returns what it holds meanwhile, so its
        entities stay and an outage the polling already reports is not logged again.
        """
        raise read_failed(err)

    async def _request[R](self, scope: str, send: Callable[[], Awaitable[R]]) -> R:
        """Send one client call through the gateway, counted under the reader's name."""
        try:
            return await self.gateway.request(self.reader, send)
        except EvEnergyForbiddenError as err:
            raise ScopeRefusedError(scope) from err

    def _set_pace(self, interval: timedelta, per_hour: float) -> None:
        """Read every ``interval`` once this read works, keeping ``per_hour`` requests of the budget for it.

        Called during a read: a refusal after it keeps only the retries in the budget.
        """
        self.interval = interval
        self.per_hour = per_hour
        self.gateway.budget.reserve(self.reader, per_hour)

    async def _async_update_data(self) -> DataT:
        now = dt_util.utcnow()
        if self.data is not None and not self.gateway.budget.can_spend(self._read_cost(), now):
            # The hour's share is spent (a small limit, another app): keep what is held, read at the next turn.
            self._retry_soon()
            return self.data
        try:
            data = await self._read(now)
        except ReauthRequiredError as err:
            raise auth_failed() from err
        except ScopeRefusedError as err:
            self._refused(err.scope)
            raise _failed("read_forbidden", scope=err.scope) from err
        except EvEnergyError as err:
            self._retry_soon(err)
            return self._failed(err, now)
        self._allowed()
        return data

    def cap_per_hour(self, most: float, share: float) -> float:
        """Return the requests an hour the reader may spend: ``share`` of the budget's share, at most ``most``.

        A small limit (another app on the account, a test account) slows the reader down with polling.
        """
        budget = self.gateway.budget
        return min(most, budget.limit * budget.share * share)

    def _retry_soon(self, err: EvEnergyError | None = None) -> None:
        if self.failed_retry is None:
            return
        wait = self.failed_retry
        if isinstance(err, RequestBlockedError):
            wait = max(wait, timedelta(seconds=err.seconds))
        self.update_interval = wait

    def _refused(self, scope: str) -> None:
        self.config_entry.runtime_data.refused_scopes[self.reader] = scope
        self.update_interval = self.refused_retry
        # Until the user grants the scope the reader sends one request a retry: polling may have the rest.
        self.gateway.budget.reserve(self.reader, HOUR / self.refused_retry)

    def _allowed(self) -> None:
        if self.config_entry.runtime_data.refused_scopes.pop(self.reader, None) is not None:
            LOGGER.info("ev.energy lets this sign-in read the %s again", self.reader)
        self.update_interval = self.interval
        self.gateway.budget.reserve(self.reader, self.per_hour)


def _failed(key: str, **placeholders: str) -> UpdateFailed:
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
