"""scripts/develop itself, started in the background from a shell script (``scripts/develop &``).

It comes up on the dev configuration (onboarding, the simulator's credentials, the linked account); the push
options offer a webhook URL on 127.0.0.1, where this Home Assistant listens, so push set up as the form says
works out of the box, and a plug-in then shows within the charger's next report interval; and SIGTERM stops it and everything it started, cleanly: a background job of a script ignores Ctrl-C's SIGINT, so
SIGTERM is how it is stopped (README, Development). The demo's behaviour over time is test_demo.py's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
import os
from pathlib import Path
import signal
import socket
import subprocess
import time

import aiohttp
import pytest

from scripts.devtools.hass import Hass

from . import processes
from .push import turn_push_on
from .simulator_admin import SimulatorAdmin

pytestmark = pytest.mark.e2e

DOMAIN = "ev_energy"
# What scripts/develop prints once everything is up.
READY = "Ready after"
# Setting up (a stamp check), onboarding, linking the account and waiting for live values, on a loaded machine.
START_WITHIN = 300.0
# Home Assistant writes its state and closes the database; scripts/develop gives it 30 s before SIGKILL.
STOP_WITHIN = 60.0
# scripts/develop's devices report every minute.
REPORT_INTERVAL = 60.0
# With push on, the plug-in's message brings one poll at once and one just after the charger's next report. The
# 15 s target itself is the benchmark's to measure (scripts/benchmark, plug-in latency): these machines are shared,
# and a timed test fails on load, not on the integration. On a loaded CI machine the poll after the report once came
# 82 s after it, so the bound here is two report intervals; the log check below shows push's message arrived.
SHOWN_WITHIN = 2 * REPORT_INTERVAL


@dataclass
class Develop:
    """scripts/develop in the background: the shell that started it, its own PID, its ports and folder."""

    shell: subprocess.Popen[bytes]
    pid: int
    config_dir: Path
    ha_port: int
    sim_port: int

    @property
    def output(self) -> str:
        """What scripts/develop printed (nothing before its shell opened the file)."""
        path = self.config_dir / "develop.out"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def ha_url(self) -> str:
        """Home Assistant's address."""
        return f"http://{processes.HOST}:{self.ha_port}"


def _wait_until_ready(develop: Develop) -> None:
    deadline = time.monotonic() + START_WITHIN
    while READY not in develop.output:
        assert develop.shell.poll() is None, f"scripts/develop exited:\n{develop.output}"
        assert time.monotonic() < deadline, f"scripts/develop not ready:\n{develop.output}"
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its parent has stopped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((processes.HOST, port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def develop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Develop]:
    """Start scripts/develop as ``scripts/develop &`` in a shell script; stop it at the end if a test did not."""
    config_dir = tmp_path_factory.mktemp("develop")
    ha_port, sim_port = processes.free_port(), processes.free_port()
    env = processes.base_env() | {
        "EV_ENERGY_CONFIG": str(config_dir),
        "EV_ENERGY_HA_PORT": str(ha_port),
        "EV_ENERGY_SIM_PORT": str(sim_port),
    }
    pid_file = config_dir / "develop.pid"
    script = f'scripts/develop >"{config_dir}/develop.out" 2>&1 & echo $! >"{pid_file}"; wait $!'
    shell = subprocess.Popen(  # noqa: S603 - our own script
        ["/bin/bash", "-c", script], cwd=processes.ROOT, env=env, stdin=subprocess.DEVNULL
    )
    while not pid_file.exists() or not pid_file.read_text().strip():
        time.sleep(0.1)
    develop = Develop(shell, int(pid_file.read_text()), config_dir, ha_port, sim_port)
    try:
        _wait_until_ready(develop)
        yield develop
    finally:
        if shell.poll() is None:
            os.kill(develop.pid, signal.SIGTERM)
            shell.wait(STOP_WITHIN)


async def test_push_set_up_as_the_options_say_reaches_home_assistant(
    develop: Develop, session: aiohttp.ClientSession
) -> None:
    """The options form's URL is on 127.0.0.1, where Home Assistant listens; the portal's secret makes push work."""
    hass = Hass(develop.ha_url, session)
    await hass.sign_in()
    webhook_url = await turn_push_on(hass, session)
    assert webhook_url.startswith(f"http://127.0.0.1:{develop.ha_port}/api/webhook/")

    # The car kept home and unplugged, then plugged in: each change is a message for the endpoint, and the
    # plug-in shows in Home Assistant within the freshness target of the charger's report of it.
    sim = SimulatorAdmin(f"http://{processes.HOST}:{develop.sim_port}", session)
    state = await sim.state()
    vehicle_id, evse_id = state["vehicle_ids"][0], state["evse_ids"][0]
    plugged_in = await _entity_of(hass, f"{evse_id}_plugged_in")
    await _set_car(session, sim.origin, vehicle_id, stay_home=True, plugged_in=False)
    await _shown(hass, plugged_in, "off", within=REPORT_INTERVAL * 3)
    await _set_car(session, sim.origin, vehicle_id, plugged_in=True)
    reported_at = await _reported_plugged_in(sim, evse_id)
    await _shown(hass, plugged_in, "on", within=REPORT_INTERVAL * 2)
    latency = (datetime.now(UTC) - reported_at).total_seconds()
    assert latency <= SHOWN_WITHIN, f"the plug-in showed {latency:.1f} s after its report"
    log = develop.config_dir / "home-assistant.log"
    assert "Received webhook message" in log.read_text(errors="replace")


async def _entity_of(hass: Hass, unique_id: str) -> str:
    registry = {e["unique_id"]: e["entity_id"] for e in await hass.entity_registry(DOMAIN)}
    return str(registry[unique_id])


async def _set_car(
    session: aiohttp.ClientSession, sim_url: str, vehicle_id: str, **controls: bool
) -> None:
    async with session.post(f"{sim_url}/_admin/vehicles/{vehicle_id}", json=controls) as reply:
        assert reply.status == 200, await reply.text()


async def _reported_plugged_in(sim: SimulatorAdmin, evse_id: str) -> datetime:
    """Wait for the charger's report of the plug-in; return when it was sampled."""
    async with asyncio.timeout(REPORT_INTERVAL * 2):
        while True:
            report = (await sim.device("evses", evse_id))["latest_status_log"]
            if report["is_plugged_in"]:
                return datetime.fromisoformat(report["sampled_at"])
            await asyncio.sleep(0.2)


async def _shown(hass: Hass, entity_id: str, expected: str, *, within: float) -> None:
    """Wait (polling Home Assistant's states, which asks ev.energy nothing) until ``entity_id`` is ``expected``."""
    async with asyncio.timeout(within):
        while True:
            if (await hass.states())[entity_id]["state"] == expected:
                return
            await asyncio.sleep(0.2)


def test_sigterm_stops_a_backgrounded_develop_and_everything_it_started(develop: Develop) -> None:
    # The simulator and Home Assistant, each leading a process group of its own.
    started = _children(develop.pid)
    assert len(started) >= 2, develop.output
    os.kill(develop.pid, signal.SIGTERM)
    assert develop.shell.wait(STOP_WITHIN) == 128 + signal.SIGTERM, develop.output
    assert develop.output.rstrip().endswith("stopped"), develop.output
    assert not [pid for pid in started if _alive(pid)]
    assert _port_free(develop.ha_port)
    assert _port_free(develop.sim_port)
    assert (develop.config_dir / "simulator-state.json").exists()  # saved on the way out
    log = (develop.config_dir / "home-assistant.log").read_text(errors="replace")
    assert not processes.log_problems(log), processes.log_problems(log)
