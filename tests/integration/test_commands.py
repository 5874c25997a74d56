"""Every command goes through one gate: the polling path's token rule, rate limits, translated errors."""

from __future__ import annotations

import math
import time

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .helpers import entity_id, reauth_flows, set_number, update_entity


async def _set_target(hass: HomeAssistant, sim: Simulator, value: float | str) -> None:
    target = entity_id(hass, "number", f"{sim.vehicle_ids[0]}_target_charge_level")
    await set_number(hass, target, value)


async def test_a_command_with_a_revoked_access_token_succeeds_after_one_refresh(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    old_access = integration.data["token"]["access_token"]
    # ev.energy dropped the access token before it expired; the refresh token still works.
    sim.oauth.access_tokens[old_access].revoked = True
    start = len(sim.requests)

    await _set_target(hass, sim, 66)

    assert sim.state.vehicles[vehicle_id].maximum_charge_limit_percentage == 66
    sent = [(r.method, r.path, r.status) for r in sim.requests[start:]]
    patch = ("PATCH", f"/v2/vehicles/{vehicle_id}")
    assert sent == [(*patch, 401), ("POST", "/o/token/", 200), (*patch, 200)], (
        "one refresh, one retry, no waiting for a poll"
    )
    assert integration.data["token"]["access_token"] != old_access
    assert not reauth_flows(hass)


async def test_a_command_refused_even_with_a_fresh_token_starts_reauthentication(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.server_errors(2, status=401, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await _set_target(hass, sim, 70)
    assert raised.value.translation_key == "command_unauthorized"
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1
    assert len([r for r in sim.requests if r.path == "/o/token/"]) == 1


@pytest.mark.parametrize("expired", [False, True], ids=["revoked", "revoked-and-expired"])
async def test_a_command_whose_token_cannot_be_refreshed_starts_reauthentication(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, expired: bool
) -> None:
    sim.faults.revoke_tokens(user_id=sim.primary_user_id)
    if expired:
        # The refresh then happens before the command is sent, not after a 401.
        token = {**integration.data["token"], "expires_at": time.time() - 10}
        hass.config_entries.async_update_entry(
            integration, data={**integration.data, "token": token}
        )
    with pytest.raises(HomeAssistantError) as raised:
        await _set_target(hass, sim, 70)
    assert raised.value.translation_key == "command_unauthorized"
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1


async def test_a_command_whose_token_endpoint_is_down_fails_without_reauthentication(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.oauth.access_tokens[integration.data["token"]["access_token"]].revoked = True
    sim.faults.server_errors(1, status=503, path_prefix="/o/token/")
    with pytest.raises(HomeAssistantError) as raised:
        await _set_target(hass, sim, 70)
    assert raised.value.translation_key == "command_failed"
    await hass.async_block_till_done()
    assert not reauth_flows(hass)


async def test_a_429_on_a_command_says_how_long_to_wait(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.faults.rate_limit_now(retry_after=120, path_prefix=f"/v2/vehicles/{sim.vehicle_ids[0]}")
    with pytest.raises(HomeAssistantError) as raised:
        await _set_target(hass, sim, 70)
    assert raised.value.translation_key == "rate_limited"
    assert raised.value.translation_placeholders == {"seconds": "120"}
    # One bucket for commands and polls: the next poll waits too.
    sim.requests.reset()
    await update_entity(hass, entity_id(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level"))
    assert not sim.requests


@pytest.mark.parametrize("value", [math.nan, "nan"])
async def test_not_a_number_is_refused_before_reaching_ev_energy(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, value: float | str
) -> None:
    start = len(sim.requests)
    with pytest.raises(ServiceValidationError) as raised:
        await _set_target(hass, sim, value)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "not_a_number"
    assert len(sim.requests) == start


@pytest.mark.parametrize("value", [math.inf, -math.inf])
async def test_infinity_is_refused_before_reaching_ev_energy(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, value: float | str
) -> None:
    # Home Assistant's range check already refuses both infinities (translated by the number platform).
    start = len(sim.requests)
    with pytest.raises(ServiceValidationError):
        await _set_target(hass, sim, value)
    assert len(sim.requests) == start
