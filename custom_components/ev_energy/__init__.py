"""The ev.energy integration: smart EV charging (chargers, vehicles, solar inverters) from the ev.energy cloud."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
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
from .carbon import CarbonCoordinator
from .const import DOMAIN, api_base_url
from .coordinator import EvEnergyCoordinator
from .devices import ev_energy_ids
from .gateway import RequestGateway
from .home_energy import HomeEnergyReader
from .hourly import HourlyStatistics
from .kinds import KINDS
from .ledger import SampleLedger
from .live_power import LivePowerCoordinator
from .location import LocationCoordinator
from .repairs import async_remove_entry_issues, async_update_issues
from .runtime import EvEnergyConfigEntry, EvEnergyRuntimeData
from .services import async_setup_services
from .sessions import SessionsReader, read_on_charge_transitions
from .solar_forecast import SolarForecastCoordinator
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
    Platform.DEVICE_TRACKER,
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
    # Each reader is a coordinator on its own cadence, taking the gateway and nothing of the others.
    sessions = SessionsReader(hass, entry, gateway, statistics)
    home_energy = HomeEnergyReader(hass, entry, gateway, statistics)
    await home_energy.async_load()
    entry.runtime_data = EvEnergyRuntimeData(
        gateway=gateway,
        coordinator=coordinator,
        ledger=ledger,
        sessions=sessions,
        statistics=statistics,
        home_energy=home_energy,
        live_power=LivePowerCoordinator(hass, entry, gateway),
        carbon=CarbonCoordinator(hass, entry, gateway),
        solar_forecast=SolarForecastCoordinator(hass, entry, gateway),
        location=LocationCoordinator(hass, entry, gateway),
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
    entry.async_on_unload(read_on_charge_transitions(sessions, ledger))
    # Home energy is extra too, and slow: read in the background, then on its own timer.
    entry.async_create_task(hass, home_energy.async_refresh(), "ev_energy home energy")
    entry.async_on_unload(home_energy.async_save)
    # Both read on their own timers whether or not an entity listens (home energy has none; statistics need both).
    for reader in (sessions, home_energy):
        entry.async_on_unload(reader.async_add_listener(_keep_reading))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms: the location reader reads the cars whose devices they registered.
    await _async_start_readers(hass, entry)
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


async def _async_start_readers(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Read live power, the forecasts, the prices and where the cars are once, then each on its own cadence.

    Extras, like sessions: set-up goes on when they cannot be read (a refresh keeps its failure to itself). They
    read side by side: none needs another's data, and the gateway counts and guards each one's requests on its
    own. After the platforms, so the location reader finds the cars whose devices they registered. The listener
    keeps each reader's timer running even with no entity yet (a HEM system added later is found), and raises a
    reader's missing-permission repair after its read.
    """
    runtime = entry.runtime_data
    readers = (
        runtime.live_power,
        runtime.carbon,
        runtime.solar_forecast,
        runtime.location,
        runtime.tariff,
    )
    await asyncio.gather(*(reader.async_refresh() for reader in readers))
    for reader in readers:
        entry.async_on_unload(reader.async_add_listener(lambda: _after_poll(hass, entry)))
    _after_poll(hass, entry)


@callback
def _keep_reading() -> None:
    """Keep a reader's timer running: a coordinator reads on its own only while someone listens."""


def _after_poll(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    if entry.runtime_data.coordinator.last_update_success:
        async_update_issues(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EvEnergyConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user delete a device ev.energy does not list now."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    current = {coordinator.user_id, *(device_id for kind in KINDS for device_id in data.of(kind))}
    return not current & ev_energy_ids(device_entry)
