"""What the device registry shows of a charger, vehicle, inverter or home battery, and of the account.

Below the coordinators (the sessions reader names statistics after devices) and the entities alike.
"""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .api import (
    Evse,
    EvseModel,
    HomeBattery,
    HomeBatteryModel,
    Inverter,
    InverterModel,
    Vehicle,
    VehicleModel,
    VehicleTrim,
)
from .const import DOMAIN


def registry_entry(device: Evse | Vehicle | Inverter | HomeBattery) -> DeviceInfo:
    """Return the registry entry of any device (kinds.py pairs each kind with its own)."""
    if isinstance(device, Evse):
        return evse_device_info(device)
    if isinstance(device, Vehicle):
        return vehicle_device_info(device)
    if isinstance(device, HomeBattery):
        return home_battery_device_info(device)
    return inverter_device_info(device)


def account_device_info(user_id: str) -> DeviceInfo:
    """Return the registry entry of the ev.energy account itself."""
    return DeviceInfo(
        identifiers={(DOMAIN, user_id)},
        manufacturer="ev.energy",
        name="ev.energy account",
        entry_type=DeviceEntryType.SERVICE,
    )


def _first(*names: str | None) -> str | None:
    return next((name for name in names if name), None)


def evse_device_info(evse: Evse) -> DeviceInfo:
    """Return the registry entry of a charger."""
    model = evse.model if isinstance(evse.model, EvseModel) else None
    make = model.make if model is not None and not isinstance(model.make, str) else None
    make_name = None if make is None else _first(make.display_name, make.name)
    model_name = None if model is None else _first(model.display_name, model.name)
    return DeviceInfo(
        identifiers={(DOMAIN, evse.id)},
        manufacturer=make_name,
        model=model_name,
        name=" ".join(part for part in (make_name, model_name) if part) or "EV charger",
        serial_number=evse.cpid,
    )


def vehicle_device_info(vehicle: Vehicle) -> DeviceInfo:
    """Return the registry entry of a vehicle."""
    trim = vehicle.trim if isinstance(vehicle.trim, VehicleTrim) else None
    model = trim.model if trim is not None and isinstance(trim.model, VehicleModel) else None
    make = model.make if model is not None and not isinstance(model.make, str) else None
    make_name = None if make is None else make.name
    model_name = None if model is None else model.name
    trim_name = None if trim is None else trim.name
    return DeviceInfo(
        identifiers={(DOMAIN, vehicle.id)},
        manufacturer=make_name,
        model=" ".join(part for part in (model_name, trim_name) if part) or None,
        name=vehicle.description
        or " ".join(part for part in (make_name, model_name) if part)
        or "Vehicle",
    )


def inverter_device_info(inverter: Inverter) -> DeviceInfo:
    """Return the registry entry of a solar inverter."""
    model = inverter.model if isinstance(inverter.model, InverterModel) else None
    return _home_device_info(inverter.id, model, "Solar inverter")


def home_battery_device_info(battery: HomeBattery) -> DeviceInfo:
    """Return the registry entry of a home battery."""
    model = battery.model if isinstance(battery.model, HomeBatteryModel) else None
    return _home_device_info(battery.id, model, "Home battery")


def _home_device_info(
    device_id: str, model: InverterModel | HomeBatteryModel | None, name: str
) -> DeviceInfo:
    """Return the registry entry of a device a house rarely has two of, with its expanded model and maker.

    The name stays generic: entity IDs derive from it.
    """
    make = model.make if model is not None and not isinstance(model.make, str) else None
    return DeviceInfo(
        identifiers={(DOMAIN, device_id)},
        manufacturer=None if make is None else make.name,
        model=None if model is None else model.name,
        name=name,
    )
