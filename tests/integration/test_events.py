"""Charge events against the simulator: every transition once, in order, none at set-up or after a restart."""

from __future__ import annotations

from collections.abc import Callable
import itertools

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from simulator.testing import Simulator

from .conftest import Clock
from .helpers import entity_id, state
from .test_energy import charge_now, stop_charging


def _record_events(hass: HomeAssistant, entity: str) -> list[tuple[str, str]]:
    """Record each event the entity fires: (event type, sample time).

    The state of an event entity is the time it fired; the same state restored after a restart is no new event.
    """
    fired: list[tuple[str, str]] = []
    last_seen: list[tuple[str, str, str]] = []

    @callback
    def on_change(event: Event) -> None:
        new = event.data["new_state"]
        if (
            event.data["entity_id"] != entity
            or new is None
            or new.state in ("unavailable", "unknown")
        ):
            return
        seen = (new.attributes["event_type"], new.attributes["sampled_at"], new.state)
        if last_seen and last_seen[-1] == seen:
            return
        last_seen.append(seen)
        fired.append(seen[:2])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return fired


def _true_transitions(
    logs: list,
    flag_types: list[tuple[Callable[[object], bool | None], str, str | None]],
    since: object,
) -> list[tuple[str, str]]:
    """The transitions the simulator's own samples show after ``since``, in order."""
    found = []
    for before, after in itertools.pairwise(logs):
        if after.sampled_at <= since:
            continue
        for read, rising, falling in flag_types:
            was, now = read(before), read(after)
            if was != now:
                edge = rising if now else falling
                if edge is not None:
                    found.append((edge, after.sampled_at.isoformat()))
    return found


EVSE_FLAGS = [
    (lambda log: log.is_plugged_in, "plugged_in", None),
    (lambda log: log.is_charging, "charging_started", "charging_stopped"),
    (lambda log: log.is_plugged_in, None, "unplugged"),
]
VEHICLE_FLAGS = [
    (lambda log: log.is_plugged_in, "plugged_in", None),
    (lambda log: log.is_charging, "charging_started", "charging_stopped"),
    (lambda log: log.state == "PLUGGED_IN_COMPLETE", "charge_complete", None),
    (lambda log: log.is_plugged_in, None, "unplugged"),
]


async def test_three_transitions_between_two_polls_fire_three_events_in_order_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
    charger_events = entity_id(hass, "event", f"{evse_id}_charge_events")
    car_events = entity_id(hass, "event", f"{vehicle_id}_charge_events")
    fired = {
        evse_id: _record_events(hass, charger_events),
        vehicle_id: _record_events(hass, car_events),
    }
    assert state(hass, "event", f"{evse_id}_charge_events").state == "unknown", "none at set-up"
    started_at = sim.clock.now()
    ledger = integration.runtime_data.ledger
    polled_before = ledger.high_water_mark(evse_id)

    # ev.energy cannot be read while the car starts, stops and is unplugged, a sample apart.
    sim.faults.server_errors(10_000, status=503, path_prefix="/v2/")
    for change in (
        charge_now,
        stop_charging,
        lambda sim: sim.engine.unplug(sim.state.vehicles[vehicle_id]),
    ):
        change(sim)
        await clock.run_for(300, step=60)
    assert fired == {evse_id: [], vehicle_id: []}
    assert ledger.high_water_mark(evse_id) == polled_before
    sim.faults.clear()
    await clock.run_for(600, step=60)

    assert [event for event, _at in fired[evse_id]] == [
        "charging_started",
        "charging_stopped",
        "unplugged",
    ]
    assert fired[evse_id] == _true_transitions(sim.state.evse_logs[evse_id], EVSE_FLAGS, started_at)
    assert fired[vehicle_id] == _true_transitions(
        sim.state.vehicle_logs[vehicle_id], VEHICLE_FLAGS, started_at
    )
    assert len(fired[vehicle_id]) == 3
    last = state(hass, "event", f"{evse_id}_charge_events")
    assert last.attributes["event_type"] == "unplugged"
    assert last.attributes["sampled_at"] == fired[evse_id][-1][1]

    # A restart (unload, set up again with the same storage) replays nothing.
    assert await hass.config_entries.async_unload(integration.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(900, step=60)
    assert len(fired[evse_id]) == 3
    assert len(fired[vehicle_id]) == 3
    assert state(hass, "event", f"{evse_id}_charge_events").attributes["event_type"] == "unplugged"


async def test_a_charge_that_starts_and_ends_between_two_polls_fires_both_events(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    fired = _record_events(hass, entity_id(hass, "event", f"{evse_id}_charge_events"))
    sim.faults.server_errors(10_000, status=503, path_prefix="/v2/")
    charge_now(sim)
    await clock.run_for(300, step=60)
    stop_charging(sim)
    await clock.run_for(300, step=60)
    sim.faults.clear()
    await clock.run_for(600, step=60)
    assert [event for event, _at in fired] == ["charging_started", "charging_stopped"]


async def test_the_readmes_automation_runs_once_per_plug_in_and_not_after_a_restart(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    events = entity_id(hass, "event", f"{vehicle_id}_charge_events")
    calls = async_mock_service(hass, "test", "plugged_in")
    condition = (
        "{{ trigger.from_state is not none and trigger.from_state.state != 'unavailable'"
        " and trigger.to_state.attributes.event_type == 'plugged_in' }}"
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [{"trigger": "state", "entity_id": events}],
                "conditions": [{"condition": "template", "value_template": condition}],
                "actions": [{"action": "test.plugged_in"}],
            }
        },
    )
    vehicle = sim.state.vehicles[vehicle_id]
    sim.faults.server_errors(10_000, status=503, path_prefix="/v2/")
    sim.engine.unplug(vehicle)
    await clock.run_for(300, step=60)
    sim.engine.plug_in(vehicle)
    await clock.run_for(300, step=60)
    sim.faults.clear()
    await clock.run_for(600, step=60)
    assert len(calls) == 1

    assert await hass.config_entries.async_unload(integration.entry_id)
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(600, step=60)
    assert len(calls) == 1
