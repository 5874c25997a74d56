"""The charging calendar: past sessions and planned slots, as the simulator has them."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN, SERVICE_GET_EVENTS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator

from .helpers import entity_id


async def _events(
    hass: HomeAssistant, target: str, start: object, end: object
) -> list[dict[str, str]]:
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        SERVICE_GET_EVENTS,
        {ATTR_ENTITY_ID: target, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    return response[target]["events"]  # type: ignore[index, return-value]


def _utc(text: str) -> str:
    parsed = dt_util.parse_datetime(text)
    assert parsed is not None
    return dt_util.as_utc(parsed).isoformat()


async def test_calendar_shows_the_simulators_sessions_and_planned_slots(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    target = entity_id(hass, "calendar", f"{vehicle_id}_charging_calendar")
    now = sim.clock.now()
    events = await _events(hass, target, now - timedelta(days=2), now + timedelta(days=1))

    sessions = [s for s in sim.state.sessions.values() if s.vehicle_id == vehicle_id]
    past = [e for e in events if e["summary"] == "Charging session"]
    assert [_utc(e["start"]) for e in past] == [s.start.isoformat() for s in sessions]
    finished = sessions[0]
    assert _utc(past[0]["end"]) == finished.end.isoformat()
    subs = [sim.state.sub_sessions[s] for s in finished.sub_session_ids]
    energy = sum(sub.energy_delivered_watt_hours for sub in subs)
    cost = sum(round(sub.cost_pence) for sub in subs)
    assert f"Energy: {energy / 1000:.2f} kWh" in past[0]["description"]
    assert f"Cost: {cost / 100:.2f} GBP" in past[0]["description"]
    assert f"Mode: {subs[-1].mode.lower()}" in past[0]["description"]

    running = sim.state.sub_sessions[sessions[-1].sub_session_ids[-1]]
    on = sorted(slot.started_at for slot in running.schedule if slot.current_milliamps > 0)
    planned = [e for e in events if e["summary"] == "Planned charging"]
    assert planned, "the smart session has planned slots"
    assert _utc(planned[0]["start"]) == on[0].isoformat()
    assert _utc(planned[-1]["end"]) == (on[-1] + timedelta(minutes=30)).isoformat()
    covered = sum(
        (dt_util.parse_datetime(e["end"]) - dt_util.parse_datetime(e["start"]) for e in planned),
        timedelta(),
    )
    assert covered == timedelta(minutes=30) * len(on)


async def test_calendar_state_is_on_during_a_planned_slot(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    target = entity_id(hass, "calendar", f"{sim.vehicle_ids[0]}_charging_calendar")
    # The car is plugged in: the open session is the event in progress.
    current = hass.states.get(target)
    assert current.state == "on"
    assert current.attributes["message"] == "Charging session"
