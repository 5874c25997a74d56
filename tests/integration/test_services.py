"""The actions answer what the simulator holds, and refuse bad input with translated errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator

from .helpers import device_for


async def _call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _device(hass: HomeAssistant, ev_energy_id: str) -> str:
    device = device_for(hass, ev_energy_id)
    assert device is not None
    return device.id


async def test_get_charging_sessions_answers_the_simulators_sub_sessions_of_a_car(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    start = sim.clock.now() - timedelta(days=2)
    response = await _call(
        hass,
        "get_charging_sessions",
        config_entry_id=integration.entry_id,
        device_id=_device(hass, vehicle_id),
        start=start.isoformat(),
    )
    truth = sorted(
        (
            s
            for s in sim.state.sub_sessions.values()
            if s.vehicle_id == vehicle_id and s.start > start
        ),
        key=lambda s: s.start,
    )
    sessions = response["sessions"]
    assert [s["id"] for s in sessions] == [s.id for s in truth]
    for answered, sub in zip(sessions, truth, strict=True):
        assert answered["session_id"] == sub.session_id
        assert answered["start"] == sub.start.isoformat()
        assert answered["end"] == (sub.end.isoformat() if sub.end else None)
        assert answered["mode"] == sub.mode.lower()
        assert answered["energy_kwh"] == sub.energy_delivered_watt_hours / 1000
        assert answered["solar_energy_kwh"] == sub.solar_energy_delivered_watt_hours / 1000
        grid = sub.energy_delivered_watt_hours - sub.solar_energy_delivered_watt_hours
        assert answered["grid_energy_kwh"] == grid / 1000
        assert answered["cost"] == round(sub.cost_pence) / 100
        assert answered["currency"] == "GBP"
        assert answered["co2_grams"] == round(sub.co2_grams)
    # The car's filter reached ev.energy; the period too.
    read = [r for r in sim.requests if r.path == "/v2/charging_sub_sessions"][-1]
    assert read.query["vehicle_id"] == [vehicle_id]
    assert "start__gt" in read.query


async def test_get_charging_sessions_of_the_account_in_a_period(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    end = sim.clock.now() - timedelta(hours=12)
    response = await _call(
        hass, "get_charging_sessions", config_entry_id=integration.entry_id, end=end
    )
    truth = [
        s.id
        for s in sorted(sim.state.sub_sessions.values(), key=lambda s: s.start)
        if s.start < end
    ]
    assert [s["id"] for s in response["sessions"]] == truth


@pytest.mark.parametrize("length", [timedelta(hours=-6), timedelta(0)], ids=["reversed", "empty"])
async def test_a_period_that_ends_before_it_starts_is_refused_before_any_request(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, length: timedelta
) -> None:
    start = sim.clock.now() - timedelta(hours=12)
    mark = len(sim.requests)
    with pytest.raises(ServiceValidationError) as raised:
        await _call(
            hass,
            "get_charging_sessions",
            config_entry_id=integration.entry_id,
            start=start,
            end=start + length,
        )
    assert raised.value.translation_key == "reversed_period"
    assert raised.value.translation_placeholders == {
        "start": start.isoformat(),
        "end": (start + length).isoformat(),
    }
    assert str(raised.value) == (
        f"The period ends ({(start + length).isoformat()}) before it starts ({start.isoformat()}): "
        "swap the two times"  # Home Assistant drops the final full stop
    )
    assert len(sim.requests) == mark, "nothing asked of ev.energy"


async def test_get_charging_schedule_answers_the_simulators_plan(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    response = await _call(
        hass,
        "get_charging_schedule",
        config_entry_id=integration.entry_id,
        device_id=_device(hass, vehicle_id),
    )
    session = sim.engine.session_of_vehicle(vehicle_id)
    schedule = sim.state.sub_sessions[session.sub_session_ids[-1]].schedule
    on = [slot for slot in schedule if slot.current_milliamps > 0]
    slots = response["slots"]
    assert slots
    assert slots[0]["start"] == on[0].started_at.isoformat()
    assert slots[-1]["end"] == (on[-1].started_at + timedelta(minutes=30)).isoformat()
    assert {slot["current"] for slot in slots} == {on[0].current_milliamps / 1000}
    minutes = sum(
        (dt_util.parse_datetime(s["end"]) - dt_util.parse_datetime(s["start"])).total_seconds() / 60
        for s in slots
    )
    assert minutes == 30 * len(on)


async def test_actions_refuse_unknown_entries_and_devices(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, "get_charging_sessions", config_entry_id="nope")
    assert raised.value.translation_key == "entry_not_found"
    account = _device(hass, sim.primary_user_id)
    with pytest.raises(ServiceValidationError) as raised:
        await _call(
            hass, "get_charging_schedule", config_entry_id=integration.entry_id, device_id=account
        )
    assert raised.value.translation_key == "not_a_charger_or_car"
    await hass.config_entries.async_unload(integration.entry_id)
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, "get_charging_sessions", config_entry_id=integration.entry_id)
    assert raised.value.translation_key == "entry_not_loaded"


async def test_an_api_failure_gives_a_translated_error(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.faults.server_errors(5, status=500, path_prefix="/v2/charging_sub_sessions")
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, "get_charging_sessions", config_entry_id=integration.entry_id)
    assert raised.value.translation_key == "sessions_read_failed"


async def test_get_charging_sessions_of_a_charger_and_an_unknown_device(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    response = await _call(
        hass,
        "get_charging_sessions",
        config_entry_id=integration.entry_id,
        device_id=_device(hass, evse_id),
    )
    truth = sorted(
        (s for s in sim.state.sub_sessions.values() if s.evse_id == evse_id), key=lambda s: s.start
    )
    assert [s["id"] for s in response["sessions"]] == [s.id for s in truth]
    assert {s["charger_id"] for s in response["sessions"]} == {evse_id}
    with pytest.raises(ServiceValidationError) as raised:
        await _call(
            hass, "get_charging_sessions", config_entry_id=integration.entry_id, device_id="unknown"
        )
    assert raised.value.translation_key == "not_a_charger_or_car"


async def test_an_action_meeting_a_429_makes_everything_wait(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    sim.faults.rate_limit_now(retry_after=300, path_prefix="/v2/charging_sub_sessions")
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, "get_charging_sessions", config_entry_id=integration.entry_id)
    # The 429 itself already says how long everything waits.
    assert raised.value.translation_key == "rate_limited"
    assert raised.value.translation_placeholders == {"seconds": "300"}
    sim.requests.reset()
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, "get_charging_sessions", config_entry_id=integration.entry_id)
    assert raised.value.translation_key == "rate_limited"
    assert not sim.requests
