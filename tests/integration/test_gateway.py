"""Every request goes through the entry's gateway: one budget counted by caller, one token state, one error mapping."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_energy.const import DOMAIN
from simulator.requestlog import RequestRecord
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import entity_id, reauth_flows, set_number, update_entity, when_stuck_in

SESSIONS_PATHS = ("/v2/charging_sub_sessions", "/v2/charging_sessions")
HOME_ENERGY_PATHS = ("/v2/hem_systems",)


def _sent(sim: Simulator, start: int) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in sim.requests[start:]]


async def _charging_sessions(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Call the sessions action, as an automation does."""
    await hass.services.async_call(
        DOMAIN,
        "get_charging_sessions",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    return await get_diagnostics_for_config_entry(hass, hass_client, entry)


@pytest.mark.parametrize("expired", [False, True], ids=["revoked", "revoked-and-expired"])
async def test_after_a_refused_refresh_nothing_more_is_sent_and_reauthentication_starts_once(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    expired: bool,
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.revoke_tokens(user_id=sim.primary_user_id)
    if expired:
        # The refresh then comes before the first request, not after a 401.
        token = {**integration.data["token"], "expires_at": time.time() - 10}
        hass.config_entries.async_update_entry(
            integration, data={**integration.data, "token": token}
        )
    # The sessions reader meets the refusal first, in its own read.
    start = len(sim.requests)
    await update_entity(hass, entity_id(hass, "sensor", f"{sim.evse_ids[0]}_session_energy"))
    refused = [("POST", "/o/token/", 400)]
    first = [] if expired else [("GET", "/v2/charging_sub_sessions", 401)]
    assert _sent(sim, start) == [*first, *refused]

    # Every caller after that: a command, an action, then an hour of polls and home energy.
    start = len(sim.requests)
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 70)
    assert raised.value.translation_key == "command_unauthorized"
    with pytest.raises(HomeAssistantError) as raised:
        await _charging_sessions(hass, integration)
    assert raised.value.translation_key == "token_refused"
    await clock.run_for(3900, step=300)
    assert _sent(sim, start) == [], "nothing is sent with a refused sign-in, not even the token"
    assert len(reauth_flows(hass)) == 1


async def _session_read_and_action_at_once(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> list[Any]:
    """Send the sessions reader's request and the sessions action's with the same token, whatever the load.

    The reader's request is held at the simulator until the action is done (its 401, the refresh and whatever
    follows); then it is answered, with its 401 for the token it carried.
    """
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    sensor = entity_id(hass, "sensor", f"{sim.evse_ids[0]}_session_energy")
    sim.faults.delay(5, count=1, path_prefix="/v2/charging_sub_sessions")
    held = await when_stuck_in(sim, sim.faults.state.bursts[-1], update_entity(hass, sensor))
    action = await asyncio.gather(_charging_sessions(hass, entry), return_exceptions=True)
    freezer.tick(6)
    read = await asyncio.gather(held, return_exceptions=True)
    return [*read, *action]


async def test_two_callers_meeting_a_refused_token_at_once_refresh_it_once(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    integration: MockConfigEntry,
) -> None:
    # ev.energy dropped the access token before it expired; the refresh token still works.
    sim.oauth.access_tokens[integration.data["token"]["access_token"]].revoked = True
    start = len(sim.requests)
    results = await _session_read_and_action_at_once(hass, sim, freezer)
    assert results == [None, None]
    sent = _sent(sim, start)
    assert [status for _, _, status in sent].count(401) == 2, "both were sent with the old token"
    assert [path for _, path, _ in sent].count("/o/token/") == 1
    assert not reauth_flows(hass)


async def test_two_callers_meeting_a_refused_sign_in_at_once_send_the_refresh_token_once(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    integration: MockConfigEntry,
) -> None:
    sim.faults.revoke_tokens(user_id=sim.primary_user_id)
    start = len(sim.requests)
    results = await _session_read_and_action_at_once(hass, sim, freezer)
    assert isinstance(results[1], HomeAssistantError)
    assert results[1].translation_key == "token_refused"
    sent = _sent(sim, start)
    assert [status for _, _, status in sent].count(401) == 2
    assert [path for _, path, _ in sent].count("/o/token/") == 1
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1


async def test_a_401_in_the_home_energy_reader_is_refreshed_and_retried(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    old_access = integration.data["token"]["access_token"]
    sim.faults.server_errors(1, status=401, path_prefix="/v2/hem_systems")
    start = len(sim.requests)
    # The next hour's read is due five minutes after it ends.
    await clock.run_for(3900, step=300)
    sent = [
        request
        for request in _sent(sim, start)
        if request[1].startswith(HOME_ENERGY_PATHS) or request[1] == "/o/token/"
    ]
    assert [status for _, _, status in sent[:3]] == [401, 200, 200]
    assert sent[1][:2] == ("POST", "/o/token/")
    assert sent[0][1] == sent[2][1], "the same read is sent again with the fresh token"
    assert integration.data["token"]["access_token"] != old_access
    assert not reauth_flows(hass)


async def test_commands_actions_and_the_options_flow_are_counted_in_the_budget(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 71)
    await _charging_sessions(hass, integration)
    flow = await hass.config_entries.options.async_init(integration.entry_id)
    hass.config_entries.options.async_abort(flow["flow_id"])

    counted = (await _diagnostics(hass, hass_client, integration))["polling"][
        "sent_last_hour_by_caller"
    ]
    assert counted["command"] == len(sim.requests.for_endpoint("PATCH /v2/vehicles/{vehicle_id}"))
    assert counted["command"] == 1
    assert counted["action"] == 1
    assert counted["config_flow"] == 1  # the webhook portal link
    assert sum(counted.values()) == len([r for r in sim.requests if r.path.startswith("/v2")])


async def test_a_429_met_by_a_command_blocks_polling_and_the_readers(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.rate_limit_now(retry_after=600, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await set_number(hass, entity_id(hass, "number", f"{vehicle_id}_target_charge_level"), 72)
    assert raised.value.translation_key == "rate_limited"
    assert raised.value.translation_placeholders == {"seconds": "600"}
    sim.requests.reset()
    await update_entity(hass, entity_id(hass, "sensor", f"{sim.evse_ids[0]}_session_energy"))
    await clock.run_for(570, step=30)
    assert not sim.requests
    await clock.run_for(120, step=30)
    assert sim.requests.for_endpoint("GET /v2/evses")


async def test_the_sessions_and_home_energy_readers_count_only_their_own_requests(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    runtime = integration.runtime_data
    # The sessions read is held at the simulator while the home energy reader reads: their requests interleave.
    sim.faults.delay(5, count=1, path_prefix="/v2/charging_sub_sessions")
    home_before = len(_home_energy_requests(sim))
    sessions_read = await when_stuck_in(
        sim, sim.faults.state.bursts[-1], runtime.sessions.async_refresh()
    )
    await runtime.home_energy.async_refresh()
    assert len(_home_energy_requests(sim)) > home_before, "the home energy read ran meanwhile"
    freezer.tick(6)
    await sessions_read

    diagnostics = await _diagnostics(hass, hass_client, integration)
    sessions_sent = [
        r
        for r in sim.requests
        if r.path.startswith(SESSIONS_PATHS) or r.path.endswith("/state_of_charge")
    ]
    counted = diagnostics["polling"]["sent_last_hour_by_caller"]
    # Both readers list the systems on the same route: live power's lists are what it counted beyond its reads.
    live_reads = [r for r in sim.requests if r.route.endswith("/live_power")]
    live_lists = counted["live_power"] - len(live_reads)
    home_sent = len(_home_energy_requests(sim)) - live_lists
    assert diagnostics["sessions"]["sent_last_hour"] == len(sessions_sent)
    assert diagnostics["home_energy"]["sent_last_hour"] == home_sent
    assert counted["sessions"] == len(sessions_sent)
    assert counted["home_energy"] == home_sent


def _home_energy_requests(sim: Simulator) -> list[RequestRecord]:
    # Live power reads under the same systems, on its own route (its list of systems is told apart below).
    return [
        r
        for r in sim.requests
        if r.path.startswith(HOME_ENERGY_PATHS) and not r.route.endswith("/live_power")
    ]
