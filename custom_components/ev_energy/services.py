"""Actions: the charging sessions of a period, and a car's charging schedule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import EvEnergyError, Schedules
from .const import DOMAIN
from .gateway import ACTION, user_error
from .money import from_minor_units
from .runtime import EvEnergyConfigEntry
from .sessions import SubSessionRecord, planned_slots

SERVICE_GET_CHARGING_SESSIONS = "get_charging_sessions"
SERVICE_GET_CHARGING_SCHEDULE = "get_charging_schedule"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_DEVICE_ID = "device_id"
ATTR_START = "start"
ATTR_END = "end"
# An action reads at most this many pages (of 100 sub-sessions).
MAX_PAGES = 5

SESSIONS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)
SCHEDULE_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_DEVICE_ID): cv.string}
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions.

    Home Assistant 2026 types schemas as probatio's (it accepts voluptuous's): the ignores hold there and are
    unused on 2025.4.
    """
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGING_SESSIONS,
        _get_charging_sessions,
        schema=SESSIONS_SCHEMA,  # type: ignore[arg-type, unused-ignore]
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGING_SCHEDULE,
        _get_charging_schedule,
        schema=SCHEDULE_SCHEMA,  # type: ignore[arg-type, unused-ignore]
        supports_response=SupportsResponse.ONLY,
    )


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> EvEnergyConfigEntry:
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: EvEnergyConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _device_filter(
    hass: HomeAssistant, entry: EvEnergyConfigEntry, device_id: str
) -> tuple[str | None, str | None]:
    """Return the (charger id, car id) of a device of the entry."""
    device = dr.async_get(hass).async_get(device_id)
    data = entry.runtime_data.coordinator.data
    ids = set() if device is None else {i for d, i in device.identifiers if d == DOMAIN}
    if device is not None and entry.entry_id in device.config_entries:
        if evse_id := next(iter(ids & data.evses.keys()), None):
            return evse_id, None
        if vehicle_id := next(iter(ids & data.vehicles.keys()), None):
            return None, vehicle_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_charger_or_car",
        translation_placeholders={"device_id": device_id},
    )


async def _read[T](entry: EvEnergyConfigEntry, read: Callable[[], Awaitable[T]]) -> T:
    """Read from ev.energy through the entry's gateway; failures become translated errors."""
    try:
        return await entry.runtime_data.gateway.request(ACTION, read)
    except EvEnergyError as err:
        raise user_error(err, "sessions_read_failed") from err


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else dt_util.as_utc(value)


def sub_session_response(sub: SubSessionRecord) -> dict[str, Any]:
    """Return a sub-session as the action answers it (amounts in the currency's major unit)."""
    return {
        "id": sub.id,
        "session_id": sub.session_id,
        "charger_id": sub.evse_id,
        "vehicle_id": sub.vehicle_id,
        "start": sub.start.isoformat(),
        "end": None if sub.end is None else sub.end.isoformat(),
        "mode": None if sub.mode is None else str(sub.mode).lower(),
        "energy_kwh": _kwh(sub.energy_wh),
        "grid_energy_kwh": _kwh(sub.grid_energy_wh),
        "solar_energy_kwh": _kwh(sub.solar_energy_wh),
        "cost": _money(sub.cost_minor, sub.currency),
        "savings": _money(sub.savings_minor, sub.currency),
        "currency": sub.currency,
        "co2_grams": sub.co2_grams,
        "duration_minutes": sub.duration_minutes,
    }


def _kwh(watt_hours: int | None) -> float | None:
    return None if watt_hours is None else watt_hours / 1000


def _money(amount: int | None, currency: str | None) -> float | None:
    value = from_minor_units(amount, currency)
    return None if value is None else float(value)


def _period(call: ServiceCall) -> tuple[datetime | None, datetime | None]:
    """Return the period's start and end (UTC); a period that ends before it starts is refused unasked."""
    start, end = _utc(call.data.get(ATTR_START)), _utc(call.data.get(ATTR_END))
    if start is not None and end is not None and end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="reversed_period",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    return start, end


async def _get_charging_sessions(call: ServiceCall) -> ServiceResponse:
    """Return the sub-sessions of the entry (or one charger or car) that started in the period."""
    hass = call.hass
    entry = _loaded_entry(hass, call)
    evse_id = vehicle_id = None
    if device_id := call.data.get(ATTR_DEVICE_ID):
        evse_id, vehicle_id = _device_filter(hass, entry, device_id)
    start, end = _period(call)
    client = entry.runtime_data.client
    subs = await _read(
        entry,
        lambda: client.list_charging_sub_sessions(
            evse_id=evse_id,
            vehicle_id=vehicle_id,
            start_gt=start,
            start_lt=end,
            max_pages=MAX_PAGES,
        ),
    )
    # Which session a sub-session belongs to is known only to the reader (from the sessions list).
    held = entry.runtime_data.sessions.data.sub_sessions
    records = [
        record
        for sub in subs
        if (record := SubSessionRecord.from_api(sub, getattr(held.get(sub.id), "session_id", None)))
    ]
    return {
        "sessions": [
            sub_session_response(record)
            for record in sorted(records, key=lambda record: (record.start, record.id))
        ]
    }


async def _get_charging_schedule(call: ServiceCall) -> ServiceResponse:
    """Return the planned charging slots of a car's running session."""
    hass = call.hass
    entry = _loaded_entry(hass, call)
    evse_id, vehicle_id = _device_filter(hass, entry, call.data[ATTR_DEVICE_ID])
    client = entry.runtime_data.client
    running = await _read(
        entry,
        lambda: client.list_charging_sub_sessions(
            evse_id=evse_id, vehicle_id=vehicle_id, is_finished=False, expand=("schedules",)
        ),
    )
    schedules = [sub.schedules for sub in running if isinstance(sub.schedules, Schedules)]
    slots = planned_slots(item for schedule in schedules for item in schedule.schedules or [])
    return {
        "slots": [
            {
                "start": slot.start.isoformat(),
                "end": slot.end.isoformat(),
                "current": slot.current_milliamps / 1000,
            }
            for slot in slots
        ]
    }
