"""The target charge level: writes reach ev.energy, and failures say why."""

from __future__ import annotations

from collections.abc import AsyncIterator
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import entity_id, set_number, state


async def test_setting_the_level_writes_it_to_ev_energy(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "number", f"{vehicle_id}_target_charge_level")
    attributes = hass.states.get(target).attributes
    assert (attributes["min"], attributes["max"], attributes["step"]) == (50, 100, 1)

    await set_number(hass, target, 72)

    assert sim.state.vehicles[vehicle_id].maximum_charge_limit_percentage == 72
    assert float(hass.states.get(target).state) == 72
    # The write's answer carries no status log; the car's sensors keep the polled one.
    assert state(hass, "sensor", f"{vehicle_id}_battery_level").state != "unavailable"
    patches = [r for r in sim.requests if r.method == "PATCH" and vehicle_id in r.path]
    assert len(patches) == 1


async def test_a_write_answered_for_another_car_adds_no_phantom_car(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "number", f"{vehicle_id}_target_charge_level")
    levels_before = len(hass.states.async_entity_ids("number"))
    # ev.energy's answer to the PATCH names a car the account does not have.
    sim.faults.bad_value(f"vehicles.{vehicle_id}.id", "vhcl_phantom")
    mark = len(sim.requests)
    await set_number(hass, target, 66)
    sim.faults.clear()
    await hass.async_block_till_done()

    coordinator = integration.runtime_data.coordinator
    assert "vhcl_phantom" not in coordinator.data.vehicles
    assert len(hass.states.async_entity_ids("number")) == levels_before, (
        "no second Target charge level"
    )
    assert not any(
        "vhcl_phantom" in entry.unique_id
        for entry in er.async_entries_for_config_entry(er.async_get(hass), integration.entry_id)
    )
    # The account was read again instead, and shows the level ev.energy now holds.
    assert any(r.method == "GET" and r.path.startswith("/v2/vehicles") for r in sim.requests[mark:])
    assert float(hass.states.get(target).state) == 66


async def test_the_limit_change_shows_in_the_next_samples(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 60)
    await clock.run_for(900, step=60)
    assert float(state(hass, "sensor", f"{vehicle_id}_target_level").state) == 60


async def test_a_value_outside_50_to_100_is_refused_before_reaching_ev_energy(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    before = len(sim.requests)
    with pytest.raises(ServiceValidationError):
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 45)
    assert len(sim.requests) == before


async def test_ev_energy_failing_the_write_gives_a_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    before = sim.state.vehicles[vehicle_id].maximum_charge_limit_percentage
    sim.faults.server_errors(1, status=500, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 90)
    assert raised.value.translation_key == "command_failed"
    assert raised.value.translation_placeholders is not None
    assert "HTTP 500" in raised.value.translation_placeholders["error"]
    # A 503 is ev.energy failing to reach the car: every command says so (one decorator, one mapping).
    sim.faults.server_errors(1, status=503, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 90)
    assert raised.value.translation_key == "device_unreachable"
    assert sim.state.vehicles[vehicle_id].maximum_charge_limit_percentage == before


async def test_after_a_429_commands_and_polling_wait(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "number", f"{vehicle_id}_target_charge_level")
    sim.faults.rate_limit_now(retry_after=600, header="Retry-After")
    with pytest.raises(HomeAssistantError):
        await set_number(hass, target, 90)
    sent = len(sim.requests)
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, target, 91)
    assert raised.value.translation_key == "rate_limited"
    assert len(sim.requests) == sent, "nothing is sent while ev.energy asked us to wait"
    await clock.run_for(540, step=60)
    assert len(sim.requests) == sent, "polling waits too"
    await clock.run_for(180, step=60)
    assert len(sim.requests) > sent


async def test_ev_energy_refusing_the_value_is_a_validation_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.server_errors(1, status=400, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(ServiceValidationError) as raised:
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 90)
    assert raised.value.translation_key == "invalid_target_charge_level"


async def test_a_command_is_followed_by_a_few_quick_polls_then_normal_polling(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    await clock.run_for(600, step=60)
    await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 85)
    start = len(sim.requests)
    await clock.run_for(120, step=5)
    polls = [r for r in sim.requests[start:] if r.path == "/v2/vehicles"]
    assert len(polls) == 2, "polls after 10 and 30 seconds"
    interval = integration.runtime_data.coordinator.update_interval
    assert interval is not None
    assert interval.total_seconds() >= 60


@pytest.fixture
async def unintegrated(
    simulator_factory: Any, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Simulator]:
    """A simulator whose car ev.energy cannot read, with Home Assistant pointed at it."""
    async with simulator_factory("unintegrated") as sim:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        yield sim


@pytest.mark.usefixtures("credentials")
async def test_the_manual_battery_level_of_an_unintegrated_car_reaches_ev_energy(
    hass: HomeAssistant, unintegrated: Simulator
) -> None:
    sim = unintegrated
    entry = await set_up_entry(hass, sim)
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "number", f"{vehicle_id}_manual_battery_level")
    assert hass.states.get(target).state == "unknown"

    await set_number(hass, target, 37)
    assert sim.state.vehicles[vehicle_id].manual_state_of_charge_percentage == 37
    assert float(hass.states.get(target).state) == 37

    with pytest.raises(ServiceValidationError) as raised:
        await set_number(hass, target, math.nan)
    assert raised.value.translation_key == "not_a_number"
    sim.faults.server_errors(3, status=503, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, target, 50)
    assert raised.value.translation_key == "device_unreachable"
    sim.faults.clear()
    sim.faults.server_errors(
        1, status=400, path_prefix=f"/v2/vehicles/{vehicle_id}/state_of_charge"
    )
    with pytest.raises(ServiceValidationError) as raised:
        await set_number(hass, target, 50)
    assert raised.value.translation_key == "command_refused"
    assert sim.state.vehicles[vehicle_id].manual_state_of_charge_percentage == 37
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("credentials")
async def test_the_manual_battery_level_shows_after_a_reload_and_follows_the_readers_reads(
    hass: HomeAssistant, unintegrated: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The sessions reader reads the level of each car whose number listens: it needs nothing of polling."""
    sim = unintegrated
    entry = await set_up_entry(hass, sim)
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "number", f"{vehicle_id}_manual_battery_level")
    await set_number(hass, target, 37)
    # The first read at set-up comes before the number listens: the number has its level read once it does.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(hass.states.get(target).state) == 37

    # Entered in the ev.energy app: the reader's next read brings it.
    await _set_level_at_ev_energy(hass, sim, vehicle_id, 61)
    reader = entry.runtime_data.sessions
    assert reader.update_interval is not None
    await Clock(hass, sim, freezer).advance(reader.update_interval.total_seconds() + 30)
    assert float(hass.states.get(target).state) == 61
    await hass.config_entries.async_unload(entry.entry_id)


async def _set_level_at_ev_energy(
    hass: HomeAssistant, sim: Simulator, vehicle_id: str, level: int
) -> None:
    """Enter a manual level over the API, as the ev.energy app does."""
    token = sim.issue_token().access_token
    async with async_get_clientsession(hass).patch(
        f"{sim.api_base}/vehicles/{vehicle_id}/state_of_charge",
        json={"state_of_charge_percentage": level},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200, await response.text()


async def test_an_integrated_car_has_no_manual_battery_level(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    unique_id = f"{sim.vehicle_ids[0]}_manual_battery_level"
    assert er.async_get(hass).async_get_entity_id("number", DOMAIN, unique_id) is None
