"""Repair issues tell the user what only they can fix, and go away once it is fixed."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .conftest import Clock


async def test_a_car_disconnected_from_its_maker_raises_an_issue_until_reconnected(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    issue_id = f"vehicle_disconnected_{vehicle_id}"
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


async def test_the_repair_flow_shows_ev_energys_reconnect_link(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    issue_id = await _disconnect(sim, clock, vehicle_id)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    result = await _start_fix(hass, issue_id)
    assert result["step_id"] == "confirm"
    url = result["description_placeholders"]["url"]
    assert url == f"{sim.origin}/_reconnect/{vehicle_id}"
    reconnects = [r for r in sim.requests if r.path == f"/v2/vehicles/{vehicle_id}/reconnect"]
    assert [r.status for r in reconnects] == [201]
    manager = repairs_flow_manager(hass)
    assert manager is not None
    assert (await manager.async_configure(result["flow_id"], {}))["type"] == "create_entry"


async def test_the_repair_flow_aborts_when_ev_energy_gives_no_link(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    issue_id = await _disconnect(sim, clock, vehicle_id)
    sim.faults.server_errors(5, status=500, path_prefix=f"/v2/vehicles/{vehicle_id}/reconnect")
    result = await _start_fix(hass, issue_id)
    assert result["type"] == "abort"
    assert result["reason"] == "reconnect_failed"


async def _start_fix(hass: HomeAssistant, issue_id: str) -> Any:
    """Open the issue's fix flow as the Repairs dashboard does."""
    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return await manager.async_init(DOMAIN, data={"issue_id": issue_id})


async def _disconnect(sim: Simulator, clock: Clock, vehicle_id: str) -> str:
    """Let ev.energy lose the car's maker connection until a poll sees it; return the issue id."""
    sim.state.vehicles[vehicle_id].integrated = "INACTIVE"
    await clock.run_for(600, step=60)
    return f"vehicle_disconnected_{vehicle_id}"


async def test_the_repair_flow_of_an_unloaded_entry_only_shows_the_issue(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    issue_id = await _disconnect(sim, clock, sim.vehicle_ids[0])
    await hass.config_entries.async_unload(integration.entry_id)
    sim.requests.reset()
    result = await _start_fix(hass, issue_id)
    assert result["step_id"] == "confirm"
    assert "url" not in (result["description_placeholders"] or {})
    assert not sim.requests
