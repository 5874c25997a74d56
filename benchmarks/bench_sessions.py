"""Sessions reader figures: what reading charging sessions adds to polling, for the home and a 20-car fleet.

Run with ``scripts/benchmark``. Counted in simulated time against the simulator over a working day (06:00 to
18:00: cars unplug and leave, come back, plug in and smart charge), reported through the ``report`` fixture;
nothing is asserted, these machines are shared and noisy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry

from .conftest import Report, StartSimulator, busiest_hour, remove_entry

HOURS = 12
# The day starts at 06:00 after the simulator's default start (17:30 the evening before).
DAY_START = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
STEP_SECONDS = 60
HEADERS = (
    "run",
    "cars",
    "requests/h",
    "sessions/h",
    "polling/h",
    "max/hour",
    "share used",
    "429s",
    "sub-sessions",
    "held",
    "final reads",
)
NOTES = (
    "requests/h: all requests per hour (polling and sessions reader); sessions/h: the reader's alone",
    "(/v2/charging_sub_sessions, /v2/charging_sessions, state_of_charge); max/hour: busiest rolling hour of all;",
    "share used: max/hour over the configured share (50 % of the 1000/h limit);",
    "sub-sessions: the simulator's sub-sessions of the account; held: those the reader holds at the end;",
    "final reads: sub-sessions read once by id after they stopped running.",
)


@dataclass
class Figures:
    """What one run measured."""

    label: str
    cars: int
    requests: int
    reader: int
    busiest_hour: int
    share: float
    rate_limited: int
    sub_sessions: int
    held: int
    final_reads: int

    def row(self) -> tuple[object, ...]:
        """The figures in the order of HEADERS."""
        return (
            self.label,
            self.cars,
            f"{self.requests / HOURS:.1f}",
            f"{self.reader / HOURS:.1f}",
            f"{(self.requests - self.reader) / HOURS:.1f}",
            self.busiest_hour,
            f"{100 * self.busiest_hour / self.share:.0f} %",
            self.rate_limited,
            self.sub_sessions,
            self.held,
            self.final_reads,
        )


def _is_reader(path: str) -> bool:
    return path.startswith("/v2/charging_") or path.endswith("/state_of_charge")


async def _measure(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory, label: str
) -> Figures:
    entry = await set_up_entry(hass, sim)
    clock = Clock(hass, sim, freezer)
    start = len(sim.requests)
    await clock.run_for(HOURS * 3600, step=STEP_SECONDS)
    ours = [r for r in sim.requests[start:] if r.path.startswith("/v2/")]
    budget = entry.runtime_data.coordinator.budget
    held = entry.runtime_data.sessions.data.sub_sessions
    figures = Figures(
        label=label,
        cars=len(sim.vehicle_ids),
        requests=len(ours),
        reader=sum(1 for r in ours if _is_reader(r.path)),
        busiest_hour=busiest_hour([r.time for r in ours]),
        share=budget.limit * budget.share,
        rate_limited=sum(1 for r in ours if r.status == 429),
        sub_sessions=sum(
            1 for s in sim.state.sub_sessions.values() if s.user_id == sim.primary_user_id
        ),
        held=len(held),
        final_reads=sum(
            1 for r in ours if r.route == "/v2/charging_sub_sessions/{charging_sub_session_id}"
        ),
    )
    await remove_entry(hass, entry)
    return figures


@pytest.mark.usefixtures("credentials")
async def test_sessions_reader_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    report: Report,
) -> None:
    """Report requests per hour with the sessions reader, for the home and a 20-car fleet."""
    runs = [("home", {}, "home (1 charger, car)"), ("fleet", {"fleet_size": 20}, "fleet of 20")]
    results = []
    for scenario, options, label in runs:
        async with start_simulator(scenario, at=DAY_START, **options) as sim:
            results.append(await _measure(hass, sim, freezer, label))
    report.table(
        f"ev_energy sessions reader over a simulated working day of {HOURS} hours (limit 1000/h, share 50 %)",
        HEADERS,
        [figures.row() for figures in results],
        NOTES,
    )
