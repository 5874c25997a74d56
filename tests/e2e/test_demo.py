"""The demo as scripts/develop runs it: a real clock, a compressed routine, a world that persists.

One module-scoped pair of processes with the development configuration: the simulator as scripts/develop runs
it (real clock, the day's routine 60 times faster, its state file), its routine starting in the morning with the
car out on its commute, and Home Assistant. The tests run in file order: the account links and the dev config
loads with no traceback; a plug-in made on the admin endpoint reaches Home Assistant (the charger reports every
5 s here; once it reported the plug-in, a refresh asked for with homeassistant.update_entity reads it at once)
and fires the example automation; then both processes restart and the world and the sign-in carry on.

That no timestamp lies in the future over a whole routine day is tested on the simulated clock, in process:
tests/integration/test_routine_day.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
# The routine runs 60 times faster than the clock, as scripts/develop runs it: a routine hour a real minute.
ROUTINE_SPEED = 60
# The routine's time of day when the simulator starts: the car left for work at 7:30-7:50 and comes home after 17:00,
# more than 8 real minutes later. (Started in the minute after the one ROUTINE_START was computed in, the routine is
# up to an hour earlier: still after the commute.)
ROUTINE_START = timedelta(hours=9)
# The devices report every 5 real seconds, so a plug-in is reported within seconds.
SAMPLE_INTERVAL = 5
# Two report intervals and some, for a loaded machine.
REPORT_WAIT = 20.0
# From the refresh asked for to the state (a refresh asked within 10 s of another comes after those 10 s).
REFRESH_WAIT = 30.0


@dataclass
class Demo:
    """The two processes and the configuration folder they share."""

    simulator: processes.Service
    hass: processes.Service
    config_dir: Path

    def start(self) -> None:
        """Start the simulator, then Home Assistant."""
        self.simulator.start("/_admin/state", within=60)
        self.hass.start("/auth/providers", within=120)

    def stop(self) -> None:
        """Stop Home Assistant, then the simulator (which saves its world)."""
        self.hass.stop()
        assert self.simulator.stop() == 0, self.simulator.tail()


def routine_start_argument() -> str:
    """Return the --routine-start that has the routine at ROUTINE_START when the simulator starts now.

    The routine is anchored to the clock's whole minute: the seconds gone in this minute have already moved it on
    ROUTINE_SPEED times as much.
    """
    now = datetime.now(UTC)
    gone = timedelta(seconds=now.second, microseconds=now.microsecond) * ROUTINE_SPEED
    minute = (ROUTINE_START - gone) // timedelta(minutes=1) % (24 * 60)
    return f"{minute // 60:02d}:{minute % 60:02d}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Start the demo's simulator and Home Assistant on one configuration folder; stop both at the end."""
    config_dir = tmp_path_factory.mktemp("demo") / "config"
    config_dir.mkdir()
    simulator = processes.simulator(
        config_dir,
        demo_approve=True,
        speed=1,
        extra=(
            "--routine-speed",
            str(ROUTINE_SPEED),
            "--routine-start",
            routine_start_argument(),
            "--sample-interval",
            str(SAMPLE_INTERVAL),
            "--history-hours",
            "0.25",
            "--state-file",
            str(config_dir / "simulator-state.json"),
        ),
    )
    hass = processes.home_assistant(config_dir, simulator.url)
    with processes.running(
        simulator,
        hass,
        logs_into=processes.ARTIFACTS / "demo",
        simulator_within=60,
        hass_within=120,
    ):
        yield Demo(simulator, hass, config_dir)


async def signed_in(demo: Demo, session: aiohttp.ClientSession) -> Hass:
    """Home Assistant, onboarded (first use) or signed in, with the simulator's credentials."""
    hass = Hass(demo.hass.url, session)
    await hass.sign_in()
    await hass.ensure_application_credentials(DOMAIN, "ha-test-client", "ha-test-secret", "sim")
    return hass


async def loaded_entry(hass: Hass, *, link: bool = True) -> dict[str, Any]:
    """Return the loaded ev.energy entry (linking the account when there is none and link is set)."""
    if link and not await hass.config_entries(DOMAIN):
        result = await hass.link_account(DOMAIN)
        assert result["type"] == "create_entry", result
    deadline = time.monotonic() + 60
    while (entry := (await hass.config_entries(DOMAIN))[0])["state"] != "loaded":
        assert time.monotonic() < deadline, f"entry not loaded: {entry}"
        await asyncio.sleep(0.3)
    return entry


async def entity(hass: Hass, unique_id: str) -> str:
    """Return the entity id of one of the integration's unique ids."""
    registry = {e["unique_id"]: e["entity_id"] for e in await hass.entity_registry(DOMAIN)}
    return registry[unique_id]


async def charger_reported(sim: SimulatorAdmin, evse_id: str, *, plugged_in: bool) -> None:
    """Wait until the charger's latest report (what Home Assistant's next poll reads) says ``plugged_in``."""
    async with asyncio.timeout(REPORT_WAIT):
        while True:
            report = (await sim.device("evses", evse_id))["latest_status_log"]
            if report["is_plugged_in"] is plugged_in:
                return
            await asyncio.sleep(0.3)


async def test_the_account_links_and_the_dev_config_loads(
    demo: Demo, session: aiohttp.ClientSession
) -> None:
    """The OAuth flow links the account; automations load; onboarding set up nothing that needs the internet."""
    hass = await signed_in(demo, session)
    await loaded_entry(hass)
    domains = {
        entry["domain"] for entry in await hass.request("GET", "/api/config/config_entries/entry")
    }
    assert not domains & {"met", "radio_browser", "google_translate"}
    states = await hass.states()
    assert states["automation.ev_energy_car_plugged_in"]["state"] == "on"
    log = (demo.config_dir / "home-assistant.log").read_text()
    assert not processes.log_problems(log), processes.log_problems(log)


async def test_a_plug_in_on_the_admin_page_reaches_home_assistant(
    demo: Demo, session: aiohttp.ClientSession
) -> None:
    """The car is out on its commute; plugged in through /_admin/, the sensor and the automation follow.

    Home Assistant shows the charger unplugged first; the plug-in brings the car home early, the charger reports
    it, and a refresh reads that report: "on" is this plug-in (the routine plugs nothing in before the evening).
    """
    hass = await signed_in(demo, session)
    await loaded_entry(hass)
    sim = SimulatorAdmin(demo.simulator.url, session)
    world = await sim.state()
    car, evse_id = world["vehicles"][0], world["evse_ids"][0]
    assert not car["at_home"], world
    assert not car["plugged_in"], world
    plugged_in = await entity(hass, f"{evse_id}_plugged_in")
    await charger_reported(sim, evse_id, plugged_in=False)
    if (await hass.states())[plugged_in][
        "state"
    ] != "off":  # off since the entry's first poll, normally
        await hass.refresh_until(plugged_in, "off", within=REFRESH_WAIT)

    plugged_at = datetime.now(UTC)
    async with session.post(
        f"{demo.simulator.url}/_admin/vehicles/{car['id']}", json={"plugged_in": True}
    ) as reply:
        assert reply.status == 200
    await charger_reported(sim, evse_id, plugged_in=True)
    await hass.refresh_until(plugged_in, "on", within=REFRESH_WAIT)

    car = (await sim.state())["vehicles"][0]
    assert car["at_home"], "the car left before Home Assistant saw the plug-in"
    assert car["plugged_in"], "the car left before Home Assistant saw the plug-in"
    # The automation fires on the charge events entity's plugged_in event, from this plug-in (read in the same
    # poll; the automation runs just after).
    deadline = time.monotonic() + 10
    while True:
        automation = (await hass.states())["automation.ev_energy_car_plugged_in"]
        triggered = automation["attributes"]["last_triggered"]
        if triggered is not None and datetime.fromisoformat(triggered) >= plugged_at:
            break
        assert time.monotonic() < deadline, automation
        await asyncio.sleep(0.3)


async def test_the_world_and_the_sign_in_survive_a_restart(
    demo: Demo, session: aiohttp.ClientSession
) -> None:
    """Stop both processes and start them again: meter, odometer and target continue, no new sign-in."""
    hass = await signed_in(demo, session)
    entry = await loaded_entry(hass)
    sim = SimulatorAdmin(demo.simulator.url, session)
    state = await sim.state()
    vehicle_id, evse_id = state["vehicle_ids"][0], state["evse_ids"][0]
    target = await entity(hass, f"{vehicle_id}_target_charge_level")
    await hass.call_service("number", "set_value", {"entity_id": target, "value": 90})
    before = {
        "meter": (await sim.device("evses", evse_id))["latest_status_log"][
            "meter_reading_watt_hours"
        ],
        "odometer": (await sim.device("vehicles", vehicle_id))["latest_status_log"][
            "odometer_meters"
        ],
        "target": (await sim.device("vehicles", vehicle_id))["maximum_charge_limit_percentage"],
    }
    assert before["target"] == 90

    demo.stop()
    demo.start()

    again = await signed_in(demo, session)
    entry_after = await loaded_entry(again, link=False)
    assert entry_after["entry_id"] == entry["entry_id"]
    assert not await again.flows_in_progress(DOMAIN, "reauth")
    resumed = SimulatorAdmin(demo.simulator.url, session)
    assert (await resumed.state())["resumed"] is True
    evse = await resumed.device("evses", evse_id)
    vehicle = await resumed.device("vehicles", vehicle_id)
    assert evse["latest_status_log"]["meter_reading_watt_hours"] >= before["meter"]
    assert vehicle["latest_status_log"]["odometer_meters"] >= before["odometer"]
    assert vehicle["maximum_charge_limit_percentage"] == 90
    # Home Assistant shows the world it knew, carried on: the target from before the restart.
    deadline = time.monotonic() + 60
    while (await again.states())[target]["state"] in NOT_LIVE:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.3)
    assert float((await again.states())[target]["state"]) == 90
