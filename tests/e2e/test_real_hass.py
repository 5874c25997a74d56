"""A real Home Assistant and a real simulator, as processes, driven only over HTTP.

One module-scoped pair of processes: the tests run in file order and build on each other's state
(linked account -> entities -> a write -> a restart), but each one links the account itself when it
runs alone (`pytest -k`). The simulator runs on a manual clock brought to the real now, so what Home
Assistant shows and what the simulator holds can be compared exactly: nothing moves unless a test
moves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
import time
from typing import Any

import aiohttp
import pytest

from scripts.devtools.hass import NOT_LIVE, Hass

from . import processes
from .simulator_admin import SimulatorAdmin

pytestmark = pytest.mark.e2e

DOMAIN = "ev_energy"
CLIENT_ID = "ha-test-client"
CLIENT_SECRET = "ha-test-secret"
SEED = 7

# (device kind, entity key, field of the device's latest sample, or of the device itself when it starts
# with "device.", and the unit the field is in; "bool" for binary sensors). Unique ids are f"{device_id}_{key}".
CHECKED: tuple[tuple[str, str, str, str | None], ...] = (
    ("vehicles", "battery_level", "state_of_charge_percentage", "%"),
    ("vehicles", "battery_energy", "charge_level_watt_hours", "Wh"),
    ("vehicles", "odometer", "odometer_meters", "m"),
    ("vehicles", "target_charge_level", "device.maximum_charge_limit_percentage", "%"),
    ("vehicles", "plugged_in", "is_plugged_in", "bool"),
    ("vehicles", "charging", "is_charging", "bool"),
    ("evses", "meter_reading", "meter_reading_watt_hours", "Wh"),
    ("evses", "charge_power", "charge_rate_watts", "W"),
    ("evses", "plugged_in", "is_plugged_in", "bool"),
    ("evses", "charging", "is_charging", "bool"),
    ("inverters", "solar_power", "solar_power_watts", "W"),
)
# Totals that must survive a restart.
ENERGY_TOTALS = ("meter_reading", "odometer")
KINDS = {"evses": "evse_ids", "vehicles": "vehicle_ids", "inverters": "inverter_ids"}
SCALE = {("Wh", "kWh"): 1e-3, ("W", "kW"): 1e-3, ("m", "km"): 1e-3, ("mA", "A"): 1e-3}


@dataclass
class Stack:
    """The two processes and where their files are."""

    simulator: processes.Service
    hass: processes.Service
    config_dir: Path


# The world runs this far behind the real clock: samples stay fresh (a charger's for 30 minutes) and there is
# room for the downtime of the restart test.
WORLD_LAG = timedelta(minutes=25)
DOWNTIME = timedelta(minutes=20)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start the simulator (manual clock, demo approval) and Home Assistant; stop both at the end."""
    base = tmp_path_factory.mktemp("real_hass")
    simulator = processes.simulator(base, demo_approve=True, speed=0, seed=SEED)
    hass = processes.home_assistant(base / "config", simulator.url)
    with processes.running(simulator, hass, logs_into=processes.ARTIFACTS / "real_hass"):
        yield Stack(simulator, hass, base / "config")


@pytest.fixture
async def sim(stack: Stack, session: aiohttp.ClientSession) -> SimulatorAdmin:
    """The simulator's admin view, its clock at the real now."""
    admin = SimulatorAdmin(stack.simulator.url, session)
    await admin.advance_to_wall_clock(lag=WORLD_LAG)
    return admin


@pytest.fixture
async def client(stack: Stack, session: aiohttp.ClientSession) -> Hass:
    """Home Assistant, onboarded (first use) or signed in, with the simulator's credentials."""
    hass = Hass(stack.hass.url, session)
    await hass.sign_in()
    await hass.ensure_application_credentials(DOMAIN, CLIENT_ID, CLIENT_SECRET, "simulator")
    return hass


async def linked(client: Hass) -> dict[str, Any]:
    """Return the loaded ev.energy entry, linking the account first when there is none."""
    if not await client.config_entries(DOMAIN):
        result = await client.link_account(DOMAIN)
        assert result["type"] == "create_entry", result
    deadline = time.monotonic() + 30
    while (entry := (await client.config_entries(DOMAIN))[0])["state"] != "loaded":
        assert time.monotonic() < deadline, f"entry not loaded: {entry}"
        await asyncio.sleep(0.3)
    return entry


async def entity_ids_by_unique_id(client: Hass) -> dict[str, str]:
    """Map the integration's unique ids to entity ids, from the entity registry."""
    return {
        entry["unique_id"]: entry["entity_id"]
        for entry in await client.entity_registry(DOMAIN)
        if entry["disabled_by"] is None
    }


def expected_value(raw: float, raw_unit: str | None, state_unit: str | None) -> float:
    """Convert the simulator's raw number into the unit Home Assistant shows."""
    if raw_unit == state_unit or raw_unit is None:
        return float(raw)
    factor = SCALE.get((raw_unit, state_unit or ""))
    assert factor is not None, f"no conversion from {raw_unit} to {state_unit}"
    return float(raw) * factor


async def truth(sim: SimulatorAdmin) -> dict[str, dict[str, Any]]:
    """Every device of the simulator's primary user, by id, with its kind."""
    state = await sim.state()
    devices: dict[str, dict[str, Any]] = {}
    for kind, key in KINDS.items():
        for device_id in state[key]:
            devices[device_id] = {"kind": kind, **await sim.device(kind, device_id)}
    return devices


def sample_value(device: dict[str, Any], field: str) -> Any:
    """Read `field` of a device's latest sample, or of the device for "device.<name>"."""
    if field.startswith("device."):
        return device[field.removeprefix("device.")]
    return (device.get("latest_status_log") or {}).get(field)


async def compare_with_truth(client: Hass, sim: SimulatorAdmin) -> list[str]:
    """Return the differences between Home Assistant's states and the simulator (empty when none)."""
    devices = await truth(sim)
    ids = await entity_ids_by_unique_id(client)
    states = await client.states()
    problems = []
    for device_id, device in devices.items():
        for kind, key, field, unit in CHECKED:
            if kind != device["kind"]:
                continue
            unique_id = f"{device_id}_{key}"
            if unique_id not in ids:
                problems.append(f"no enabled entity with unique id {unique_id}")
                continue
            state = states.get(ids[unique_id])
            raw = sample_value(device, field)
            if state is None or raw is None:
                problems.append(
                    f"{ids[unique_id]}: state {state and state['state']}, simulator {raw}"
                )
                continue
            if state["state"] in NOT_LIVE:
                problems.append(f"{ids[unique_id]} is {state['state']}; simulator has {raw}")
                continue
            if unit == "bool":
                if state["state"] != ("on" if raw else "off"):
                    problems.append(f"{ids[unique_id]} = {state['state']}, simulator {raw}")
                continue
            want = expected_value(raw, unit, state["attributes"].get("unit_of_measurement"))
            if abs(float(state["state"]) - want) > max(1e-6, abs(want) * 1e-6) + 0.0011:
                problems.append(f"{ids[unique_id]} = {state['state']}, simulator {raw} {unit}")
    return problems


async def wait_until_matches(client: Hass, sim: SimulatorAdmin, within: float = 45) -> None:
    """Wait until Home Assistant shows what the simulator holds (the first poll can take a moment)."""
    deadline = time.monotonic() + within
    while problems := await compare_with_truth(client, sim):
        assert time.monotonic() < deadline, (
            "Home Assistant disagrees with the simulator:\n" + "\n".join(problems)
        )
        await asyncio.sleep(0.3)


async def test_oauth_flow_links_the_simulator_account(client: Hass, sim: SimulatorAdmin) -> None:
    """Onboarding, application credentials and the OAuth flow through the REST API create a loaded entry."""
    # Start from no entry whatever ran before (the other tests link the account again when they need it).
    for entry in await client.config_entries(DOMAIN):
        await client.delete_config_entry(entry["entry_id"])
    result = await client.link_account(DOMAIN)
    assert result["type"] == "create_entry", result
    entry = await linked(client)
    assert entry["domain"] == DOMAIN
    # A second flow for the same account is refused (one entry per ev.energy user).
    again = await client.link_account(DOMAIN)
    assert again["type"] == "abort", again
    assert again["reason"] == "already_configured"


async def test_devices_and_entities_match_the_simulator(client: Hass, sim: SimulatorAdmin) -> None:
    """Each charger, vehicle and inverter is a device whose values are the simulator's."""
    entry = await linked(client)
    devices = await client.device_registry(entry["entry_id"])
    identifiers = {tuple(pair) for device in devices for pair in device["identifiers"]}
    state = await sim.state()
    for key in KINDS.values():
        assert state[key], f"the home scenario has no {key}"
        for device_id in state[key]:
            assert (DOMAIN, device_id) in identifiers, f"no device for {device_id}"
    await wait_until_matches(client, sim)


async def test_target_charge_level_is_written_to_the_vehicle(
    client: Hass, sim: SimulatorAdmin
) -> None:
    """number.set_value on the target charge level changes the simulator's vehicle."""
    await linked(client)
    vehicle_id = (await sim.state())["vehicle_ids"][0]
    entity_id = (await entity_ids_by_unique_id(client))[f"{vehicle_id}_target_charge_level"]
    before = (await sim.device("vehicles", vehicle_id))["maximum_charge_limit_percentage"]
    wanted = 90 if before != 90 else 85
    await client.call_service("number", "set_value", {"entity_id": entity_id, "value": wanted})
    deadline = time.monotonic() + 15
    while (await sim.device("vehicles", vehicle_id))["maximum_charge_limit_percentage"] != wanted:
        assert time.monotonic() < deadline, "the simulator's vehicle kept its old limit"
        await asyncio.sleep(0.3)
    deadline = time.monotonic() + 15
    while float((await client.states())[entity_id]["state"]) != wanted:
        assert time.monotonic() < deadline, "Home Assistant does not show the new limit"
        await asyncio.sleep(0.3)


async def test_restart_keeps_entities_and_energy_totals(
    stack: Stack, client: Hass, sim: SimulatorAdmin, session: aiohttp.ClientSession
) -> None:
    """After a restart of hass: the same entry (no new sign-in), entities, and totals that did not go back."""
    entry = await linked(client)
    await wait_until_matches(client, sim)
    ids_before = await entity_ids_by_unique_id(client)
    states_before = await client.states()
    totals_before = {
        unique_id: float(states_before[entity_id]["state"])
        for unique_id, entity_id in ids_before.items()
        if unique_id.endswith(tuple(f"_{key}" for key in ENERGY_TOTALS))
    }
    assert totals_before, f"no energy totals among {sorted(ids_before)}"

    stack.hass.stop()
    # Time passes while Home Assistant is down (the world stays behind the real clock: a sample dated in the
    # future is not fresh); the charger reported several times meanwhile.
    await sim.advance(DOWNTIME.total_seconds())
    stack.hass.start("/auth/providers", within=90)

    again = Hass(stack.hass.url, session)
    await again.sign_in()
    entry_after = await linked(again)
    assert entry_after["entry_id"] == entry["entry_id"]
    assert await entity_ids_by_unique_id(again) == ids_before
    await wait_until_matches(again, sim)
    states_after = await again.states()
    for unique_id, before in totals_before.items():
        after = float(states_after[ids_before[unique_id]]["state"])
        assert after >= before, f"{ids_before[unique_id]} went back from {before} to {after}"
