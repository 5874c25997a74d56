"""The shipped blueprints, loaded by Home Assistant's blueprint and automation integrations, fire against the simulator.

Each blueprint file is copied into a configuration directory as a user's import puts it, instantiated with the
integration's own entities, and driven by what the simulated car and charger do on the simulated clock.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any
from urllib.parse import quote

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from simulator.testing import Simulator

from .conftest import Clock, set_up_entry
from .helpers import entity_id, state
from .test_energy import charge_now

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "ev_energy"
REPOSITORY = "https://github.com/ev-energy-ha/ev_energy"
IMPORT_LINK = "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="


@pytest.fixture(autouse=True)
def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    """Give Home Assistant a configuration folder holding the blueprints, as an import from the README puts them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "ev_energy")


async def use_blueprint(hass: HomeAssistant, name: str, *inputs: dict[str, Any]) -> None:
    """Set up one automation per set of inputs from a shipped blueprint."""
    config = {
        "automation": [
            {"use_blueprint": {"path": f"ev_energy/{name}", "input": given}} for given in inputs
        ]
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    automations = hass.states.async_all("automation")
    assert [state.state for state in automations] == ["on"] * len(inputs), "loaded and running"


def test_the_readme_imports_every_blueprint_from_its_source_url() -> None:
    readme = (BLUEPRINTS.parents[2] / "README.md").read_text(encoding="utf-8")
    for path in sorted(BLUEPRINTS.glob("*.yaml")):
        source_url = load_yaml_dict(str(path))["blueprint"]["source_url"]
        assert source_url == f"{REPOSITORY}/blob/main/blueprints/automation/ev_energy/{path.name}"
        assert f"{IMPORT_LINK}{quote(source_url, safe='')})" in readme, path.name


def test_every_blueprint_is_tested_here() -> None:
    tested = {
        "car_home_not_plugged_in.yaml",
        "charge_complete.yaml",
        "charging_outside_slot.yaml",
        "solar_surplus_charge_now.yaml",
    }
    assert tested == {path.name for path in BLUEPRINTS.glob("*.yaml")}


async def test_charge_complete_fires_once_when_the_car_reaches_its_target(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    vehicle = sim.state.vehicles[vehicle_id]
    announced: list[ServiceCall] = async_mock_service(hass, "test", "announce")
    await use_blueprint(
        hass,
        "charge_complete.yaml",
        {
            "charge_events": entity_id(hass, "event", f"{vehicle_id}_charge_events"),
            "announcement": [{"action": "test.announce"}],
        },
    )
    # About 40 minutes of charging short of the target.
    target_wh = vehicle.battery_size_watt_hours * vehicle.maximum_charge_limit_percentage / 100
    vehicle.charge_level_watt_hours = target_wh - 5000
    charge_now(sim)
    await clock.run_for(900, step=60)
    assert not announced, "plugging in and charging are not a completed charge"

    await clock.run_for(3600, step=60)

    complete = [
        log for log in sim.state.vehicle_logs[vehicle_id] if log.state == "PLUGGED_IN_COMPLETE"
    ]
    assert complete, "the simulated car finished charging"
    assert len(announced) == 1

    # A restart restores the last event without announcing it again.
    entry_id = integration.entry_id
    assert await hass.config_entries.async_unload(entry_id)
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    await clock.run_for(900, step=60)
    assert len(announced) == 1


async def test_charging_in_a_planned_slot_is_quiet_and_outside_one_warns(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
    slot_active = entity_id(hass, "binary_sensor", f"{evse_id}_slot_active")
    warned: list[ServiceCall] = async_mock_service(hass, "test", "warn")
    await use_blueprint(
        hass,
        "charging_outside_slot.yaml",
        {
            "charge_events": entity_id(hass, "event", f"{evse_id}_charge_events"),
            "slot_active": slot_active,
            "warning": [{"action": "test.warn"}],
        },
    )
    # The smart schedule's first slot: charging starts inside it.
    session = sim.engine.session_of_vehicle(vehicle_id)
    assert session is not None
    schedule = sim.state.sub_sessions[session.sub_session_ids[-1]].schedule
    first = min(slot.started_at for slot in schedule if slot.current_milliamps > 0)
    await clock.run_for((first - sim.clock.now()).total_seconds() - 120, step=600)
    await clock.run_for(600, step=60)
    assert state(hass, "binary_sensor", f"{evse_id}_slot_active").state == "on"
    assert any(log.is_charging for log in sim.state.evse_logs[evse_id][-5:]), "the slot charges"
    assert not warned

    # Stopped, then started by hand outside the plan: smart charging off charges at once, with no slot.
    vehicle = sim.state.vehicles[vehicle_id]
    sim.engine.unplug(vehicle)
    await clock.run_for(600, step=60)
    sim.engine.plug_in(vehicle)
    charge_now(sim)
    await clock.run_for(900, step=60)

    assert state(hass, "binary_sensor", f"{evse_id}_slot_active").state == "off"
    assert len(warned) == 1


async def test_car_home_but_not_plugged_in_reminds_only_then(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    vehicle = sim.state.vehicles[vehicle_id]
    now = dt_util.as_local(dt_util.utcnow())
    reminders = ("unplugged_at_home", "plugged_in", "away")
    calls = {name: async_mock_service(hass, "test", name) for name in reminders}
    await use_blueprint(
        hass,
        "car_home_not_plugged_in.yaml",
        *(
            {
                "car_location": entity_id(hass, "device_tracker", f"{vehicle_id}_location"),
                "plugged_in": entity_id(hass, "binary_sensor", f"{vehicle_id}_plugged_in"),
                # Three reminders 40 minutes apart: enough for the location's and the plug's reads.
                "reminder_time": (now + timedelta(minutes=40 * (number + 1))).strftime("%H:%M:00"),
                "reminder": [{"action": f"test.{name}"}],
            }
            for number, name in enumerate(reminders)
        ),
    )
    sim.engine.unplug(vehicle)
    await clock.run_for(45 * 60, step=60)
    assert state(hass, "device_tracker", f"{vehicle_id}_location").state == "home"
    sim.engine.plug_in(vehicle)
    await clock.run_for(40 * 60, step=60)
    sim.engine.unplug(vehicle)
    sim.engine.depart(vehicle)
    await clock.run_for(40 * 60, step=60)
    assert state(hass, "device_tracker", f"{vehicle_id}_location").state == "not_home"

    assert {name: len(made) for name, made in calls.items()} == {
        "unplugged_at_home": 1,
        "plugged_in": 0,
        "away": 0,
    }
    # Their time triggers would outlive the test.
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


async def test_a_solar_surplus_turns_on_charge_now_when_the_car_is_plugged_in(
    hass: HomeAssistant, simulator_factory: Any, credentials_factory: Any
) -> None:
    # Midday: the sun covers the house with some to spare, and smart charging would wait for the night.
    async with simulator_factory("home", routine_start_minute=12 * 60) as sim:
        clock = await credentials_factory(sim)
        vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
        vehicle.stay_home = True
        if not vehicle.at_home:
            sim.engine.arrive(vehicle)
        if vehicle.plugged_in:
            sim.engine.unplug(vehicle)
        entry = await set_up_entry(hass, sim)
        evse_id = sim.evse_ids[0]
        (hem_id,) = sim.state.hem_systems
        export = entity_id(hass, "sensor", f"{hem_id}_grid_export_power")
        charge_now = entity_id(hass, "switch", f"{evse_id}_charge_now")
        await use_blueprint(
            hass,
            "solar_surplus_charge_now.yaml",
            {
                "export_power": export,
                "surplus_above": 200,
                "surplus_for": {"minutes": 5},
                "plugged_in": entity_id(hass, "binary_sensor", f"{evse_id}_plugged_in"),
                "charge_now": charge_now,
            },
        )
        await clock.run_for(10 * 60, step=60)
        assert float(hass.states.get(export).state) > 200, "the simulated sun gives a surplus"
        assert sim.engine.session_of_vehicle(vehicle.id) is None, (
            "nothing to charge while unplugged"
        )

        sim.engine.plug_in(vehicle)
        # Charge now becomes available with the sessions read the plug-in asks for; when a read asked just before
        # is still in its debounce (Home Assistant's, on the wall clock), the reader's own next read brings it.
        await clock.run_for(20 * 60, step=60)

        assert hass.states.get(charge_now).state == "on"
        session = sim.engine.session_of_vehicle(vehicle.id)
        assert session is not None
        assert sim.state.sub_sessions[session.sub_session_ids[-1]].mode == "BOOST"
        await hass.config_entries.async_unload(entry.entry_id)
