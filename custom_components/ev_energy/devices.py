"""The device registry follows the account, but removes a device only when it is certainly gone.

One answer without a device is not proof that it left: a page may be cut short, or the API may leave an item out
for a moment. A device is removed when complete collection reads have not listed it for a day, or when ev.energy
answers 404 for the device itself. When each device went missing is stored, so a restart does not restart the wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import EvEnergyAuthError, EvEnergyError, EvEnergyNotFoundError, EvEnergyRateLimitError
from .budget import RequestBudget
from .const import DOMAIN, LOGGER
from .storage import entry_stores

# How long complete reads must miss a device before it is removed.
ABSENT_FOR = timedelta(hours=24)

type DeviceLookup = Callable[[str], Awaitable[object]]


class _Stored(TypedDict):
    # Device id -> the collection it was last listed in (so its own GET can be asked after a restart).
    collections: dict[str, str]
    # Device id -> when complete reads first missed it.
    absent_since: dict[str, str]


def absence_store(hass: HomeAssistant, entry_id: str) -> Store[_Stored]:
    """Return the store of an entry's missing devices (also used to remove it with the entry)."""
    return entry_stores(hass, entry_id).store("absent_devices")


def ev_energy_ids(device: dr.DeviceEntry) -> set[str]:
    """Return the ev.energy ids a registry device stands for."""
    return {identifier for domain, identifier in device.identifiers if domain == DOMAIN}


def registered_device(hass: HomeAssistant, entry_id: str, device_id: str) -> dr.DeviceEntry | None:
    """Return the entry's registry device for an ev.energy id, or None.

    Looked up among the entry's own devices: identifiers are unique per config entry only, and
    ``DeviceRegistry.async_get_device`` is deprecated from Home Assistant 2026.11 (gone in 2027.8).
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        if device_id in ev_energy_ids(device):
            return device
    return None


class DeviceReconciler:
    """Removes registry devices that left the account, and only those."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        lookups: Mapping[str, DeviceLookup],
        budget: RequestBudget,
    ) -> None:
        """Reconcile the devices of one entry; ``lookups`` reads one device of each collection."""
        self.hass = hass
        self.entry = entry
        self.lookups = lookups
        self.budget = budget
        self._store = absence_store(hass, entry.entry_id)
        self._collections: dict[str, str] = {}
        self._absent_since: dict[str, datetime] = {}
        self._saved: _Stored | None = None

    async def async_load(self) -> None:
        """Take over what was known before a restart."""
        stored = await self._store.async_load()
        if stored is None:
            return
        self._collections = dict(stored["collections"])
        for device_id, text in stored["absent_since"].items():
            if (since := dt_util.parse_datetime(text)) is not None:
                self._absent_since[device_id] = since
        self._saved = self._as_stored()

    @property
    def missing(self) -> int:
        """Return how many devices are missing but not yet removed."""
        return len(self._absent_since)

    def knows_devices_of(self, collection: str) -> bool:
        """Return whether a device of a collection is registered, listed or missing (not yet removed)."""
        return collection in self._collections.values()

    async def async_reconcile(
        self, listed: Mapping[str, Collection[str] | None], keep: str, now: datetime
    ) -> None:
        """Update the registry from one poll's complete reads.

        ``listed`` maps each collection to the ids it listed (parsed or not), or None when it was not read;
        ``keep`` is the account's own device.
        """
        for collection, ids in listed.items():
            for device_id in ids or ():
                self._collections[device_id] = collection
                self._absent_since.pop(device_id, None)
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            ids = ev_energy_ids(device) - {keep}
            if await self._is_gone(ids, listed, now):
                registry.async_update_device(device.id, remove_config_entry_id=self.entry.entry_id)
                self._forget(ids)
        if (current := self._as_stored()) != self._saved:
            await self._store.async_save(current)
            self._saved = current

    def _listed_or_unknown(
        self, device_id: str, listed: Mapping[str, Collection[str] | None]
    ) -> bool:
        """Return whether this poll listed the device, or cannot tell (its collection was not read)."""
        collection = self._collections.get(device_id)
        if collection is None:
            return any(ids is None for ids in listed.values())
        ids = listed.get(collection)
        return ids is None or device_id in ids

    async def _is_gone(
        self, ids: set[str], listed: Mapping[str, Collection[str] | None], now: datetime
    ) -> bool:
        """Return whether a registry device left the account for certain."""
        if not ids or any(self._listed_or_unknown(device_id, listed) for device_id in ids):
            return False
        return all([await self._absent_long_or_not_found(device_id, now) for device_id in ids])

    async def _absent_long_or_not_found(self, device_id: str, now: datetime) -> bool:
        since = self._absent_since.get(device_id)
        if since is not None:
            return now - since >= ABSENT_FOR
        self._absent_since[device_id] = now
        LOGGER.debug(
            "ev.energy no longer lists device %s; it is removed if it stays away", device_id
        )
        return await self._answers_not_found(device_id, now)

    async def _answers_not_found(self, device_id: str, now: datetime) -> bool:
        """Ask for the device itself once, when it first goes missing and the budget allows it."""
        lookup = self.lookups.get(self._collections.get(device_id, ""))
        if lookup is None or not self.budget.can_spend(1, now):
            return False
        try:
            await lookup(device_id)
        except EvEnergyNotFoundError:
            return True
        except (EvEnergyAuthError, EvEnergyRateLimitError):
            raise
        except EvEnergyError as err:
            LOGGER.debug("Could not look up missing device %s (%s)", device_id, err)
        return False

    def _forget(self, ids: set[str]) -> None:
        for device_id in ids:
            self._absent_since.pop(device_id, None)
            self._collections.pop(device_id, None)

    def _as_stored(self) -> _Stored:
        return {
            "collections": dict(self._collections),
            "absent_since": {
                device_id: since.isoformat() for device_id, since in self._absent_since.items()
            },
        }
