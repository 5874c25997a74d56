"""Polling figures: requests per poll and per hour, 429s and staleness, for growing fleets.

Run with ``scripts/benchmark``. It reports figures (a table through the ``report`` fixture of
``benchmarks/conftest.py``) and asserts nothing: these machines are shared and noisy, so everything is counted
in simulated time (requests, polls, ages), never in wall-clock seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from simulator.testing import DEFAULT_CLIENT_ID, Simulator
from tests.integration.conftest import Clock, set_up_entry

from .conftest import Report, StartSimulator, busiest_hour, remove_entry

HOURS = 6
STEP_SECONDS = 60


@dataclass
class Figures:
    """What one run measured."""

    label: str
    devices: int
    polls: int
    requests: int
    busiest_hour: int
    rate_limited: int
    history_reads: int
    staleness_median_s: float
    staleness_max_s: float

    def row(self) -> tuple[object, ...]:
        """The figures in the order of HEADERS."""
        per_poll = self.requests / self.polls if self.polls else 0
        return (
            self.label,
            self.devices,
            self.polls,
            self.requests,
            f"{per_poll:.2f}",
            self.busiest_hour,
            self.rate_limited,
            self.history_reads,
            f"{self.staleness_median_s:.0f}",
            f"{self.staleness_max_s:.0f}",
            self.polls * self.devices,
        )


HEADERS = (
    "run",
    "devices",
    "polls",
    "requests",
    "req/poll",
    "max/hour",
    "429s",
    "history",
    "stale~s",
    "stale^s",
    "naive",
)
NOTES = (
    (
        "requests, req/poll: all requests and per poll cycle (collections, account, history, and the sessions"
        " reader reading after polls); max/hour: busiest rolling hour;"
    ),
    "stale~s / stale^s: median / max age of the charger sample shown, in seconds, sampled each minute;",
    "naive: requests a poller reading each device separately would need for the same polls.",
)


async def _measure(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    label: str,
    other_app_per_hour: int = 0,
) -> Figures:
    entry = await set_up_entry(hass, sim)
    coordinator = entry.runtime_data.coordinator
    clock = Clock(hass, sim, freezer)
    start = len(sim.requests)
    ages: list[float] = []
    for minute in range(HOURS * 60):
        await clock.advance(STEP_SECONDS)
        # Another app of the same (client, user) pair spending the shared bucket, spread over the hour.
        for _ in range(
            other_app_per_hour // 60 + (1 if minute % 60 < other_app_per_hour % 60 else 0)
        ):
            sim.rate_limiter.hit(DEFAULT_CLIENT_ID, sim.primary_user_id)
        now = sim.clock.now()
        for evse in coordinator.data.evses.values():
            log = evse.latest_status_log
            if log is not None and not isinstance(log, str) and log.sampled_at is not None:
                ages.append((now - log.sampled_at).total_seconds())
    # The other app's requests are counted by the rate limiter only, so the log holds ours alone.
    ours = [r for r in sim.requests[start:] if r.path.startswith("/v2/")]
    figures = Figures(
        label=label,
        devices=len(sim.evse_ids) + len(sim.vehicle_ids) + len(sim.inverter_ids),
        polls=sum(1 for r in ours if r.path == "/v2/evses"),
        requests=len(ours),
        busiest_hour=busiest_hour([r.time for r in ours]),
        rate_limited=sum(1 for r in ours if r.status == 429),
        history_reads=sum(1 for r in ours if "/status_logs" in r.path),
        staleness_median_s=statistics.median(ages) if ages else 0.0,
        staleness_max_s=max(ages, default=0.0),
    )
    await remove_entry(hass, entry)
    return figures


@pytest.mark.usefixtures("credentials")
async def test_polling_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    report: Report,
) -> None:
    """Report the figures for fleets of growing size and for a bucket shared with a busy app."""
    runs = [("home", {}, "home (1 charger, car, inverter)", 0)]
    runs += [("fleet", {"fleet_size": size}, f"fleet of {size}", 0) for size in (5, 20, 60)]
    runs += [("home", {"rate_limit": 100}, "home, limit 100/h", 0)]
    runs += [("home", {}, "home, other app 700/h", 700)]
    runs += [("home", {}, "home, other app 950/h", 950)]
    results = []
    for scenario, options, label, other in runs:
        async with start_simulator(scenario, **options) as sim:
            results.append(await _measure(hass, sim, freezer, label, other))
    report.table(
        f"ev_energy polling over {HOURS} simulated hours (limit 1000/h unless said; share 50 %)",
        HEADERS,
        [figures.row() for figures in results],
        NOTES,
    )
