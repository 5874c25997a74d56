"""Setting up, failing to set up, reauthenticating and unloading, against the simulator."""

from __future__ import annotations

import asyncio
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import device_for, when_stuck_in


def _reauth_flows(hass: HomeAssistant) -> list[dict]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"]["source"] == SOURCE_REAUTH
    ]


def _expire_token(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    token = {**entry.data["token"], "expires_at": time.time() - 10}
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": token})


async def test_setup_and_unload(hass: HomeAssistant, integration: MockConfigEntry) -> None:
    assert integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(integration.entry_id)
    assert integration.state is ConfigEntryState.NOT_LOADED
    for state in hass.states.async_all():
        if state.entity_id.split(".")[0] in ("sensor", "binary_sensor", "number"):
            assert state.state == "unavailable"


@pytest.mark.usefixtures("credentials")
async def test_api_errors_at_setup_retry_later(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    sim.faults.server_errors(10, status=500, path_prefix="/v2/")
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not _reauth_flows(hass)


@pytest.mark.usefixtures("credentials")
async def test_an_expired_token_is_refreshed_and_the_new_refresh_token_kept(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    _expire_token(hass, config_entry)
    old_refresh = config_entry.data["token"]["refresh_token"]
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.data["token"]["refresh_token"] != old_refresh
    assert config_entry.data["token"]["expires_at"] > time.time()
    await hass.config_entries.async_unload(config_entry.entry_id)


@pytest.mark.usefixtures("credentials")
async def test_a_refused_refresh_starts_reauthentication(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    _expire_token(hass, config_entry)
    sim.faults.revoke_tokens(user_id=sim.primary_user_id)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert len(_reauth_flows(hass)) == 1


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.usefixtures("credentials")
async def test_a_busy_token_endpoint_never_starts_reauthentication(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry, status: int
) -> None:
    config_entry.add_to_hass(hass)
    _expire_token(hass, config_entry)
    sim.faults.server_errors(5, status=status, path_prefix="/o/token/")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not _reauth_flows(hass)


async def test_tokens_revoked_while_running_start_one_reauthentication(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    sim.faults.revoke_tokens(user_id=sim.primary_user_id)
    await clock.run_for(900, step=60)
    assert len(_reauth_flows(hass)) == 1
    assert not integration.runtime_data.coordinator.last_update_success
    token_requests = [entry for entry in sim.requests if entry.path.startswith("/o/token/")]
    # One refresh attempt, not a loop.
    assert len(token_requests) == 1


async def test_devices_added_to_the_account_appear_without_a_reload(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    registry = dr.async_get(hass)
    before = {
        device.id for device in dr.async_entries_for_config_entry(registry, integration.entry_id)
    }
    new_evse = sim.faults.add_evse().id
    await clock.run_for(600, step=60)
    device = device_for(hass, new_evse)
    assert device is not None
    assert device.id not in before
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    assert any(entity.unique_id == f"{new_evse}_charge_power" for entity in entities)


async def test_devices_removed_from_the_account_are_removed(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    assert device_for(hass, vehicle_id) is not None
    sim.faults.remove_vehicle(vehicle_id)
    await clock.run_for(600, step=60)
    assert device_for(hass, vehicle_id) is None


async def test_only_devices_gone_from_the_account_can_be_deleted_by_the_user(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "config", {})
    registry = dr.async_get(hass)
    current = device_for(hass, sim.evse_ids[0])
    stale = registry.async_get_or_create(
        config_entry_id=integration.entry_id,
        identifiers={(DOMAIN, "evse01STALE0000000000000000000")},
    )
    client = await hass_ws_client(hass)
    for device, allowed in ((current, False), (stale, True)):
        assert device is not None
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": integration.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is allowed


@pytest.mark.usefixtures("credentials")
async def test_a_slow_reader_does_not_hold_up_the_others_at_setup(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    """The readers beside polling read side by side: the carbon forecast's held read delays none of the others."""
    config_entry.add_to_hass(hass)
    sim.faults.delay(5, count=1, path_prefix="/v2/carbon_feeds")
    setup = await when_stuck_in(
        sim, sim.faults.state.bursts[-1], hass.config_entries.async_setup(config_entry.entry_id)
    )
    others = ("/live_power", "/v2/solar_forecasts", "/location_logs", "/prices")

    def served() -> set[str]:
        return {end for end in others for r in sim.requests if r.path.endswith(end)}

    for _ in range(100_000):
        if served() == set(others):
            break
        await asyncio.sleep(0)
    assert served() == set(others), "every other reader read while the carbon forecast was held"
    assert not setup.done()
    freezer.tick(6)
    assert await setup
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.carbon.data is not None
    assert await hass.config_entries.async_unload(config_entry.entry_id)
