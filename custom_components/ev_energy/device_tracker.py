"""Where each car is: a tracker per car, home or not home, from ev.energy's ``at_home`` flag.

ev.energy says whether the car was home, never where it is, so the tracker has no coordinates: it is not drawn on
the map, but its state is ``home`` or ``not_home`` like a phone's, for automations and the person and zone logic.
Unknown when the car has no location log or the user set no home location in ev.energy; unavailable when the
read failed or the newest log is older than the car's other values are trusted (`STALE_AFTER`).
"""

from __future__ import annotations

from datetime import timedelta

# The package's own name for it: newer releases deprecate the config_entry module's (removed in 2027.6); 2025.4
# re-exports it without marking it public, hence the ignore there.
from homeassistant.components.device_tracker import TrackerEntity  # type: ignore[attr-defined,unused-ignore]
from homeassistant.const import STATE_HOME, STATE_NOT_HOME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .entity import sampled_within
from .location import CarLocation, LocationCoordinator, LocationData
from .runtime import EvEnergyConfigEntry

# As long as the car's other values: a parked car reports rarely, but a day-old position says nothing of now.
STALE_AFTER = timedelta(hours=12)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add a tracker for every car, now and as cars appear."""
    coordinator = entry.runtime_data.location
    known: set[str] = set()

    @callback
    def add_new() -> None:
        """Add trackers for the cars read (registered devices: the tracker is named after the car)."""
        # None until the reader's first read, which comes after the platforms are set up.
        data: LocationData | None = coordinator.data
        if data is None:
            return
        # A car whose device was removed (it left the account) gets a new tracker if it comes back.
        known.intersection_update(data.cars)
        new = [car for car in data.cars if car not in known]
        known.update(new)
        if new:
            async_add_entities(CarLocationTracker(coordinator, car) for car in new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))


class CarLocationTracker(CoordinatorEntity[LocationCoordinator], TrackerEntity):
    """Whether one car is at home."""

    _attr_has_entity_name = True
    _attr_translation_key = "location"

    def __init__(self, coordinator: LocationCoordinator, vehicle_id: str) -> None:
        """Track one car, on its device."""
        super().__init__(coordinator)
        self.vehicle_id = vehicle_id
        self._attr_unique_id = f"{vehicle_id}_location"
        self._attr_location_name = _location_name(self._location)

    @property
    def device_info(self) -> DeviceInfo:
        """Return the car's device (tracker entities have none by default), registered before the tracker."""
        return DeviceInfo(identifiers={(DOMAIN, self.vehicle_id)})

    @property
    def _location(self) -> CarLocation | None:
        data = self.coordinator.data
        return None if data is None else data.locations.get(self.vehicle_id)

    @property
    def available(self) -> bool:
        """Unavailable when the read failed, the car left the account, or its newest log is stale."""
        data = self.coordinator.data
        if not super().available or data is None or self.vehicle_id not in data.cars:
            return False
        if self.vehicle_id in data.unreadable:
            return False
        location = self._location
        return location is None or sampled_within(location.sampled_at, STALE_AFTER)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._attr_location_name = _location_name(self._location)
        super()._handle_coordinator_update()


def _location_name(location: CarLocation | None) -> str | None:
    """Return the tracker's state: home, not home, or None (unknown)."""
    if location is None or location.at_home is None:
        return None
    return STATE_HOME if location.at_home else STATE_NOT_HOME
