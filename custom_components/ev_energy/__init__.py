"""The ev.energy integration: smart EV charging (chargers, vehicles, solar inverters) from the ev.energy cloud."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_entry_oauth2_flow, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import EvEnergyClient
from .auth import ConfigEntryAuth
from .const import DOMAIN, api_base_url
from .coordinator import EvEnergyConfigEntry, EvEnergyCoordinator, EvEnergyRuntimeData
from .ledger import SampleLedger
from .repairs import async_remove_all_issues, async_update_vehicle_issues
from .webhook import async_remove_push, async_setup_push

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SENSOR,
]


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
    auth = ConfigEntryAuth(config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation))
    client = EvEnergyClient(async_get_clientsession(hass), auth, base_url=api_base_url())
    user_id = str(entry.unique_id)
    # Loaded before the first poll: the samples processed before a restart are not processed again.
    ledger = SampleLedger(hass, entry.entry_id)
    await ledger.async_load()
    entry.async_on_unload(ledger.async_save)
    coordinator = EvEnergyCoordinator(hass, entry, client, auth, user_id, ledger=ledger)
    entry.runtime_data = EvEnergyRuntimeData(
        client=client, coordinator=coordinator, user_id=user_id, ledger=ledger
    )
    await coordinator.async_config_entry_first_refresh()
    _after_poll(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(lambda: _after_poll(hass, entry)))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_setup_push(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Remove the entry's repair issues, stored ledger and cloudhook with it."""
    async_remove_all_issues(hass)
    await SampleLedger(hass, entry.entry_id).async_remove()
    await async_remove_push(hass, entry)


def _after_poll(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    if entry.runtime_data.coordinator.last_update_success:
        _remove_devices_gone(hass, entry)
        async_update_vehicle_issues(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EvEnergyConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user delete a device ev.energy no longer lists."""
    return not _current_device_ids(entry) & {
        identifier for domain, identifier in device_entry.identifiers if domain == DOMAIN
    }


def _current_device_ids(entry: EvEnergyConfigEntry) -> set[str]:
    runtime = entry.runtime_data
    data = runtime.coordinator.data
    return {runtime.user_id, *data.evses, *data.vehicles, *data.inverters}


def _remove_devices_gone(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Remove the devices of chargers, vehicles and inverters that left the account."""
    current = _current_device_ids(entry)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
        if ids and not ids & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
