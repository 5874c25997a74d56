"""Base entity and device helpers for ev.energy."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .coordinator import EvEnergyCoordinator
from .devices import registered_device
from .kinds import KINDS, AnyKind, Device, DeviceKind, Sample

# ev.energy suggests treating a charger as offline after 15 minutes without a sample.
ONLINE_WITHIN = timedelta(minutes=15)
# Clocks differ a little; a sample dated further ahead is wrong, and describes nothing yet.
FUTURE_TOLERANCE = timedelta(minutes=2)


def sampled_within(sampled_at: datetime | None, window: timedelta) -> bool:
    """Return whether a sample time lies in the last ``window`` (and not in the future)."""
    if sampled_at is None:
        return False
    now = dt_util.utcnow()
    return now - window < sampled_at <= now + FUTURE_TOLERANCE


class ImplausibleValueError(ValueError):
    """A value the API sent that cannot be physically true (a battery at 150 %)."""


def within[N: (int, float)](value: N | None, low: N, high: N) -> N | None:
    """Return the value if it is physically possible, None when missing; raise when impossible."""
    if value is not None and not low <= value <= high:
        raise ImplausibleValueError(f"{value} is outside {low}..{high}")
    return value


def from_sample[DeviceT, SampleT, ValueT](
    read: Callable[[SampleT], ValueT],
) -> Callable[[DeviceT, SampleT | None], ValueT | None]:
    """Read a value from the device's latest sample (None while there is no sample)."""
    return lambda _device, sample: None if sample is None else read(sample)


@dataclass(frozen=True, kw_only=True)
class EvEnergyEntityDescription(EntityDescription):
    """What every ev.energy device entity description has."""

    # False for values describing the device rather than its latest sample (lock mode, last sample time).
    needs_fresh_sample: bool = True
    # Measurements the API left out make the entity unavailable; enums and timestamps show unknown.
    unavailable_when_none: bool = True


def enum_state(value: Enum | str | None) -> str | None:
    """Return an enum member as an entity state; unknown values (ours or the API's) become unknown."""
    if not isinstance(value, Enum) or value.name == "UNKNOWN":
        return None
    return value.name.lower()


def enum_options(enum: type[StrEnum]) -> list[str]:
    """Return the states an enum sensor can take."""
    return [member.name.lower() for member in enum if member.name != "UNKNOWN"]


def device_info[DeviceT: Device, SampleT: Sample](
    kind: DeviceKind[DeviceT, SampleT], device: DeviceT
) -> DeviceInfo:
    """Return the registry entry of a device of this kind."""
    return kind.device_info(device)


class EvEnergyEntity[DeviceT: Device, SampleT: Sample](CoordinatorEntity[EvEnergyCoordinator]):
    """An entity of one ev.energy device."""

    _attr_has_entity_name = True
    entity_description: EvEnergyEntityDescription
    _cancel_freshness_check: CALLBACK_TYPE | None = None

    def __init__(
        self,
        coordinator: EvEnergyCoordinator,
        kind: DeviceKind[DeviceT, SampleT],
        device: DeviceT,
        description: EvEnergyEntityDescription,
    ) -> None:
        """Bind the entity to its device."""
        super().__init__(coordinator)
        self.kind = kind
        self.device_id = device.id
        self.entity_description = description
        self._attr_unique_id = f"{device.id}_{description.key}"
        self._attr_device_info = device_info(kind, device)
        self._implausible_logged = False

    @property
    def device(self) -> DeviceT | None:
        """Return the device as last polled, or None when it left the account."""
        return self.coordinator.data.of(self.kind).get(self.device_id)

    @property
    def sample(self) -> SampleT | None:
        """Return the device's latest status log."""
        device = self.device
        return None if device is None else self.kind.latest_sample(device)

    def read[ValueT](self, read: Callable[[DeviceT, SampleT | None], ValueT]) -> ValueT | None:
        """Return a value of the device, or None when it cannot be true or cannot be computed.

        A bad value makes only this entity unknown or unavailable; raising here would happen inside the
        coordinator's listener and freeze the entities after this one. Logged once until the value is good.
        """
        device = self.device
        if device is None:
            return None
        try:
            value = read(device, self.sample)
        except (ArithmeticError, ValueError) as err:
            if not self._implausible_logged:
                self._implausible_logged = True
                LOGGER.warning("%s: ignoring a value ev.energy sent (%s)", self.entity_id, err)
            return None
        self._implausible_logged = False
        return value

    def sample_is_fresh(self) -> bool:
        """Return whether the latest sample is recent enough to describe the device."""
        return sampled_within(self._sampled_at(), self.kind.stale_after)

    def _sampled_at(self) -> datetime | None:
        sample = self.sample
        return None if sample is None else sample.sampled_at

    async def async_added_to_hass(self) -> None:
        """Also re-check freshness when the sample ages, even while no poll runs (a 429, an outage)."""
        await super().async_added_to_hass()
        self.async_on_remove(self._cancel_freshness_timer)
        self._schedule_freshness_check()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._schedule_freshness_check()
        super()._handle_coordinator_update()

    @callback
    def _schedule_freshness_check(self) -> None:
        """Write the state again at the next moment the sample's freshness changes."""
        self._cancel_freshness_timer()
        if (sampled_at := self._sampled_at()) is None:
            return
        now = dt_util.utcnow()
        moments = (
            sampled_at - FUTURE_TOLERANCE,
            sampled_at + ONLINE_WITHIN,
            sampled_at + self.kind.stale_after,
        )
        if upcoming := [moment for moment in moments if moment > now]:
            self._cancel_freshness_check = async_track_point_in_utc_time(
                self.hass, self._freshness_changed, min(upcoming)
            )

    @callback
    def _freshness_changed(self, _now: datetime) -> None:
        self._cancel_freshness_check = None
        self._schedule_freshness_check()
        self.async_write_ha_state()

    @callback
    def _cancel_freshness_timer(self) -> None:
        if self._cancel_freshness_check is not None:
            self._cancel_freshness_check()
            self._cancel_freshness_check = None

    @property
    def available(self) -> bool:
        """Unavailable when the poll failed, the device is gone, or its data is stale."""
        if not super().available or self.device is None:
            return False
        return not self.entity_description.needs_fresh_sample or self.sample_is_fresh()


@dataclass(frozen=True)
class DeviceEntities[DeviceT: Device, SampleT: Sample]:
    """How to build the entities of one kind of device."""

    kind: DeviceKind[DeviceT, SampleT]
    build: Callable[[EvEnergyCoordinator, DeviceT], Iterable[Entity]]

    def new_entities(
        self,
        coordinator: EvEnergyCoordinator,
        known: set[str],
        registered: Callable[[str], bool],
    ) -> list[Entity]:
        """Return the entities of devices not in ``known``, and add them to it.

        A device missing from a poll keeps its entities; one removed from the device registry gets new ones
        when it comes back.
        """
        devices = coordinator.data.of(self.kind)
        known.intersection_update(
            {device_id for device_id in known if device_id in devices or registered(device_id)}
        )
        entities: list[Entity] = []
        for device_id in devices.keys() - known:
            known.add(device_id)
            entities.extend(self.build(coordinator, devices[device_id]))
        return entities


type AnyDeviceEntities = DeviceEntities[Any, Any]
type KindEntities = Callable[[EvEnergyCoordinator, AnyKind, Any], Iterable[Entity]]


def for_every_kind(
    has_entities: Container[AnyKind], build: KindEntities
) -> list[AnyDeviceEntities]:
    """Return the entity factories of a platform for every kind it describes, in the registry's order."""
    return [DeviceEntities(kind, _bound(kind, build)) for kind in KINDS if kind in has_entities]


def _bound(
    kind: AnyKind, build: KindEntities
) -> Callable[[EvEnergyCoordinator, Any], Iterable[Entity]]:
    return lambda coordinator, device: build(coordinator, kind, device)


def add_entities_as_devices_appear(
    coordinator: EvEnergyCoordinator,
    add_entities: Callable[[list[Entity]], None],
    factories: Sequence[AnyDeviceEntities],
) -> Callable[[], None]:
    """Add a device's entities on setup and whenever a poll finds a new device, without a reload.

    A device missing from a poll keeps its entities (unavailable); only one removed from the device registry
    gets new entities when it comes back. Returns the listener's remover, for ``entry.async_on_unload``.
    """
    known: dict[str, set[str]] = {factory.kind.collection: set() for factory in factories}
    entry_id = coordinator.config_entry.entry_id

    def registered(device_id: str) -> bool:
        return registered_device(coordinator.hass, entry_id, device_id) is not None

    def add_new() -> None:
        entities: list[Entity] = []
        for factory in factories:
            entities.extend(
                factory.new_entities(coordinator, known[factory.kind.collection], registered)
            )
        if entities:
            add_entities(entities)

    add_new()
    return coordinator.async_add_listener(add_new)
