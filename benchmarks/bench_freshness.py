"""Freshness figures: how old each charger and car report is when Home Assistant first shows it, and how long a
plug-in takes to show while nothing charges.

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

from custom_components.ev_energy.coordinator import EvEnergyCoordinator
from custom_components.ev_energy.kinds import EVSE, VEHICLE
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry
from tests.integration.helpers import admin, first_report, until_shown
from tests.integration.test_webhook import set_up_push

from .conftest import Report, StartSimulator, remove_entry

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
        samples = {
            **{evse.id: EVSE.latest_sample(evse) for evse in data.evses.values()},
            **{car.id: VEHICLE.latest_sample(car) for car in data.vehicles.values()},
        }
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
    await remove_entry(hass, entry)


@pytest.mark.usefixtures("credentials")
async def test_freshness_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
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
                async with start_simulator(scenario, **options) as sim:
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


# Plug-in latency: reports every minute (the demo) and every 5 minutes, idle, with and without push.
PLUG_IN_CADENCES = (60, 300)
PLUG_INS = 12
LATENCY_LEARNING_SECONDS = 2400
IDLE_HOUR = 3600
LATENCY_NOTES = (
    "report: from the sampled_at of the first report showing the plug-in to the charger's Plugged in turning on;",
    "plug-in: from the plug-in itself (its report comes up to one interval later);",
    "idle req/h: every request of an idle hour (polls, account, sessions, home energy); % of limit: of 1000/h;",
    "push: the simulator delivers the plug-in's webhook at once;",
    "target (issue 19): within 15 s of the report at both cadences, under 30 % of the limit at home scale;",
    (
        "before issue 19's item 9 (historical, not measured by this run; idle polls every 5 minutes, no poll after"
        " the push message's; same benchmark, same machine): reports every 60 s: report 180 / 262 s, plug-in"
        " 210 / 321 s, 83 req/h; with push: report 270 / 299 s, plug-in 300 / 300 s; reports every 300 s: report"
        " 2 / 2 s, plug-in 152 / 299 s, 54 req/h; with push: report 220 / 302 s, plug-in 307 / 449 s;"
    ),
    "the clock steps 2 s at a time, so 2 s is the finest figure; the simulator's reports are readable at once.",
)
LATENCY_HEADERS = (
    "run",
    "report~s",
    "report95s",
    "plug-in~s",
    "plug-in95s",
    "idle req/h",
    "% of limit",
)


@dataclass
class Latencies:
    """Plug-in to Home Assistant: from the report that carried it, and from the plug-in itself."""

    label: str
    from_report: Ages = field(default_factory=Ages)
    from_plug_in: Ages = field(default_factory=Ages)
    idle_requests: int = 0

    def row(self) -> tuple[object, ...]:
        """The figures in the order of LATENCY_HEADERS."""
        per_hour = self.idle_requests * 3600 / IDLE_HOUR
        return (
            self.label,
            self.from_report.median(),
            self.from_report.p95(),
            self.from_plug_in.median(),
            self.from_plug_in.p95(),
            f"{per_hour:.0f}",
            f"{per_hour / 10:.0f} %",
        )


async def _plug(hass: HomeAssistant, sim: Simulator, plugged_in: bool, *, push: bool) -> None:
    """Plug the car in or out through the control API; with push, Svix delivers the message at once."""
    await admin(hass, sim, f"vehicles/{sim.vehicle_ids[0]}", {"plugged_in": plugged_in})
    if push:
        await admin(hass, sim, "webhooks/deliver", {})
        await hass.async_block_till_done()


async def _measure_plug_ins(
    hass: HomeAssistant, sim: Simulator, clock: Clock, figures: Latencies, *, push: bool
) -> None:
    """Learn, count an idle hour's requests, then plug in at phases spread over the report interval."""
    cadence = sim.engine.sample_interval.total_seconds()
    shown = f"{sim.evse_ids[0]}_plugged_in"
    await _plug(hass, sim, False, push=push)
    await clock.run_for(LATENCY_LEARNING_SECONDS, step=STEP_SECONDS)
    start = sim.clock.now()
    await clock.run_for(IDLE_HOUR, step=STEP_SECONDS)
    figures.idle_requests += sum(
        1 for r in sim.requests if r.path.startswith("/v2/") and r.time >= start
    )
    for number in range(PLUG_INS):
        phase = cadence * (number + 0.5) / PLUG_INS
        await clock.advance((phase - sim.clock.now().timestamp() % cadence) % cadence)
        plugged_at = sim.clock.now()
        await _plug(hass, sim, True, push=push)
        shown_at = await until_shown(hass, clock, shown, "on", step=STEP_SECONDS)
        report = first_report(sim, sim.evse_ids[0], plugged_at, plugged_in=True)
        figures.from_report.seconds.append((shown_at - report).total_seconds())
        figures.from_plug_in.seconds.append((shown_at - plugged_at).total_seconds())
        await _plug(hass, sim, False, push=push)
        await until_shown(hass, clock, shown, "off", step=STEP_SECONDS)
        await clock.run_for(cadence, step=STEP_SECONDS)  # idle again before the next plug-in


@pytest.mark.usefixtures("credentials")
async def test_plug_in_latency(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth,
    *,
    report: Report,
) -> None:
    """Report how long a plug-in takes to show in Home Assistant while nothing charges."""
    rows = []
    for cadence in PLUG_IN_CADENCES:
        for push in (False, True):
            figures = Latencies(f"reports every {cadence} s, {'push' if push else 'polling only'}")
            async with start_simulator("home", sample_interval_seconds=cadence) as sim:
                if push:
                    entry = (await set_up_push(hass, sim, hass_client_no_auth)).entry
                else:
                    entry = await set_up_entry(hass, sim)
                clock = Clock(hass, sim, freezer)
                await _measure_plug_ins(hass, sim, clock, figures, push=push)
                await remove_entry(hass, entry)
            rows.append(figures.row())
    report.table(
        f"Plug-in to Home Assistant while idle: {PLUG_INS} plug-ins spread over the report interval, "
        f"after {LATENCY_LEARNING_SECONDS // 60} min of learning (~ median, 95 95th percentile, in s)",
        LATENCY_HEADERS,
        rows,
        LATENCY_NOTES,
    )
