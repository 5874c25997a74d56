"""Freshness figures: how old each charger and car report is when Home Assistant first shows it.

Run with ``scripts/benchmark``. For the home scenario and a fleet of 20, with polls timed to the reports and with
fixed intervals (``PollScheduler.report_timed`` off), each set up at three moments between two reports (fixed
intervals keep that phase): after an hour of learning, one hour is measured. A report's age is the time from its
``sampled_at`` to the first poll that shows it or a newer one (the simulator's reports are readable at once). All in
simulated time, the clock stepping 2 seconds at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_energy.const import API_ORIGIN_ENV
from custom_components.ev_energy.coordinator import EvEnergyCoordinator, latest_sample
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry

from .conftest import Report

REPORT_INTERVAL = 300
# Where between two reports Home Assistant starts (fixed intervals keep this phase for good).
SET_UP_PHASES = (50, 150, 250)
LEARNING_SECONDS = 3600
MEASURED_SECONDS = 3600
STEP_SECONDS = 2

type Shown = list[tuple[datetime, dict[str, datetime]]]


@dataclass
class Ages:
    """The ages of the reports of one kind of device, pooled over runs."""

    seconds: list[float] = field(default_factory=list)

    def median(self) -> str:
        """Return the median age, in whole seconds."""
        return f"{statistics.median(self.seconds):.0f}"

    def p95(self) -> str:
        """Return the 95th percentile age, in whole seconds."""
        return f"{statistics.quantiles(self.seconds, n=20)[-1]:.0f}"


@dataclass
class Figures:
    """What the runs of one scenario and one timing measured."""

    label: str
    chargers: Ages = field(default_factory=Ages)
    cars: Ages = field(default_factory=Ages)
    requests: list[int] = field(default_factory=list)

    def row(self) -> tuple[object, ...]:
        """The figures in the order of HEADERS."""
        per_hour = sum(self.requests) * 3600 / (MEASURED_SECONDS * len(self.requests))
        return (
            self.label,
            self.chargers.median(),
            self.chargers.p95(),
            self.cars.median(),
            self.cars.p95(),
            f"{per_hour:.0f}",
        )


HEADERS = ("run", "charger~s", "charger95s", "car~s", "car95s", "req/h")


def _record_shown(coordinator: EvEnergyCoordinator) -> Shown:
    """Record, at each update, the report time each charger and car shows."""
    shown: Shown = []

    def on_update() -> None:
        data = coordinator.data
        devices = [*data.evses.values(), *data.vehicles.values()]
        samples = {device.id: latest_sample(device) for device in devices}
        times = {key: log.sampled_at for key, log in samples.items() if log is not None}
        shown.append((data.updated_at, times))

    coordinator.async_add_listener(on_update)
    return shown


def _ages(logs: dict[str, list], shown: Shown, start: datetime, end: datetime) -> list[float]:
    """Return, for each report sampled in the hour (but its last interval), how long until a poll showed it.

    A report counts as shown once a poll shows it or a newer one; one never shown counts as shown at the end.
    """
    ages = []
    for device_id, device_logs in logs.items():
        for log in device_logs:
            if not start <= log.sampled_at < end - timedelta(seconds=REPORT_INTERVAL):
                continue
            first = next(
                (
                    at
                    for at, times in shown
                    if at >= log.sampled_at and times.get(device_id, start) >= log.sampled_at
                ),
                end,
            )
            ages.append((first - log.sampled_at).total_seconds())
    return ages


async def _measure(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    figures: Figures,
    *,
    phase: int,
    report_timed: bool,
) -> None:
    clock = Clock(hass, sim, freezer)
    await clock.advance((phase - sim.clock.now().timestamp() % REPORT_INTERVAL) % REPORT_INTERVAL)
    entry = await set_up_entry(hass, sim)
    coordinator = entry.runtime_data.coordinator
    coordinator.scheduler.report_timed = report_timed
    shown = _record_shown(coordinator)
    await clock.run_for(LEARNING_SECONDS, step=STEP_SECONDS)
    start, first_request = sim.clock.now(), len(sim.requests)
    await clock.run_for(MEASURED_SECONDS, step=STEP_SECONDS)
    end = sim.clock.now()
    chargers = {evse_id: sim.state.evse_logs.get(evse_id, []) for evse_id in sim.evse_ids}
    cars = {car_id: sim.state.vehicle_logs.get(car_id, []) for car_id in sim.vehicle_ids}
    figures.chargers.seconds += _ages(chargers, shown, start, end)
    figures.cars.seconds += _ages(cars, shown, start, end)
    figures.requests.append(
        sum(1 for r in sim.requests[first_request:] if r.path.startswith("/v2/"))
    )
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)


@pytest.mark.usefixtures("credentials")
async def test_freshness_figures(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    """Report the ages of the shown reports with report-timed polls and with fixed intervals."""
    scenarios: Sequence[tuple[str, dict[str, int], str]] = (
        ("home", {}, "home"),
        ("fleet", {"fleet_size": 20}, "fleet of 20"),
    )
    rows = []
    for scenario, options, label in scenarios:
        for report_timed, timing in ((True, "report-timed"), (False, "fixed intervals")):
            figures = Figures(f"{label}, {timing}")
            for phase in SET_UP_PHASES:
                async with simulator_factory(scenario, **options) as sim:
                    freezer.move_to(sim.clock.now())
                    monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
                    await _measure(
                        hass, sim, freezer, figures, phase=phase, report_timed=report_timed
                    )
            rows.append(figures.row())
    report.table(
        "Freshness: age in s of each charger and car report when first shown (~ median, 95 95th percentile), "
        f"requests per hour; {MEASURED_SECONDS // 3600} h measured after {LEARNING_SECONDS // 3600} h of "
        f"learning, set up {'/'.join(map(str, SET_UP_PHASES))} s after a report",
        HEADERS,
        rows,
    )
