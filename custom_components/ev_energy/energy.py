"""The Energy dashboard's solar production forecast: ev.energy's forecast for the home, per hour.

Home Assistant's energy integration calls `async_get_solar_forecast` for each entry chosen under *Solar production
forecast* in the Energy settings.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .runtime import EvEnergyConfigEntry


async def async_get_solar_forecast(
    hass: HomeAssistant, config_entry_id: str
) -> dict[str, dict[str, float | int]] | None:
    """Return the entry's forecast as Wh per hour start, or None (not loaded, no forecast, too old)."""
    entry: EvEnergyConfigEntry | None = hass.config_entries.async_get_entry(config_entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    data = entry.runtime_data.solar_forecast.data
    hours = None if data is None else data.current(dt_util.utcnow())
    if hours is None:
        return None
    return {"wh_hours": {hour.isoformat(): wh for hour, wh in hours.items()}}
