"""One owner for a config entry's stores: what unloading and removing the entry do to its files.

Each part of the integration keeps its state in a `Store` of its own (the ledger, sessions, statistics, ...). A
read still in flight when the entry unloads used to schedule a delayed save that wrote its file again about ten
seconds later, even after the entry was removed. Every store of an entry is made here, so that unloading closes
them all at once (no delayed save is scheduled after that; the unload's own saves still write), and removal
deletes every file through the same instances, which cancels any write they still had pending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 1
# Every store an entry may have, by name (its key is ``ev_energy.<entry id>.<name>``): removal deletes them all,
# also those this run never opened.
STORE_NAMES: Final = (
    "absent_devices",
    "charging_statistics",
    "home_energy",
    "ledger",
    "rate_limit",
    "sessions",
    "statistics",
)
DATA_STORES: HassKey[dict[str, EntryStores]] = HassKey(f"{DOMAIN}_stores")


def store_key(entry_id: str, name: str) -> str:
    """Return the storage key of one of an entry's stores."""
    return f"{DOMAIN}.{entry_id}.{name}"


class EntryStore[DataT: Mapping[str, Any] | Sequence[Any]](Store[DataT]):
    """A store of one config entry that schedules no delayed save once the entry's stores are closed."""

    def __init__(self, hass: HomeAssistant, key: str, owner: EntryStores) -> None:
        """Make the store ``key`` of ``owner``'s entry."""
        super().__init__(hass, STORAGE_VERSION, key)
        self._owner = owner

    @callback
    def async_delay_save(self, data_func: Callable[[], DataT], delay: float = 0) -> None:
        """Save after ``delay`` seconds, unless the entry is unloading or gone (a late read saves nothing)."""
        if self._owner.closed:
            LOGGER.debug("Not saving %s: the entry is unloaded", self.key)
            return
        super().async_delay_save(data_func, delay)

    async def async_save(self, data: DataT) -> None:
        """Save now, unless the entry was removed (its files are gone and must stay gone)."""
        if self._owner.removed:
            LOGGER.debug("Not saving %s: the entry is removed", self.key)
            return
        await super().async_save(data)


class EntryStores:
    """The stores of one config entry, closed together on unload and removed together with the entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Own no store yet; `store` makes them."""
        self._hass = hass
        self._entry_id = entry_id
        self._stores: dict[str, EntryStore[Any]] = {}
        self.closed = False
        self.removed = False

    def store(self, name: str) -> EntryStore[Any]:
        """Return the entry's store ``name`` (one of `STORE_NAMES`), the same instance on every call."""
        if name not in STORE_NAMES:
            raise ValueError(f"unknown store {name}")
        if (existing := self._stores.get(name)) is None:
            existing = self._stores[name] = EntryStore(
                self._hass, store_key(self._entry_id, name), self
            )
        return existing

    @callback
    def close(self) -> None:
        """Schedule no more delayed saves: the entry unloads (its parts save what they hold themselves)."""
        self.closed = True

    async def async_remove(self) -> None:
        """Delete every store of the entry and write nothing more."""
        self.closed = self.removed = True
        for name in STORE_NAMES:
            await self.store(name).async_remove()


@callback
def async_open_entry_stores(hass: HomeAssistant, entry_id: str) -> EntryStores:
    """Return fresh stores for an entry being set up (a reload leaves the closed ones behind)."""
    stores = hass.data.setdefault(DATA_STORES, {})
    opened = stores[entry_id] = EntryStores(hass, entry_id)
    return opened


@callback
def entry_stores(hass: HomeAssistant, entry_id: str) -> EntryStores:
    """Return the entry's stores: those of its current or last run, else new ones (a test, a removal)."""
    stores = hass.data.setdefault(DATA_STORES, {})
    if (existing := stores.get(entry_id)) is None:
        existing = stores[entry_id] = EntryStores(hass, entry_id)
    return existing


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every file of a removed entry, through the instances that may still hold pending writes."""
    await entry_stores(hass, entry_id).async_remove()
    hass.data.get(DATA_STORES, {}).pop(entry_id, None)
