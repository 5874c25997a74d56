"""The ev.energy integration: smart EV charging (chargers, vehicles, solar inverters) from the ev.energy cloud."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import (
    config_entry_oauth2_flow,
    config_validation as cv,
    device_registry as dr,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .auth import ConfigEntryAuth, async_revoke_tokens
from .const import DOMAIN, api_base_url
from .coordinator import EvEnergyCoordinator
from .devices import ev_energy_ids
from .gateway import RequestGateway
from .home_energy import HomeEnergyReader, watch_polls
from .hourly import HourlyStatistics
from .ledger import SampleLedger
from .repairs import async_remove_entry_issues, async_update_issues
from .runtime import EvEnergyConfigEntry, EvEnergyRuntimeData
from .services import async_setup_services
from .sessions import SessionsReader, watch_session_starts
from .storage import async_open_entry_stores, async_remove_entry_stores, entry_stores
from .tariff import TariffCoordinator
from .webhook import async_remove_push, async_setup_push

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for every entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> bool:
    """Set up ev.energy from a config entry."""
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
    except ValueError as err:
        # The application credentials this entry was made with were removed.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="credentials_missing"
        ) from err
    # Every store of the entry comes from here: unloading closes them together, removal deletes them.
    async_open_entry_stores(hass, entry.entry_id)
    auth = ConfigEntryAuth(config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation))
    # Every request of the entry goes through the gateway: one budget, one token state, one error mapping.
    gateway = RequestGateway(
        hass, entry, async_get_clientsession(hass), auth, base_url=api_base_url()
    )
    # Loaded before the first poll: the samples processed before a restart are not processed again.
    ledger = SampleLedger(hass, entry.entry_id)
    await ledger.async_load()
    entry.async_on_unload(ledger.async_save)
    coordinator = EvEnergyCoordinator(hass, entry, gateway, str(entry.unique_id), ledger=ledger)
    # The hourly statistics, kept by the recorder; hours it has not received yet wait in a store across restarts.
    statistics = HourlyStatistics(hass, entry.entry_id)
    await statistics.async_load()
    entry.async_on_unload(statistics.async_save)
    entry.async_on_unload(async_at_started(hass, statistics.async_import_once_started))
    sessions = SessionsReader(hass, entry, coordinator, statistics)
    home_energy = HomeEnergyReader(hass, entry, coordinator, statistics)
    await home_energy.async_load()
    entry.runtime_data = EvEnergyRuntimeData(
        gateway=gateway,
        coordinator=coordinator,
        ledger=ledger,
        sessions=sessions,
        statistics=statistics,
        home_energy=home_energy,
        tariff=TariffCoordinator(hass, entry, gateway),
    )
    # Before the first request: a 429's wait from before a reload or restart still holds.
    await coordinator.async_load()
    await coordinator.async_config_entry_first_refresh()
    _after_poll(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(lambda: _after_poll(hass, entry)))
    await sessions.async_load()
    entry.async_on_unload(sessions.async_save)
    # Sessions are extra: setup goes on when they cannot be read, their entities show unavailable.
    await sessions.async_refresh()
    entry.async_on_unload(watch_session_starts(sessions, ledger))
    # Home energy is extra too, and slow: read in the background, then after polls when due.
    entry.async_create_task(hass, home_energy.async_read(), "ev_energy home energy")
    entry.async_on_unload(watch_polls(home_energy))
    entry.async_on_unload(home_energy.async_save)
    # The tariff is extra too: its entities show unavailable when it cannot be read, and its 403 is a repair.
    entry.async_on_unload(
        entry.runtime_data.tariff.async_add_listener(lambda: _after_poll(hass, entry))
    )
    await entry.runtime_data.tariff.async_refresh()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_setup_push(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> bool:
    """Unload a config entry."""
    # A 429 met just now must be stored before a reload sets the entry up again.
    await entry.runtime_data.coordinator.scheduler.async_flush()
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        # A read still in flight saves nothing after this; the parts save what they hold as the entry unloads.
        entry_stores(hass, entry.entry_id).close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Remove the entry's repair issues, stored state and cloudhook with it, and revoke its tokens."""
    async_remove_entry_issues(hass, entry.entry_id)
    await async_remove_entry_stores(hass, entry.entry_id)
    await async_remove_push(hass, entry)
    await async_revoke_tokens(hass, entry)


def _after_poll(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    if entry.runtime_data.coordinator.last_update_success:
        async_update_issues(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EvEnergyConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user delete a device ev.energy does not list now."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    current = {coordinator.user_id, *data.evses, *data.vehicles, *data.inverters}
    return not current & ev_energy_ids(device_entry)
