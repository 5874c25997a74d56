"""A gap longer than the history the coordinator reads in one poll: its newest part is taken, and polling goes on."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.coordinator import HISTORY_MAX_PAGES
from simulator.testing import Simulator

from .conftest import Clock

PAGE = 100


async def test_a_gap_longer_than_the_history_read_moves_the_ledger_on(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    ledger = integration.runtime_data.ledger
    assert await hass.config_entries.async_unload(integration.entry_id)
    mark_before = ledger.high_water_mark(evse_id)
    # Home Assistant off for longer than the pages one history read may take.
    await clock.advance(3600 * 32)
    missed = [log for log in sim.state.evse_logs[evse_id] if log.sampled_at > mark_before]
    assert len(missed) > HISTORY_MAX_PAGES * PAGE

    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    ledger = integration.runtime_data.ledger
    assert integration.runtime_data.coordinator.last_update_success
    assert ledger.high_water_mark(evse_id) == sim.state.evse_logs[evse_id][-1].sampled_at

    # The gap is not read again: the next polls read no history of that charger.
    start = len(sim.requests)
    # Polls come just after each report: the extra minute lets the last report's poll run.
    await clock.run_for(960, step=60)
    assert not [
        entry for entry in sim.requests[start:] if entry.path == f"/v2/evses/{evse_id}/status_logs"
    ]
    assert ledger.high_water_mark(evse_id) == sim.state.evse_logs[evse_id][-1].sampled_at
