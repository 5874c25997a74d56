"""Repair issues tell the user what only they can fix, and go away once it is fixed."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .conftest import Clock


async def test_a_car_disconnected_from_its_maker_raises_an_issue_until_reconnected(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    issue_id = f"{integration.entry_id}_vehicle_disconnected_{vehicle_id}"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id) is None

    sim.state.vehicles[vehicle_id].integrated = "INACTIVE"
    await clock.run_for(600, step=60)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "vehicle_disconnected"
    assert issue.translation_placeholders == {"vehicle": sim.state.vehicles[vehicle_id].description}

    sim.state.vehicles[vehicle_id].integrated = "ACTIVE"
    await clock.run_for(600, step=60)
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    sim.state.vehicles[sim.vehicle_ids[0]].integrated = "INACTIVE"
    await clock.run_for(600, step=60)
    assert any(domain == DOMAIN for domain, _ in ir.async_get(hass).issues)
    await hass.config_entries.async_remove(integration.entry_id)
    assert not any(domain == DOMAIN for domain, _ in ir.async_get(hass).issues)
