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

from .coordinator import EvEnergyConfigEntry, EvEnergyCoordinator
from .entity import (
    EVSE,
    ONLINE_WITHIN,
    VEHICLE,
    Device,
    DeviceKind,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
    sampled_within,
)

# Coordinator-fed: nothing to limit.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EvEnergyBinarySensorDescription(EvEnergyEntityDescription, BinarySensorEntityDescription):
    """A binary sensor read from a device's latest sample."""

    is_on_fn: Callable[[Any], bool | None]


def _sample_flag(attribute: str) -> Callable[[Any], bool | None]:
    return lambda sample: None if sample is None else getattr(sample, attribute, None)


def _recent(sample: Any) -> bool:
    return sampled_within(getattr(sample, "sampled_at", None), ONLINE_WITHIN)


PLUGGED_IN = EvEnergyBinarySensorDescription(
    key="plugged_in",
    translation_key="plugged_in",
    device_class=BinarySensorDeviceClass.PLUG,
    is_on_fn=_sample_flag("is_plugged_in"),
)
CHARGING = EvEnergyBinarySensorDescription(
    key="charging",
    translation_key="charging",
    device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
    is_on_fn=_sample_flag("is_charging"),
)
# ev.energy has no online flag: a charger that sampled in the last 15 minutes is online.
ONLINE = EvEnergyBinarySensorDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    needs_fresh_sample=False,
    is_on_fn=_recent,
)

EVSE_BINARY_SENSORS = (PLUGGED_IN, CHARGING, ONLINE)
VEHICLE_BINARY_SENSORS = (PLUGGED_IN, CHARGING)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up binary sensors for every charger and vehicle, now and as they appear."""

    def build(
        kind: DeviceKind, descriptions: tuple[EvEnergyBinarySensorDescription, ...]
    ) -> Callable[[EvEnergyCoordinator, Device], list[Any]]:
        return lambda coordinator, device: [
            EvEnergyBinarySensor(coordinator, kind, device, description)
            for description in descriptions
        ]

    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            async_add_entities,
            {
                EVSE: build(EVSE, EVSE_BINARY_SENSORS),
                VEHICLE: build(VEHICLE, VEHICLE_BINARY_SENSORS),
            },
        )
    )


class EvEnergyBinarySensor(EvEnergyEntity, BinarySensorEntity):
    """A binary sensor of a charger or vehicle."""

    entity_description: EvEnergyBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Return the state from the latest sample."""
        return self.entity_description.is_on_fn(self.sample)

    @property
    def available(self) -> bool:
        """Unavailable also when the API left the flag out."""
        return super().available and (
            not self.entity_description.unavailable_when_none or self.is_on is not None
        )
