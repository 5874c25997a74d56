"""Broken next links: what a device list that never ends costs in requests per hour, next to a whole one.

Run with ``scripts/benchmark``. The home is set up against the simulator and polls for a while; then the
simulator's fault API makes ev.energy's device list answer with a next link that loops, that never ends (the page
cap), or that points to another origin, and stays so for the measured hours. The integration reads what such a
walk held, removes no device, and after a loop or the page cap reads only the first page for an hour. Counted in
simulated time from the simulator's request log; nothing is asserted (these machines are shared and noisy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.ev_energy.const import DOMAIN
from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry

from .conftest import Report, StartSimulator, busiest_hour, remove_entry

SETTLE_SECONDS = 600
HOURS = 3
STEP_SECONDS = 60
LIMIT = 1000
EVSES = "/v2/evses"
DEVICE_LISTS = ("/v2/evses", "/v2/vehicles", "/v2/inverters")
BEFORE = 1005

type Fault = Callable[[Simulator], None]


def _no_fault(sim: Simulator) -> None:
    """Every list whole: the home's normal figure."""


def _loop(sim: Simulator) -> None:
    sim.faults.endless_pagination(EVSES, loop=True)


def _never_ends(sim: Simulator) -> None:
    sim.faults.endless_pagination(EVSES)


def _other_origin(sim: Simulator) -> None:
    sim.faults.foreign_next_link(EVSES)


def _every_list_loops(sim: Simulator) -> None:
    for path in DEVICE_LISTS:
        sim.faults.endless_pagination(path, loop=True)


RUNS: tuple[tuple[str, Fault], ...] = (
    ("home, every list whole", _no_fault),
    ("charger list's next link loops", _loop),
    ("charger list never ends (page cap)", _never_ends),
    ("charger list's next link on another origin", _other_origin),
    ("every device list's next link loops", _every_list_loops),
)
HEADERS = (
    "run",
    "list pages/h",
    "list pages max/hour",
    "req/h",
    "max/hour",
    "% of limit",
    "429s",
    "devices removed",
    "max/hour before the fix",
)
NOTES = (
    (
        "list pages: requests of the faulted device lists (/v2/evses; the last run /v2/evses, /v2/vehicles and"
        " /v2/inverters), per hour over the measured hours and in the busiest rolling hour;"
    ),
    (
        "req/h, max/hour: every request (polls, account, sessions and home energy reads), per hour and in the"
        " busiest rolling hour; % of limit: max/hour of the account's 1000/h;"
    ),
    "devices removed: devices of the entry gone from Home Assistant at the end (a list cut short removes none);",
    (
        f"before the fix (historical, measured on the code before issue 19, not by this run): a next link that loops"
        f" cost 50 pages at every poll, {BEFORE:,} requests in one hour, the whole limit; the other origin"
        " failed every poll instead;"
    ),
    (
        "after a loop or the page cap only the first page is read for an hour (SHORT_WALK), then the whole walk is"
        " tried again; a next link on another origin is never followed, so it costs the first page a poll."
    ),
)


@dataclass
class Figures:
    """What one run measured."""

    label: str
    list_pages: list[datetime]
    requests: list[datetime]
    rate_limited: int
    removed: int
    before: str

    def row(self) -> tuple[object, ...]:
        """The figures in the order of HEADERS."""
        busiest = busiest_hour(self.requests)
        return (
            self.label,
            f"{len(self.list_pages) / HOURS:.0f}",
            busiest_hour(self.list_pages),
            f"{len(self.requests) / HOURS:.0f}",
            busiest,
            f"{100 * busiest / LIMIT:.0f} %",
            self.rate_limited,
            self.removed,
            self.before,
        )


def _devices(hass: HomeAssistant) -> set[str]:
    registry = dr.async_get(hass)
    return {
        device.id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
    }


async def _measure(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    label: str,
    fault: Fault,
) -> Figures:
    entry = await set_up_entry(hass, sim)
    clock = Clock(hass, sim, freezer)
    await clock.run_for(SETTLE_SECONDS, step=STEP_SECONDS)
    devices = _devices(hass)
    fault(sim)
    start = len(sim.requests)
    await clock.run_for(HOURS * 3600, step=STEP_SECONDS)
    ours = [r for r in sim.requests[start:] if r.path.startswith("/v2/")]
    faulted = DEVICE_LISTS if fault is _every_list_loops else (EVSES,)
    figures = Figures(
        label=label,
        list_pages=[r.time for r in ours if r.path in faulted],
        requests=[r.time for r in ours],
        rate_limited=sum(1 for r in ours if r.status == 429),
        removed=len(devices - _devices(hass)),
        before=f"{BEFORE:,}" if fault is _loop else "",
    )
    sim.faults.clear()
    await remove_entry(hass, entry)
    return figures


@pytest.mark.usefixtures("credentials")
async def test_broken_next_link_figures(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    report: Report,
) -> None:
    """Report the requests per hour a looping, endless or foreign next link costs, next to the home's."""
    results = []
    for label, fault in RUNS:
        async with start_simulator("home") as sim:
            results.append(await _measure(hass, sim, freezer, label, fault))
    report.table(
        f"Broken next links: requests per hour over {HOURS} simulated hours while ev.energy's device list"
        " answers with a next link that loops, never ends or leaves its origin (home; limit 1000/h, share 50 %)",
        HEADERS,
        [figures.row() for figures in results],
        NOTES,
    )
