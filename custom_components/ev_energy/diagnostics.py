"""Diagnostics for ev.energy, with every secret and personal detail redacted."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .devices import ev_energy_ids
from .kinds import KINDS
from .runtime import EvEnergyConfigEntry

# Tokens, the account's identity, where the user lives, and what identifies their hardware.
TO_REDACT = {
    "access_token",
    "refresh_token",
    "client_secret",
    "token",
    "email",
    "full_name",
    "title",
    "unique_id",
    "default_location",
    "coordinates",
    "latitude",
    "longitude",
    "location",
    "cpid",
    "serial_number",
    "ip_address",
    "iccid",
    "url",
    "user",
    "id",
    "vehicle",
    "evse",
    "inverter",
    "home_battery",
    "description",
    # Push: the signing secret, and the webhook id that is the address of the entry's webhook.
    "webhook_secret",
    "webhook_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvEnergyConfigEntry
) -> dict[str, Any]:
    """Return the entry's polling state and the devices as last polled."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    devices: dict[str, Any] = {}
    if data is not None:
        devices = {
            **{
                kind.collection: [_plain(device) for device in data.of(kind).values()]
                for kind in KINDS
            },
            "account": _plain(data.account),
        }
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "polling": coordinator.diagnostics(),
            "last_update_success": coordinator.last_update_success,
            "sessions": entry.runtime_data.sessions.diagnostics(),
            "home_energy": entry.runtime_data.home_energy.diagnostics(),
            "live_power": entry.runtime_data.live_power.diagnostics(),
            "carbon": entry.runtime_data.carbon.diagnostics(),
            "statistics": entry.runtime_data.statistics.diagnostics(),
            "tariff": entry.runtime_data.tariff.diagnostics(),
            "data": devices,
        },
        TO_REDACT,
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EvEnergyConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return one device as last polled."""
    data = entry.runtime_data.coordinator.data
    ids = ev_energy_ids(device)
    found: Any = None
    if data is not None:
        for kind in KINDS:
            devices = data.of(kind)
            for device_id in ids & devices.keys():
                found = devices[device_id]
    return async_redact_data({"device": _plain(found)}, TO_REDACT)


def _plain(value: Any) -> Any:
    """Turn API models into JSON-ready data."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
