"""Readers' figures (issue 20): each reader's requests per hour at home scale and for a fleet of 20.

Run with ``scripts/benchmark``. Home Assistant sets up the integration against the simulator's home (a charger, a
car, solar with its forecast, a HEM system with a home battery, a tariff and a carbon feed; the devices report
every 5 minutes, and once more with reports every minute, as the demo's do) and a fleet of 20 chargers and cars (no
HEM system, no solar). Each run counts the first hour after set-up (set-up reads, history and backfill) and then
``STEADY_HOURS`` steady hours, in simulated time, the clock stepping a minute at a time (the shortest cadence,
live power's and polling's). Every request the simulator served is given to a reader by its path (``reader_of``);
the integration's own count by reader name (its request budget) is checked against that.

Asserted, as real contracts (issue 20's "Done when"): no 429 in any run, and everything together at home scale
under 15 % of the 1000/h limit in every rolling hour of the steady hours. The rest are figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_energy.budget import POLLING, RequestBudget
from simulator.requestlog import RequestRecord
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry

from .conftest import Report, StartSimulator, busiest_hour, remove_entry

LIMIT = 1000
# Issue 20's target: everything together at home scale under 15 % of the limit.
HOME_TARGET = 0.15 * LIMIT
HOUR = timedelta(hours=1)
# Six hours see the tariff's six-hourly read of which tariff the account has; the daily lists fall outside.
STEADY_HOURS = 6
STEP_SECONDS = 60

# The readers, by their names in the request budget, as the table shows them: the new ones first.
LIVE_POWER = "live_power"
CARBON = "carbon"
TARIFF = "tariff"
SOLAR = "solar_forecast"
LOCATION = "vehicle_location"
SESSIONS = "sessions"
HOME_ENERGY = "home_energy"
# The list of HEM systems, read daily by live power and by home energy alike: the path cannot tell which.
HEM_LIST = "hem_systems"
# What the budget's count is compared with the simulator's under: the list's two readers together.
HEM_READERS = "live_power + home_energy"
NEW_READERS = (LIVE_POWER, CARBON, TARIFF, SOLAR, LOCATION)
OLD_READERS = (POLLING, SESSIONS, HOME_ENERGY, HEM_LIST)
LABELS = {
    LIVE_POWER: "live power",
    CARBON: "carbon",
    TARIFF: "tariff",
    SOLAR: "solar forecast",
    LOCATION: "car location",
    POLLING: "device polling",
    SESSIONS: "sessions",
    HOME_ENERGY: "home energy",
    HEM_LIST: "HEM systems list (live power, home energy)",
}
# Issue 20's rough figures at home scale (and for a fleet of 20 where they differ).
EXPECTED = {
    LIVE_POWER: "60",
    CARBON: "~2",
    TARIFF: "~1.2",
    SOLAR: "3",
    LOCATION: "4 (fleet 60)",
}


def reader_of(request: RequestRecord) -> str:
    """Return which reader sent a request, by its path (the route's template) and, for the user, its expansion.

    Anything else is the polling coordinator's: the device lists, their history and the account.
    """
    route = request.route
    if route.endswith("/live_power"):
        return LIVE_POWER
    if route.endswith("/energy_stats"):
        return HOME_ENERGY
    if route == "/v2/hem_systems":
        return HEM_LIST
    if route.startswith("/v2/carbon_feeds"):
        return CARBON
    if route.startswith("/v2/tariffs") or any(
        "default_location.tariff" in expand for expand in request.query.get("expand", ())
    ):
        return TARIFF
    if route.startswith(("/v2/solar_forecasts", "/v2/solar_arrays")):
        return SOLAR
    if route.endswith("/location_logs"):
        return LOCATION
    if route.startswith("/v2/charging_") or route.endswith("/state_of_charge"):
        # The carbon reader also reads a page of sub-sessions daily, but only with several carbon feeds (not here).
        return SESSIONS
    return POLLING


@dataclass
class Window:
    """The requests of one stretch of a run, by reader, from the simulator and from the integration's budget."""

    hours: float
    served: list[RequestRecord] = field(default_factory=list)
    counted: Counter[str] = field(default_factory=Counter)

    @property
    def by_reader(self) -> Counter[str]:
        """Return the simulator's requests by reader."""
        return Counter(reader_of(request) for request in self.served)

    def per_hour(self, readers: Sequence[str]) -> float:
        """Return the requests an hour of these readers together."""
        by_reader = self.by_reader
        return sum(by_reader[reader] for reader in readers) / self.hours

    @property
    def rate_limited(self) -> int:
        """Return the 429 answers."""
        return sum(1 for request in self.served if request.status == 429)

    def disagreements(self) -> list[str]:
        """Return where the budget's count by reader name differs from the simulator's by path."""
        served, counted = _hem_merged(self.by_reader), _hem_merged(self.counted)
        return [
            f"{name}: {served[name]} served, {counted[name]} counted"
            for name in sorted(served.keys() | counted.keys())
            if served[name] != counted[name]
        ]


def _hem_merged(by_reader: Counter[str]) -> Counter[str]:
    """Return the counts with live power's, home energy's and their shared list's as one (the path cannot part them)."""
    merged: Counter[str] = Counter()
    for name, count in by_reader.items():
        merged[HEM_READERS if name in (LIVE_POWER, HOME_ENERGY, HEM_LIST) else name] += count
    return merged


@dataclass
class Run:
    """What one scenario measured: its first hour after set-up and its steady hours."""

    label: str
    set_up_at: datetime
    first: Window
    steady: Window

    @property
    def busiest_steady_hour(self) -> int:
        """Return the busiest rolling hour of the steady hours, every reader together."""
        return busiest_hour([request.time for request in self.steady.served])

    @property
    def busiest_hour(self) -> int:
        """Return the busiest rolling hour of the whole run, set-up included."""
        return busiest_hour([request.time for request in (*self.first.served, *self.steady.served)])


def _split(
    sim: Simulator, counted: list[tuple[datetime, str]], start: int, set_up_at: datetime
) -> tuple[Window, Window]:
    """Split a run's requests at an hour after set-up (each window half-open: [from, to))."""
    first, steady = Window(1), Window(STEADY_HOURS)
    end = set_up_at + HOUR * (1 + STEADY_HOURS)
    for request in sim.requests[start:]:
        if request.path.startswith("/v2/") and request.time < end:
            (first if request.time < set_up_at + HOUR else steady).served.append(request)
    for at, caller in counted:
        if at < end:
            (first if at < set_up_at + HOUR else steady).counted[caller] += 1
    return first, steady


async def _measure(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    label: str,
) -> Run:
    # Every request the gateway counts, with the time and the name it is counted under (set-up's too).
    counted: list[tuple[datetime, str]] = []
    record_request = RequestBudget.record_request

    def record(budget: RequestBudget, now: datetime, caller: str = POLLING) -> None:
        counted.append((now, caller))
        record_request(budget, now, caller)

    monkeypatch.setattr(RequestBudget, "record_request", record)
    start, set_up_at = len(sim.requests), sim.clock.now()
    entry = await set_up_entry(hass, sim)
    await Clock(hass, sim, freezer).run_for((1 + STEADY_HOURS) * 3600, step=STEP_SECONDS)
    await remove_entry(hass, entry)
    monkeypatch.setattr(RequestBudget, "record_request", record_request)
    return Run(label, set_up_at, *_split(sim, counted, start, set_up_at))


HEADERS = (
    "reader",
    "home 1st h",
    "home req/h",
    "home %",
    "home, reports 60 s, req/h",
    "home, reports 60 s, %",
    "fleet 1st h",
    "fleet req/h",
    "fleet %",
    "issue 20",
)


def _row(
    label: str, runs: Sequence[Run], readers: Sequence[str], expected: str = ""
) -> list[object]:
    home, every_minute, fleet = runs
    cells: list[object] = [label]
    for run, first_hour in ((home, True), (every_minute, False), (fleet, True)):
        per_hour = run.steady.per_hour(readers)
        if first_hour:
            cells.append(f"{run.first.per_hour(readers):.0f}")
        cells += [f"{per_hour:.1f}", f"{100 * per_hour / LIMIT:.1f} %"]
    return [*cells, expected]


def _rows(runs: Sequence[Run]) -> list[list[object]]:
    rows = [_row(LABELS[name], runs, (name,), EXPECTED.get(name, "")) for name in NEW_READERS]
    rows.append(_row("new readers together", runs, NEW_READERS, "~70"))
    rows += [_row(LABELS[name], runs, (name,)) for name in OLD_READERS]
    rows.append(_row("everything together", runs, (*NEW_READERS, *OLD_READERS), "< 150 home"))
    busiest: list[object] = ["busiest rolling hour, all"]
    errors: list[object] = ["429 answers"]
    for run, first_hour in zip(runs, (True, False, True), strict=True):
        if first_hour:
            busiest.append(run.busiest_hour)
            errors.append(run.first.rate_limited)
        share = f"{100 * run.busiest_steady_hour / LIMIT:.1f} %"
        busiest += [run.busiest_steady_hour, share]
        errors += [run.steady.rate_limited, ""]
    return [*rows, [*busiest, "< 150 home"], [*errors, "0"]]


def _notes(runs: Sequence[Run]) -> list[str]:
    steady_from = runs[0].set_up_at + HOUR
    steady_to = steady_from + HOUR * STEADY_HOURS
    disagreements = [
        f"{run.label}, {name}: {text}"
        for run in runs
        for name, window in (("first hour", run.first), ("steady", run.steady))
        for text in window.disagreements()
    ]
    agreement = (
        "the integration's own count (the budget, by reader name) agrees with the simulator's by path in every"
        " run and window"
        if not disagreements
        else "the budget's count by reader name differs from the simulator's by path: "
        + "; ".join(disagreements)
    )
    return [
        (
            f"1st h: requests in the first hour after set-up (every reader's first read, the devices' history, the"
            f" sessions' and home energy's backfill); req/h: per hour over the {STEADY_HOURS} steady hours after it"
            f" ({steady_from:%H:%M} to {steady_to:%H:%M} UTC, the car home); %: of the {LIMIT}/h limit;"
        ),
        (
            "home: charger, car, solar, HEM system with home battery, tariff, carbon feed; devices report every 5"
            " minutes, so idle polls come every 5 minutes; reports 60 s: the same home with reports every minute"
            " (the demo's), idle polls every minute; fleet: 20 chargers and cars, no HEM system nor solar;"
        ),
        (
            "by path: live power /v2/hem_systems/{id}/live_power; carbon /v2/carbon_feeds...; tariff /v2/tariffs/..."
            " and the user read with its tariff expanded (every 6 h); solar forecast /v2/solar_forecasts...,"
            " /v2/solar_arrays; car location /v2/vehicles/{id}/location_logs; sessions /v2/charging_...,"
            " state_of_charge; home energy /v2/hem_systems/{id}/energy_stats; polling: the device lists, their"
            " history and the account; the daily reads (the HEM systems list, by each of its two readers, and the"
            " carbon feeds) fall outside the steady hours, about 0.04/h each;"
        ),
        (
            "busiest rolling hour, all: 1st h column over the whole run (set-up included), req/h column over the"
            " steady hours; 429 answers: in the first hour / in the steady hours;"
        ),
        (
            f"asserted (issue 20): no 429, and at home scale (reports every 5 minutes) every rolling hour of the"
            f" steady hours under {HOME_TARGET:.0f} requests (15 % of {LIMIT}/h); the first hour and the other runs"
            " are figures;"
        ),
        *(_over_target(run) for run in runs[1:] if run.busiest_steady_hour >= HOME_TARGET),
        agreement + ".",
    ]


def _over_target(run: Run) -> str:
    """Say what takes a run over the home target, and how much of it is polling's."""
    polling, everything = (
        run.steady.per_hour((POLLING,)),
        run.steady.per_hour((*NEW_READERS, *OLD_READERS)),
    )
    return (
        f"{run.label}: everything together {everything:.0f}/h, over {HOME_TARGET:.0f}/h (not asserted): device"
        f" polling alone {polling:.0f}/h (three device lists a poll), the new readers {run.steady.per_hour(NEW_READERS):.0f}/h;"
    )


@pytest.mark.usefixtures("credentials")
async def test_readers_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    """Report each reader's requests per hour at home scale and for a fleet of 20; assert no 429 and the target."""
    scenarios = (
        ("home", {"home_battery": True}, "home"),
        ("home", {"home_battery": True, "sample_interval_seconds": 60}, "home, reports every 60 s"),
        ("fleet", {"fleet_size": 20}, "fleet of 20"),
    )
    runs = []
    for scenario, options, label in scenarios:
        async with start_simulator(scenario, **options) as sim:
            runs.append(await _measure(hass, sim, freezer, monkeypatch, label))
    report.table(
        f"Readers (issue 20): requests per hour of each reader, in the first hour after set-up and over {STEADY_HOURS}"
        f" steady hours after it, at home scale and for a fleet of 20 (limit {LIMIT}/h, share 50 %)",
        HEADERS,
        _rows(runs),
        _notes(runs),
    )
    assert [(run.first.rate_limited, run.steady.rate_limited) for run in runs] == [(0, 0)] * len(
        runs
    )
    home = runs[0]
    assert home.busiest_steady_hour < HOME_TARGET, (
        f"home: {home.busiest_steady_hour} requests in the busiest steady hour, over {HOME_TARGET:.0f}"
    )
