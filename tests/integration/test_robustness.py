"""Bad answers from ev.energy: unknown values, nulls, missing scopes, refused tokens, restarts."""

from __future__ import annotations

from datetime import timedelta
import time

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import device_for, state


def _reauth_flows(hass: HomeAssistant) -> list[dict]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_an_unknown_enum_value_shows_unknown_and_a_null_makes_the_entity_unavailable(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.unknown_enum("vehicles.*.latest_status_log.state", "TELEPORTING")
    sim.faults.null_field("vehicles.*.latest_status_log.state_of_charge_percentage")
    await clock.run_for(600, step=60)
    assert state(hass, "sensor", f"{vehicle_id}_vehicle_state").state == "unknown"
    assert state(hass, "sensor", f"{vehicle_id}_battery_level").state == "unavailable"
    assert state(hass, "binary_sensor", f"{vehicle_id}_plugged_in").state != "unavailable"

    sim.faults.clear()
    await clock.run_for(600, step=60)
    assert state(hass, "sensor", f"{vehicle_id}_vehicle_state").state not in (
        "unknown",
        "unavailable",
    )
    assert state(hass, "sensor", f"{vehicle_id}_battery_level").state != "unavailable"


@pytest.mark.parametrize("fault", ["malformed_json", "html_error"])
@pytest.mark.usefixtures("credentials")
async def test_a_broken_answer_at_setup_retries_later(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry, fault: str
) -> None:
    getattr(sim.faults, fault)(count=5, path_prefix="/v2/evses")
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert "ev.energy" in config_entry.reason
    assert not _reauth_flows(hass)


@pytest.mark.usefixtures("credentials")
async def test_without_the_inverter_and_account_scopes_the_rest_still_works(
    hass: HomeAssistant, sim: Simulator, clock: Clock
) -> None:
    scopes = ["evse:read", "vehicle:read", "vehicle:write", "charging_session:read"]
    entry = await set_up_entry(hass, sim, scopes=scopes)
    await clock.run_for(900, step=60)

    assert state(hass, "sensor", f"{sim.evse_ids[0]}_charge_power").state != "unavailable"
    assert device_for(hass, sim.inverter_ids[0]) is None
    assert not [
        entity
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.unique_id.startswith(sim.inverter_ids[0])
    ]
    assert (
        state(hass, "sensor", f"{sim.primary_user_id}_grid_carbon_intensity").state == "unavailable"
    )
    inverter_reads = [r for r in sim.requests if r.path.startswith("/v2/inverters")]
    assert [r.status for r in inverter_reads] == [403], "a refused collection is asked only hourly"
    issues = ir.async_get(hass)
    for name, scope in (("inverters", "inverter:read"), ("account", "user:read")):
        issue = issues.async_get_issue(DOMAIN, f"{entry.entry_id}_missing_scope_{name}")
        assert issue is not None
        assert issue.translation_placeholders == {"scope": scope}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_revoked_access_token_is_replaced_without_bothering_the_user(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    # Only the access token: ev.energy may drop it (e.g. a server-side reset) while the refresh token lives.
    sim.oauth.access_tokens[integration.data["token"]["access_token"]].revoked = True
    await clock.run_for(600, step=60)
    assert not _reauth_flows(hass)
    assert integration.runtime_data.coordinator.last_update_success
    assert sim.oauth.validate(integration.data["token"]["access_token"]) is not None


async def test_an_api_refusing_even_fresh_tokens_starts_reauthentication_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    sim.faults.server_errors(1000, status=401, path_prefix="/v2/")
    await clock.run_for(1200, step=60)
    assert len(_reauth_flows(hass)) == 1
    refreshes = [r for r in sim.requests if r.path.startswith("/o/token/")]
    assert len(refreshes) == 1


async def test_removed_application_credentials_ask_the_user_to_sign_in_again(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "application_credentials", {})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert len(_reauth_flows(hass)) == 1


@pytest.mark.usefixtures("credentials")
async def test_an_unreachable_token_endpoint_retries_later(
    hass: HomeAssistant,
    sim: Simulator,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on port 9 of the loopback interface.
    monkeypatch.setenv(API_ORIGIN_ENV, "http://127.0.0.1:9")
    token = {**config_entry.data["token"], "expires_at": time.time() - 10}
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, data={**config_entry.data, "token": token})
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not _reauth_flows(hass)


async def test_a_sample_dated_in_the_future_is_not_fresh(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    future = sim.clock.now() + timedelta(hours=6)
    sim.faults.unknown_enum("evses.*.latest_status_log.sampled_at", future.isoformat())
    await clock.run_for(600, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "off"
    assert state(hass, "sensor", f"{evse_id}_charge_power").state == "unavailable"
    assert state(hass, "binary_sensor", f"{sim.vehicle_ids[0]}_plugged_in").state != "unavailable"
