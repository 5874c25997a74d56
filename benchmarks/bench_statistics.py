"""Charging statistics figures: what importing hourly energy and cost costs in requests, home and a 20-car fleet.

Run with ``scripts/benchmark``. A new entry on an account with five weeks of charging behind it, over one
simulated day: the backfill of 30 days, then the steady state (revision reads). Energy usage comes expanded on
the sessions reader's own reads, so the import's cost is the backfill pages and the revision reads. Nothing is
asserted; these machines are shared and noisy.

A second table counts what the import costs the recorder: the rows of its hourly statistics table inserted and
updated in the three-day run of the statistics tests (an outage included), next to the energy imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.components.recorder.util import get_instance
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import event

from custom_components.ev_energy.charging_statistics import ENERGY, series_id
from custom_components.ev_energy.sessions import BACKFILL_HISTORY
from simulator.requestlog import RequestRecord
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry
from tests.integration.test_charging_statistics import three_days_with_an_outage, truth

from .conftest import Report, StartSimulator, busiest_hour, remove_entry

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


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Start the recorder before Home Assistant where a benchmark counts its rows (it slows the others down)."""
    if "recorder_rows" in request.node.name:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


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
        busiest_hour=busiest_hour([r.time for r in ours]),
        share=budget.limit * budget.share,
        rate_limited=sum(1 for r in ours if r.status == 429),
    )
    await remove_entry(hass, entry)
    return figures


@pytest.mark.usefixtures("credentials")
async def test_charging_statistics_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    report: Report,
) -> None:
    """Report the requests per day the hourly import costs, for the home and a 20-car fleet."""
    runs = [("home", {}, "home (1 charger, car)"), ("fleet", {"fleet_size": 20}, "fleet of 20")]
    results = []
    for scenario, options, label in runs:
        async with start_simulator(scenario, history_hours=HISTORY_HOURS, **options) as sim:
            results.append(await _measure(hass, sim, freezer, label))
    report.table(
        f"ev_energy charging statistics: a new entry over {HOURS} simulated hours, "
        "30 days of backfill (limit 1000/h, share 50 %)",
        HEADERS,
        [figures.row() for figures in results],
        NOTES,
    )


DAY = 24 * 3600
ROWS_HEADERS = (
    "run",
    "statistics",
    "hours with energy",
    "energy imported, kWh",
    "truth, kWh",
    "rows inserted",
    "rows updated",
    "rows written",
    "% of before",
)
# Measured on the code before issue 19 (not by this run): the rows inserted and updated, and what they stood for.
BEFORE_ROWS = 34_461
TARGET_ROWS = BEFORE_ROWS // 10
HISTORICAL_ROWS = (
    (
        "before issue 19: a Store of every hour, re-imported from the first changed hour on",
        2_546,
        31_915,
    ),
    ("intermediate: the same, home energy's backfill oldest first", 2_546, 2_683),
)
ROWS_NOTES = (
    "the run: the three-day test of tests/integration/test_charging_statistics.py, the home (charger, car, HEM",
    "system) for 1.5 days, Home Assistant off 6 hours while the car charges, 1.5 days more, in 15-minute steps;",
    "statistics: the ev_energy statistics in the recorder; hours with energy: their hourly rows with a change;",
    "energy imported: the charger's and the car's 'energy charged' sums at the end; truth: the simulator's",
    "energy of the same sub-sessions; rows inserted / updated: rows of the recorder's hourly statistics table",
    "the imports inserted and updated (an hour imported again is an update); rows written: both;",
    (
        f"% of before: rows written over the {BEFORE_ROWS:,} of the code before issue 19; target: at most a"
        f" tenth ({TARGET_ROWS:,} rows);"
    ),
    (
        "measured now: the first row, by this run; historical, not measured by this run: the rows marked before"
        " (issue 19) and intermediate (the intermediate commit: same run, same energy)."
    ),
)


class UpdateCounter:
    """Counts the rows the recorder updates in its hourly statistics table (only imports update rows)."""

    def __init__(self) -> None:
        """Count nothing yet."""
        self.rows = 0

    def after_cursor_execute(self, *args: Any) -> None:
        """Add the rows an UPDATE of the table changed (SQLAlchemy's after_cursor_execute event)."""
        _connection, cursor, statement = args[:3]
        if statement.lstrip().upper().startswith("UPDATE STATISTICS SET"):
            self.rows += max(cursor.rowcount, 0)


async def _recorded(hass: HomeAssistant, start: datetime) -> dict[str, list[Any]]:
    """Return every hourly row of the integration's statistics from ``start`` on, with change and sum."""
    await async_wait_recording_done(hass)
    instance = get_instance(hass)
    metadata = await instance.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source="ev_energy")
    )
    return await instance.async_add_executor_job(
        statistics_during_period, hass, start, None, set(metadata), "hour", None, {"change", "sum"}
    )


@pytest.mark.usefixtures("credentials")
async def test_recorder_rows_of_the_three_day_outage_run(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory, report: Report
) -> None:
    """Report the recorder rows the statistics import writes in the three-day run, next to the energy."""
    start = dt_util.utcnow() - BACKFILL_HISTORY - timedelta(days=1)
    updates = UpdateCounter()
    engine = get_instance(hass).engine
    assert engine is not None
    event.listen(engine, "after_cursor_execute", updates.after_cursor_execute)
    try:
        entry = await three_days_with_an_outage(hass, sim, Clock(hass, sim, freezer))
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        rows = await _recorded(hass, start)
    finally:
        event.remove(engine, "after_cursor_execute", updates.after_cursor_execute)
    subs = [sub for sub in sim.state.sub_sessions.values() if sub.user_id == sim.primary_user_id]
    devices = {device for sub in subs for device in (sub.evse_id, sub.vehicle_id) if device}
    imported = sum(rows[series_id(device, ENERGY)][-1]["sum"] for device in devices)
    expected = sum(sum(truth(subs, device)["energy"].values()) for device in devices)
    inserted = sum(len(series) for series in rows.values())
    written = inserted + updates.rows
    measured = (
        "home, 3 days, 6 h off (measured now)",
        len(rows),
        sum(1 for series in rows.values() for row in series if row["change"]),
        f"{imported:.3f}",
        f"{expected:.3f}",
        f"{inserted:,}",
        f"{updates.rows:,}",
        f"{written:,}",
        f"{100 * written / BEFORE_ROWS:.1f} %",
    )
    historical = [
        (
            label,
            "",
            "",
            "",
            "",
            f"{ins:,}",
            f"{upd:,}",
            f"{ins + upd:,}",
            f"{100 * (ins + upd) / BEFORE_ROWS:.1f} %",
        )
        for label, ins, upd in HISTORICAL_ROWS
    ]
    report.table(
        "ev_energy statistics in the recorder: rows written by the three-day outage run, now and before"
        f" (target: at most a tenth of {BEFORE_ROWS:,})",
        ROWS_HEADERS,
        [measured, *historical],
        ROWS_NOTES,
    )
