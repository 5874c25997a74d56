"""Binary sensors of ev.energy chargers and vehicles: plugged in, charging, online."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Evse, EvseStatusLog, Vehicle, VehicleStatusLog
from .coordinator import EvEnergyCoordinator
from .entity import (
    ONLINE_WITHIN,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
    for_every_kind,
    from_sample,
    sampled_within,
)
from .kinds import EVSE, VEHICLE, AnyKind, Device, DeviceKind, Sample
from .runtime import EvEnergyConfigEntry
from .session_entity import add_charger_and_car_entities, slot_active_sensors

# Coordinator-fed: nothing to limit.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EvEnergyBinarySensorDescription[DeviceT: Device, SampleT: Sample](
    EvEnergyEntityDescription, BinarySensorEntityDescription
):
    """A binary sensor read from a device and its latest sample."""

    is_on_fn: Callable[[DeviceT, SampleT | None], bool | None]


EvseBinarySensorDescription = EvEnergyBinarySensorDescription[Evse, EvseStatusLog]
VehicleBinarySensorDescription = EvEnergyBinarySensorDescription[Vehicle, VehicleStatusLog]


def _recent(sample: EvseStatusLog | None) -> bool:
    return sample is not None and sampled_within(sample.sampled_at, ONLINE_WITHIN)


def _flag[DeviceT: Device, SampleT: EvseStatusLog | VehicleStatusLog](
    kind: DeviceKind[DeviceT, SampleT],
    key: str,
    device_class: BinarySensorDeviceClass,
    flag: Callable[[SampleT], bool | None],
) -> EvEnergyBinarySensorDescription[DeviceT, SampleT]:
    del kind  # pins the device and sample types of flag
    return EvEnergyBinarySensorDescription(
        key=key, translation_key=key, device_class=device_class, is_on_fn=from_sample(flag)
    )


def _plugged_in_and_charging[
    DeviceT: Device,
    SampleT: EvseStatusLog | VehicleStatusLog,
](
    kind: DeviceKind[DeviceT, SampleT],
) -> tuple[EvEnergyBinarySensorDescription[DeviceT, SampleT], ...]:
    return (
        _flag(kind, "plugged_in", BinarySensorDeviceClass.PLUG, lambda log: log.is_plugged_in),
        _flag(
            kind, "charging", BinarySensorDeviceClass.BATTERY_CHARGING, lambda log: log.is_charging
        ),
    )


# ev.energy has no online flag: a charger that sampled in the last 15 minutes is online.
ONLINE = EvseBinarySensorDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    needs_fresh_sample=False,
    is_on_fn=lambda _evse, log: _recent(log),
)

EVSE_BINARY_SENSORS: tuple[EvseBinarySensorDescription, ...] = (
    *_plugged_in_and_charging(EVSE),
    ONLINE,
)
VEHICLE_BINARY_SENSORS = _plugged_in_and_charging(VEHICLE)

# The binary sensors of every kind that has some (kinds.py lists the kinds).
BINARY_SENSORS: dict[AnyKind, tuple[EvEnergyBinarySensorDescription[Any, Any], ...]] = {
    EVSE: EVSE_BINARY_SENSORS,
    VEHICLE: VEHICLE_BINARY_SENSORS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up binary sensors for every charger and vehicle, now and as they appear."""
    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            async_add_entities,
            for_every_kind(BINARY_SENSORS, _binary_sensors),
        )
    )
    add_charger_and_car_entities(entry, async_add_entities, slot_active_sensors)


def _binary_sensors(
    coordinator: EvEnergyCoordinator, kind: AnyKind, device: Device
) -> list[BinarySensorEntity]:
    return [
        EvEnergyBinarySensor(coordinator, kind, device, description)
        for description in BINARY_SENSORS[kind]
    ]


class EvEnergyBinarySensor[DeviceT: Device, SampleT: Sample](
    EvEnergyEntity[DeviceT, SampleT], BinarySensorEntity
):
    """A binary sensor of a charger or vehicle."""

    entity_description: EvEnergyBinarySensorDescription[DeviceT, SampleT]

    @property
    def is_on(self) -> bool | None:
        """Return the state from the latest sample."""
        return self.read(self.entity_description.is_on_fn)

    @property
    def available(self) -> bool:
        """Unavailable also when the API left the flag out."""
        return super().available and (
            not self.entity_description.unavailable_when_none or self.is_on is not None
        )
