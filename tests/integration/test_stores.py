"""The entry's stores: one owner closes them on unload and removes every file with the entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_energy.api import EvseStatusLog
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.storage import (
    STORE_NAMES,
    async_remove_entry_stores,
    entry_stores,
    store_key,
)
from simulator.testing import Simulator

from .conftest import set_up_entry


def _entry_keys(hass_storage: dict[str, Any], entry_id: str) -> list[str]:
    return sorted(key for key in hass_storage if key.startswith(f"{DOMAIN}.{entry_id}."))


@pytest.mark.usefixtures("credentials")
async def test_what_a_read_in_flight_finishes_after_removal_writes_no_file(
    hass: HomeAssistant,
    sim: Simulator,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await set_up_entry(hass, sim)
    assert _entry_keys(hass_storage, entry.entry_id), "the running entry keeps its state"
    ledger, statistics = entry.runtime_data.ledger, entry.runtime_data.statistics
    evse_id = sim.evse_ids[0]
    mark = ledger.high_water_mark(evse_id)
    assert mark is not None

    await hass.config_entries.async_remove(entry.entry_id)
    # A poll and a statistics read that were in flight finish now, and save as they always do.
    late = EvseStatusLog.from_dict({"sampled_at": (mark + timedelta(minutes=1)).isoformat()})
    assert ledger.accept(evse_id, [late], now=mark + timedelta(minutes=2))
    await statistics.async_import()
    freezer.tick(60)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert _entry_keys(hass_storage, entry.entry_id) == []


async def test_removal_deletes_every_store_even_those_this_run_never_opened(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, unique_id="user01", data={})
    entry.add_to_hass(hass)
    for name in STORE_NAMES:
        hass_storage[store_key(entry.entry_id, name)] = {"version": 1, "key": name, "data": {}}

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert _entry_keys(hass_storage, entry.entry_id) == []


@pytest.mark.usefixtures("credentials")
async def test_a_reload_saves_what_the_entry_held_and_the_next_run_writes_again(
    hass: HomeAssistant, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up_entry(hass, sim)
    ledger_key = store_key(entry.entry_id, "ledger")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert ledger_key in hass_storage, "saved as the entry unloaded"
    # The new run's stores are open: a delayed save of the reloaded entry writes.
    del hass_storage[ledger_key]
    entry.runtime_data.ledger.accept(sim.evse_ids[0], [], now=dt_util.utcnow())
    await entry.runtime_data.ledger.async_save()
    assert ledger_key in hass_storage


async def test_a_removed_entrys_stores_write_nothing_more(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    stores = entry_stores(hass, "entry1")
    ledger = stores.store("ledger")
    await ledger.async_save({"devices": {}})
    assert store_key("entry1", "ledger") in hass_storage

    await async_remove_entry_stores(hass, "entry1")
    await ledger.async_save(
        {"devices": {"late": {}}}
    )  # a save already under way when the entry went
    assert store_key("entry1", "ledger") not in hass_storage


def test_only_the_known_stores_can_be_made(hass: HomeAssistant) -> None:
    # Removal deletes the stores it knows by name: an unknown one would outlive its entry.
    with pytest.raises(ValueError, match="unknown store"):
        entry_stores(hass, "entry1").store("scratch")
