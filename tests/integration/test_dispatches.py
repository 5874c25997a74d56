"""The *Smart charge slot active* sensor's slots in Octopus Energy's layout, against the simulator's plan and delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_dumps
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator
from simulator.world import ChargingSubSession

from .conftest import Clock
from .helpers import admin, entity_id, state, until_shown

HALF_HOUR = timedelta(minutes=30)


def _as_predbat_parses(text: str) -> datetime:
    """Return a dispatch's start or end as Predbat parses it (TIME_FORMAT in its const.py): no fraction of a second."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def _as_predbat_reads_them(hass: HomeAssistant, unique_id: str) -> dict[str, Any]:
    """Return the sensor's state as Home Assistant's API sends it (JSON), which is what Predbat reads."""
    current = hass.states.get(entity_id(hass, "binary_sensor", unique_id))
    assert current is not None
    sent: dict[str, Any] = json.loads(json_dumps(current.as_dict()))
    for key in ("planned_dispatches", "completed_dispatches"):
        for item in sent["attributes"][key]:
            item["start"] = _as_predbat_parses(item["start"])
            item["end"] = _as_predbat_parses(item["end"])
    return sent


def _sub_session(sim: Simulator) -> ChargingSubSession:
    session = sim.engine.session_of_vehicle(sim.vehicle_ids[0])
    assert session is not None
    return sim.state.sub_sessions[session.sub_session_ids[-1]]


def _planned_by_the_simulator(sim: Simulator, after: datetime) -> list[dict[str, Any]]:
    """Return the simulator's charging half-hours not over yet, joined where they follow each other."""
    joined: list[dict[str, Any]] = []
    for slot in sorted(_sub_session(sim).schedule, key=lambda slot: slot.started_at):
        end = slot.started_at + timedelta(seconds=slot.interval_seconds or 0)
        if slot.current_milliamps <= 0 or end <= after:
            continue
        if joined and joined[-1]["end"] == slot.started_at:
            joined[-1]["end"] = end
        else:
            joined.append({"start": slot.started_at, "end": end})
    return [{**slot, "source": "smart-charge", "location": "AT_HOME"} for slot in joined]


def _delivered_by_the_simulator(sub: ChargingSubSession, before: datetime) -> list[tuple[Any, ...]]:
    """Return the half-hours the simulator delivered energy in and ended before a time, joined, with their kWh."""
    joined: list[list[Any]] = []
    for usage in sorted(sub.intervals.values(), key=lambda usage: usage.started_at):
        end = usage.started_at + HALF_HOUR
        if usage.watt_hours <= 0 or end > before:
            continue
        if joined and joined[-1][1] == usage.started_at:
            joined[-1][1:] = [end, joined[-1][2] + usage.watt_hours]
        else:
            joined.append([usage.started_at, end, usage.watt_hours])
    return [(start, end, round(wh / 1000, 3)) for start, end, wh in joined]


def _shown_completed(sent: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (item["start"], item["end"], item["charge_in_kwh"])
        for item in sent["attributes"]["completed_dispatches"]
    ]


async def test_planned_and_completed_dispatches_follow_the_simulators_plan_and_delivery(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id, evse_id = sim.vehicle_ids[0], sim.evse_ids[0]
    planned = _planned_by_the_simulator(sim, sim.clock.now())
    assert planned, "the simulator planned a smart charge"
    for device_id in (vehicle_id, evse_id):
        sent = _as_predbat_reads_them(hass, f"{device_id}_slot_active")
        assert sent["state"] == "off"
        # Octopus's layout: no charge_in_kwh in a planned dispatch whose energy is not known.
        assert sent["attributes"]["planned_dispatches"] == planned
        assert sent["attributes"]["completed_dispatches"] == []

    # Into the first slot: the sensor is on, and the slot in progress is the first planned dispatch.
    first = planned[0]
    await clock.run_for((first["start"] - sim.clock.now()).total_seconds() + 60, step=600)
    sent = _as_predbat_reads_them(hass, f"{vehicle_id}_slot_active")
    assert sent["state"] == "on"
    assert sent["attributes"]["planned_dispatches"][0] == first

    # An hour after it ended (the reader has read the energy usage since): it is delivered, not planned.
    await clock.run_for((first["end"] - sim.clock.now()).total_seconds() + 3600, step=300)
    now = sim.clock.now()
    sent = _as_predbat_reads_them(hass, f"{vehicle_id}_slot_active")
    assert sent["attributes"]["planned_dispatches"] == _planned_by_the_simulator(sim, now)
    delivered = _delivered_by_the_simulator(_sub_session(sim), now)
    assert delivered, "the simulator charged the car in its first slot"
    assert delivered[0][:2] == (first["start"], first["end"])
    assert _shown_completed(sent) == delivered
    assert {item["source"] for item in sent["attributes"]["completed_dispatches"]} == {
        "smart-charge"
    }
    assert _as_predbat_reads_them(hass, f"{evse_id}_slot_active")["attributes"] == {
        **sent["attributes"],
        "friendly_name": state(hass, "binary_sensor", f"{evse_id}_slot_active").name,
    }

    # Unplugged: neither plan nor delivery is claimed for the car, at once (before the sessions are read).
    await admin(hass, sim, f"vehicles/{vehicle_id}", {"plugged_in": False})
    await until_shown(hass, clock, f"{evse_id}_plugged_in", "off", step=30)
    for device_id in (vehicle_id, evse_id):
        sent = _as_predbat_reads_them(hass, f"{device_id}_slot_active")
        assert sent["state"] == "off"
        assert sent["attributes"]["planned_dispatches"] == []
        assert sent["attributes"]["completed_dispatches"] == []


async def test_charge_now_delivers_a_bump_charge_and_ends_the_plan(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", f"{evse_id}_charge_now")},
        blocking=True,
    )
    boost = _sub_session(sim)
    assert boost.mode == "BOOST"
    await clock.run_for(2 * 3600, step=300)
    sent = _as_predbat_reads_them(hass, f"{evse_id}_slot_active")
    # A boost has no end in ev.energy's schedule: nothing planned, what it delivered is a bump charge.
    assert sent["state"] == "off"
    assert sent["attributes"]["planned_dispatches"] == []
    delivered = _delivered_by_the_simulator(boost, sim.clock.now())
    assert delivered
    assert _shown_completed(sent) == delivered
    assert {item["source"] for item in sent["attributes"]["completed_dispatches"]} == {
        "bump-charge"
    }
