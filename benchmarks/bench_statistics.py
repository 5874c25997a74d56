"""Charging statistics figures: what importing hourly energy and cost costs in requests, home and a 20-car fleet.

Run with ``scripts/benchmark``. A new entry on an account with five weeks of charging behind it, over one
simulated day: the backfill of 30 days, then the steady state (revision reads). Energy usage comes expanded on
the sessions reader's own reads, so the import's cost is the backfill pages and the revision reads. Nothing is
asserted; these machines are shared and noisy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_energy.const import API_ORIGIN_ENV
from custom_components.ev_energy.sessions import BACKFILL_HISTORY
from simulator.requestlog import RequestRecord
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry

from .bench_polling import _busiest_hour
from .conftest import Report

HOURS = 24
STEP_SECONDS = 120
HISTORY_HOURS = 34 * 24
SUB_SESSIONS = "/v2/charging_sub_sessions"
HEM_SYSTEMS = "/v2/hem_systems"
HEADERS = (
    "run",
    "cars",
    "sub-sessions",
    "backfill req",
    "backfill done",
    "revision req/day",
    "home energy req/day",
    "statistics req/day",
    "reader req/day",
    "all req/day",
    "max/hour",
    "share used",
    "429s",
)
NOTES = (
    "sub-sessions: the account's sub-sessions of the last 30 days (what the backfill imports);",
    "backfill req: pages of older finished sub-sessions read (one at most per sessions cycle);",
    "backfill done: simulated hours after set-up until 30 days were covered;",
    "revision req/day: re-reads of sub-sessions that ended in the last 48 h (every 3 h) in steady state;",
    "home energy req/day: the home's solar and grid figures (HEM energy_stats: one read an hour, a day back,",
    "the systems list daily, one read per missing day of its own 30-day backfill; a fleet without HEM lists once);",
    "statistics req/day: backfill, revision and home energy reads together, the whole extra cost of the import",
    "(energy usage itself comes expanded on the reader's reads at no request);",
    "reader req/day: every sessions reader request; all req/day: with polling;",
    "max/hour: busiest rolling hour of all requests; share used: max/hour over the share (50 % of 1000/h).",
)


@dataclass
class Figures:
    """What one run measured."""

    label: str
    cars: int
    sub_sessions: int
    backfill: int
    backfill_hours: float | None
    revisions: int
    home_energy: int
    reader: int
    requests: int
    busiest_hour: int
    share: float
    rate_limited: int

    def row(self) -> tuple[object, ...]:
        """The figures in the order of HEADERS."""
        done = "not yet" if self.backfill_hours is None else f"{self.backfill_hours:.1f} h"
        return (
            self.label,
            self.cars,
            self.sub_sessions,
            self.backfill,
            done,
            self.revisions,
            self.home_energy,
            self.backfill + self.revisions + self.home_energy,
            self.reader,
            self.requests,
            self.busiest_hour,
            f"{100 * self.busiest_hour / self.share:.0f} %",
            self.rate_limited,
        )


def _is_backfill(record: RequestRecord) -> bool:
    return record.path == SUB_SESSIONS and "start__lt" in record.query


def _is_revision(record: RequestRecord) -> bool:
    return record.path == SUB_SESSIONS and "end__gt" in record.query


async def _measure(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory, label: str
) -> Figures:
    set_up_at = sim.clock.now()
    entry = await set_up_entry(hass, sim)
    clock = Clock(hass, sim, freezer)
    charging = entry.runtime_data.sessions.charging
    done_at: datetime | None = None
    for _ in range(HOURS * 3600 // STEP_SECONDS):
        await clock.advance(STEP_SECONDS)
        if done_at is None and charging.backfill_until and charging.backfill_before is None:
            done_at = sim.clock.now()
    ours = [r for r in sim.requests if r.path.startswith("/v2/")]
    budget = entry.runtime_data.coordinator.budget
    figures = Figures(
        label=label,
        cars=len(sim.vehicle_ids),
        sub_sessions=sum(
            1
            for sub in sim.state.sub_sessions.values()
            if sub.user_id == sim.primary_user_id
            and set_up_at - BACKFILL_HISTORY < sub.start <= set_up_at
        ),
        backfill=sum(1 for r in ours if _is_backfill(r)),
        backfill_hours=None if done_at is None else (done_at - set_up_at).total_seconds() / 3600,
        revisions=sum(1 for r in ours if _is_revision(r)),
        home_energy=sum(1 for r in ours if r.path.startswith(HEM_SYSTEMS)),
        reader=sum(
            1
            for r in ours
            if r.path.startswith("/v2/charging_") or r.path.endswith("/state_of_charge")
        ),
        requests=len(ours),
        busiest_hour=_busiest_hour([r.time for r in ours]),
        share=budget.limit * budget.share,
        rate_limited=sum(1 for r in ours if r.status == 429),
    )
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    return figures


@pytest.mark.usefixtures("credentials")
async def test_charging_statistics_figures(
    hass: HomeAssistant,
    simulator_factory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    """Report the requests per day the hourly import costs, for the home and a 20-car fleet."""
    runs = [("home", {}, "home (1 charger, car)"), ("fleet", {"fleet_size": 20}, "fleet of 20")]
    results = []
    for scenario, options, label in runs:
        async with simulator_factory(scenario, history_hours=HISTORY_HOURS, **options) as sim:
            freezer.move_to(sim.clock.now())
            monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
            results.append(await _measure(hass, sim, freezer, label))
    report.table(
        f"ev_energy charging statistics: a new entry over {HOURS} simulated hours, "
        "30 days of backfill (limit 1000/h, share 50 %)",
        HEADERS,
        [figures.row() for figures in results],
        NOTES,
    )
