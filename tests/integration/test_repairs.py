"""Repair issues tell the user what only they can fix, and go away once it is fixed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import device_for, state


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


async def test_removing_the_entry_removes_its_issues_and_stored_state(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sim.state.vehicles[sim.vehicle_ids[0]].integrated = "INACTIVE"
    sim.faults.rate_limit_now(retry_after=60)
    await clock.run_for(600, step=60)
    assert any(domain == DOMAIN for domain, _ in ir.async_get(hass).issues)
    stored = {key for key in hass_storage if key.startswith(f"{DOMAIN}.{integration.entry_id}.")}
    assert stored == {
        f"{DOMAIN}.{integration.entry_id}.rate_limit",
        f"{DOMAIN}.{integration.entry_id}.absent_devices",
        f"{DOMAIN}.{integration.entry_id}.ledger",
        f"{DOMAIN}.{integration.entry_id}.sessions",
        f"{DOMAIN}.{integration.entry_id}.charging_statistics",
    }
    await hass.config_entries.async_remove(integration.entry_id)
    assert not any(domain == DOMAIN for domain, _ in ir.async_get(hass).issues)
    assert not stored & hass_storage.keys()


async def test_a_refused_collection_raises_a_repair_keeps_its_devices_and_recovers(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    device = device_for(hass, evse_id)
    assert device is not None
    entities = {
        entry.entity_id for entry in er.async_entries_for_device(er.async_get(hass), device.id)
    }
    issue_id = f"{integration.entry_id}_missing_scope_evses"
    sim.faults.server_errors(100_000, status=403, path_prefix="/v2/evses")
    start = len(sim.requests)
    await clock.run_for(600, step=60)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"scope": "evse:read"}
    assert device_for(hass, evse_id) == device
    assert {
        entry.entity_id for entry in er.async_entries_for_device(er.async_get(hass), device.id)
    } == entities
    assert all(hass.states.get(entity).state == "unavailable" for entity in entities)
    assert state(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level").state != "unavailable"

    await clock.run_for(3600 + 600, step=60)
    reads = [r for r in sim.requests[start:] if r.path == "/v2/evses"]
    assert [r.status for r in reads] == [403, 403], "asked again after an hour, not at every poll"
    assert reads[1].time - reads[0].time >= timedelta(hours=1)

    sim.faults.clear()
    await clock.run_for(3600, step=60)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert state(hass, "sensor", f"{evse_id}_charge_power").state != "unavailable"
    assert device_for(hass, evse_id) == device


async def test_the_permission_repair_offers_to_sign_in_again(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    sim.faults.server_errors(100_000, status=403, path_prefix="/v2/inverters")
    await clock.run_for(600, step=60)
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": f"{integration.entry_id}_missing_scope_inverters"},
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"scope": "inverter:read"}
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert [
        flow["context"]["entry_id"]
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"]["source"] == SOURCE_REAUTH
    ] == [integration.entry_id]


async def test_one_entrys_issues_are_left_alone_by_another_entrys_cleanup(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain=DOMAIN, unique_id="another-user")
    other.add_to_hass(hass)
    sim.state.vehicles[sim.vehicle_ids[0]].integrated = "INACTIVE"
    await clock.run_for(600, step=60)
    ours = {issue for domain, issue in ir.async_get(hass).issues if domain == DOMAIN}
    assert ours

    await hass.config_entries.async_remove(other.entry_id)
    assert {issue for domain, issue in ir.async_get(hass).issues if domain == DOMAIN} == ours


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
    return next(
        issue
        for domain, issue in ir.async_get(clock.hass).issues
        if domain == DOMAIN and issue.endswith(f"_vehicle_disconnected_{vehicle_id}")
    )


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
