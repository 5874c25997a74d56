"""Base entity and device helpers for ev.energy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .api import Evse, Inverter, Vehicle
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator, EvEnergyData, latest_sample

type Device = Evse | Vehicle | Inverter


@dataclass(frozen=True)
class DeviceKind:
    """What differs between chargers, vehicles and inverters."""

    key: str
    devices: Callable[[EvEnergyData], dict[str, Any]]
    # A sample older than this no longer describes the device. Cars sleep and report rarely when parked.
    stale_after: timedelta


EVSE = DeviceKind("evse", lambda data: data.evses, timedelta(minutes=30))
VEHICLE = DeviceKind("vehicle", lambda data: data.vehicles, timedelta(hours=12))
INVERTER = DeviceKind("inverter", lambda data: data.inverters, timedelta(minutes=30))
# ev.energy suggests treating a charger as offline after 15 minutes without a sample.
ONLINE_WITHIN = timedelta(minutes=15)


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


def name_of(value: Any, *attributes: str) -> str | None:
    """Return the first set attribute of an expanded catalogue object (a URL has none)."""
    if value is None or isinstance(value, str):
        return None
    for attribute in attributes:
        if text := getattr(value, attribute, None):
            return str(text)
    return None


def device_info(kind: DeviceKind, device: Device) -> DeviceInfo:
    """Return the registry entry of a charger, vehicle or inverter."""
    if isinstance(device, Evse):
        make = name_of(getattr(device.model, "make", None), "display_name", "name")
        model = name_of(device.model, "display_name", "name")
        return DeviceInfo(
            identifiers={(DOMAIN, device.id)},
            manufacturer=make,
            model=model,
            name=" ".join(part for part in (make, model) if part) or "EV charger",
            serial_number=device.cpid,
        )
    if isinstance(device, Vehicle):
        model_obj = getattr(device.trim, "model", None)
        make = name_of(getattr(model_obj, "make", None), "name")
        model = name_of(model_obj, "name")
        trim = name_of(device.trim, "name")
        return DeviceInfo(
            identifiers={(DOMAIN, device.id)},
            manufacturer=make,
            model=" ".join(part for part in (model, trim) if part) or None,
            name=device.description
            or " ".join(part for part in (make, model) if part)
            or "Vehicle",
        )
    make = name_of(getattr(device.model, "make", None), "name")
    model = name_of(device.model, "name")
    return DeviceInfo(
        identifiers={(DOMAIN, device.id)},
        manufacturer=make,
        model=model,
        # The name stays generic: entity IDs derive from it, and a house rarely has two inverters.
        name="Solar inverter",
    )


def account_device_info(user_id: str) -> DeviceInfo:
    """Return the registry entry of the ev.energy account itself."""
    return DeviceInfo(
        identifiers={(DOMAIN, user_id)},
        manufacturer="ev.energy",
        name="ev.energy account",
        entry_type=DeviceEntryType.SERVICE,
    )


class EvEnergyEntity(CoordinatorEntity[EvEnergyCoordinator]):
    """An entity of one ev.energy device."""

    _attr_has_entity_name = True
    entity_description: EvEnergyEntityDescription

    def __init__(
        self,
        coordinator: EvEnergyCoordinator,
        kind: DeviceKind,
        device: Device,
        description: EvEnergyEntityDescription,
    ) -> None:
        """Bind the entity to its device."""
        super().__init__(coordinator)
        self.kind = kind
        self.device_id = device.id
        self.entity_description = description
        self._attr_unique_id = f"{device.id}_{description.key}"
        self._attr_device_info = device_info(kind, device)

    @property
    def device(self) -> Any:
        """Return the device as last polled, or None when it left the account."""
        return self.kind.devices(self.coordinator.data).get(self.device_id)

    @property
    def sample(self) -> Any:
        """Return the device's latest status log."""
        device = self.device
        return None if device is None else latest_sample(device)

    def sample_is_fresh(self) -> bool:
        """Return whether the latest sample is recent enough to describe the device."""
        sample = self.sample
        sampled_at: datetime | None = getattr(sample, "sampled_at", None)
        return sampled_at is not None and dt_util.utcnow() - sampled_at < self.kind.stale_after

    @property
    def available(self) -> bool:
        """Unavailable when the poll failed, the device is gone, or its data is stale."""
        if not super().available or self.device is None:
            return False
        return not self.entity_description.needs_fresh_sample or self.sample_is_fresh()


type EntityFactory = Callable[[EvEnergyCoordinator, Device], list[Any]]


def add_entities_as_devices_appear(
    coordinator: EvEnergyCoordinator,
    add_entities: Callable[[list[Any]], None],
    factories: dict[DeviceKind, EntityFactory],
) -> Callable[[], None]:
    """Add a device's entities on setup and whenever a poll finds a new device, without a reload.

    Returns the listener's remover, for ``entry.async_on_unload``.
    """
    known: dict[str, set[str]] = {kind.key: set() for kind in factories}

    def add_new() -> None:
        data = coordinator.data
        entities: list[Any] = []
        for kind, factory in factories.items():
            devices = kind.devices(data)
            # A device that left the account and comes back gets its entities again.
            known[kind.key] &= devices.keys()
            for device_id in devices.keys() - known[kind.key]:
                known[kind.key].add(device_id)
                entities.extend(factory(coordinator, devices[device_id]))
        if entities:
            add_entities(entities)

    add_new()
    return coordinator.async_add_listener(add_new)
