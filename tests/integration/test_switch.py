"""Smart charging and Charge now reach ev.energy, and every refusal says why."""

from __future__ import annotations

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator

from .conftest import set_up_entry
from .helpers import entity_id, state


async def _switch(hass: HomeAssistant, service: str, target: str) -> None:
    await hass.services.async_call(SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: target}, blocking=True)


def _mode(sim: Simulator) -> str | None:
    session = sim.engine.session_of_vehicle(sim.vehicle_ids[0])
    sub = sim.state.sub_sessions[session.sub_session_ids[-1]] if session else None
    return None if sub is None or sub.end is not None else sub.mode


async def test_charge_now_boosts_the_open_session_and_ends_the_boost(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    target = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    assert _mode(sim) == "SMART"
    assert hass.states.get(target).state == "off"

    await _switch(hass, SERVICE_TURN_ON, target)
    assert _mode(sim) == "BOOST"
    assert hass.states.get(target).state == "on"

    await _switch(hass, SERVICE_TURN_OFF, target)
    assert _mode(sim) == "SMART"
    assert hass.states.get(target).state == "off"


async def test_charge_now_with_nothing_to_boost_gives_the_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    target = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    # The car was unplugged after the last read: ev.energy answers 409.
    sim.engine.unplug(sim.state.vehicles[sim.vehicle_ids[0]])
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(hass, SERVICE_TURN_ON, target)
    assert raised.value.translation_key == "nothing_to_boost"


async def test_smart_charging_refused_with_409_says_why_in_full(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "switch", f"{vehicle_id}_smart_charging")
    sim.faults.server_errors(1, status=409, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(hass, SERVICE_TURN_OFF, target)
    assert raised.value.translation_key == "command_refused"
    message = str(raised.value)
    assert message.startswith("ev.energy refused the command: "), message
    assert "{" not in message, f"a placeholder was left unfilled: {message}"


async def test_charge_now_off_when_not_boosting_gives_the_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    target = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(hass, SERVICE_TURN_OFF, target)
    assert raised.value.translation_key == "not_boosting"


async def test_an_unreachable_charger_gives_the_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.faults.device_unreachable(sim.evse_ids[0])
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(
            hass, SERVICE_TURN_ON, entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
        )
    assert raised.value.translation_key == "device_unreachable"
    assert _mode(sim) == "SMART"


async def test_a_sign_in_without_the_write_permission_gives_the_translated_error(
    hass: HomeAssistant, sim: Simulator, credentials: None
) -> None:
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {"charging_session:write"})
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(
            hass, SERVICE_TURN_ON, entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
        )
    assert raised.value.translation_key == "command_forbidden"
    assert _mode(sim) == "SMART"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_smart_charging_off_reaches_ev_energy_and_leaves_nothing_to_boost(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    smart = entity_id(hass, "switch", f"{vehicle_id}_smart_charging")
    assert hass.states.get(smart).state == "on"

    await _switch(hass, SERVICE_TURN_OFF, smart)
    assert sim.state.vehicles[vehicle_id].smart_charging_enabled is False
    assert hass.states.get(smart).state == "off"
    assert _mode(sim) == "UNMANAGED_HOME"
    # The reader read the new mode right after the write: a session without smart charging cannot be boosted.
    assert state(hass, "switch", f"{sim.evse_ids[0]}_charge_now").state == STATE_UNAVAILABLE

    await _switch(hass, SERVICE_TURN_ON, smart)
    assert sim.state.vehicles[vehicle_id].smart_charging_enabled is True
    assert _mode(sim) == "SMART"
    assert state(hass, "switch", f"{sim.evse_ids[0]}_charge_now").state == "off"


async def test_a_refused_smart_charging_write_gives_the_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.server_errors(1, status=500, path_prefix=f"/v2/vehicles/{vehicle_id}")
    with pytest.raises(HomeAssistantError) as raised:
        await _switch(
            hass, SERVICE_TURN_OFF, entity_id(hass, "switch", f"{vehicle_id}_smart_charging")
        )
    assert raised.value.translation_key == "command_failed"
    assert sim.state.vehicles[vehicle_id].smart_charging_enabled is True


async def test_charge_now_without_a_held_session_refuses_before_reaching_ev_energy(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.engine.unplug(sim.state.vehicles[sim.vehicle_ids[0]])
    await integration.runtime_data.sessions.async_refresh()
    target = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    assert hass.states.get(target).state == STATE_UNAVAILABLE
    # An automation racing the read: the entity itself refuses.
    switch = hass.data[SWITCH_DOMAIN].get_entity(target)
    sim.requests.reset()
    with pytest.raises(HomeAssistantError) as raised:
        await switch.async_turn_on()
    assert raised.value.translation_key == "nothing_to_boost"
    assert not [r for r in sim.requests if r.method == "POST"]


async def test_charge_now_shows_its_effect_even_when_the_readers_reserve_is_spent(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    reader = integration.runtime_data.sessions
    # The reader spends its hour's reserve on reads, until a read sends nothing.
    for _ in range(100):
        sent = len(sim.requests)
        await reader.async_refresh()
        if len(sim.requests) == sent:
            break
    else:
        pytest.fail("the reader's reserve never ran out")

    target = entity_id(hass, "switch", f"{sim.evse_ids[0]}_charge_now")
    await _switch(hass, SERVICE_TURN_ON, target)
    assert _mode(sim) == "BOOST"
    assert hass.states.get(target).state == "on"
