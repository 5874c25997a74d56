"""Where each car is, home or away: the newest location log of every car, read on the reader's own cadence.

ev.energy tells whether a car was at the user's home when its position was sampled (``at_home``), never the
position. One request per car reads its newest log (the list is sorted newest first: a page of one). The cars are
the entry's car devices in the device registry, so the reader lists nothing itself: a new car is read once polling
has registered it, and a car removed from the registry is no longer read. At home scale (one car) that is a read
every 15 minutes, 4 requests an hour (every 5 minutes would take the 8 an hour that idle polls every minute, issue
19's freshness, need); a fleet stretches the interval to stay inside ``MAX_PER_HOUR`` (20 cars: every 20 minutes,
60 requests an hour).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .api import EvEnergyError
from .const import LOGGER
from .devices import ev_energy_ids
from .gateway import ReauthRequiredError, RequestBlockedError, RequestGateway
from .runtime import EvEnergyConfigEntry
from .scoped_reader import ScopedReader, ScopeRefusedError

# The reader's name in the budget and in the entry's refused scopes.
READER = "vehicle_location"
SCOPE = "vehicle:read"
HOME_INTERVAL = timedelta(minutes=15)
# At most this many requests an hour, whatever the number of cars (6 % of the default 1000/h limit), and at most
# this part of the budget's share on a smaller limit.
MAX_PER_HOUR = 60.0
BUDGET_SHARE = 0.12
# The spec's pattern of a vehicle's id (vhcl[A-Z\d]{26}): tells the entry's cars among its devices.
VEHICLE_ID_PREFIX = "vhcl"


@dataclass(frozen=True)
class CarLocation:
    """A car's newest location log: home (True), away (False) or no home location set (None)."""

    at_home: bool | None
    sampled_at: datetime | None


@dataclass
class LocationData:
    """The cars read, and what this read learned of each."""

    cars: list[str]
    # Car id -> its newest location log; None when it has none.
    locations: dict[str, CarLocation | None] = field(default_factory=dict)
    # Cars whose location could not be read this time (their trackers show unavailable).
    unreadable: set[str] = field(default_factory=set)


def interval_for(cars: int, cap: float = MAX_PER_HOUR) -> timedelta:
    """Return the read interval that keeps one read of each of ``cars`` cars a cycle inside ``cap`` an hour."""
    return max(HOME_INTERVAL, timedelta(seconds=3600 * cars / cap))


def requests_per_hour(cars: int, cap: float = MAX_PER_HOUR) -> float:
    """Return what the reader spends an hour on ``cars`` cars."""
    return cars * 3600 / interval_for(cars, cap).total_seconds()


def registered_cars(hass: HomeAssistant, entry_id: str) -> list[str]:
    """Return the ev.energy ids of the entry's cars in the device registry."""
    registry = dr.async_get(hass)
    return sorted(
        identifier
        for device in dr.async_entries_for_config_entry(registry, entry_id)
        for identifier in ev_energy_ids(device)
        if identifier.startswith(VEHICLE_ID_PREFIX)
    )


class LocationCoordinator(ScopedReader[LocationData]):
    """Reads whether each car of the account is at home."""

    def __init__(
        self, hass: HomeAssistant, entry: EvEnergyConfigEntry, gateway: RequestGateway
    ) -> None:
        """Set up the reader of one entry."""
        super().__init__(
            hass,
            entry,
            gateway,
            name=READER,
            interval=HOME_INTERVAL,
            per_hour=requests_per_hour(1),
        )

    async def _read(self, now: datetime) -> LocationData:
        data = LocationData(cars=registered_cars(self.hass, self.config_entry.entry_id))
        for vehicle_id in data.cars:
            await self._read_car(vehicle_id, data)
        self._pace(len(data.cars))
        return data

    async def _read_car(self, vehicle_id: str, data: LocationData) -> None:
        """Read one car's newest location log into ``data``; a failure costs only this car's tracker."""
        try:
            log = await self._request(
                SCOPE, partial(self.client.get_latest_vehicle_location_log, vehicle_id)
            )
        except EvEnergyError as err:
            if not _car_only(err):
                raise
            LOGGER.debug("Reading where %s is failed: %s", vehicle_id, err)
            data.unreadable.add(vehicle_id)
            return
        data.locations[vehicle_id] = (
            None if log is None else CarLocation(log.at_home, log.sampled_at)
        )

    def _pace(self, cars: int) -> None:
        """Keep the reads of this many cars inside the reader's cap, and reserve what they cost."""
        cap = self.cap_per_hour(MAX_PER_HOUR, BUDGET_SHARE)
        self._set_pace(interval_for(cars, cap), requests_per_hour(cars, cap))


def _car_only(err: EvEnergyError) -> bool:
    """Return whether an error concerns one car's read only (the next car's read may work).

    A refused sign-in, a 429 or a refused scope stop the whole read: every other car would fail the same way.
    """
    return not isinstance(err, ReauthRequiredError | RequestBlockedError | ScopeRefusedError)
