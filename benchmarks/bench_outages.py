"""A simulated day with outages: events, energy and devices against the simulator's truth.

Run with ``scripts/benchmark``. One day of the home scenario (a charger, a car that drives to work, charges at
night and comes back, an inverter), with ev.energy failing in five periods that cover the evening, the start and
end of the night's charge, the departure and the arrival. It prints how many of the simulator's transitions fired
an event, how much of the delivered energy the meter counted, and how many devices were removed although they
never left the account. Everything is counted in simulated time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import itertools
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
import pytest

from simulator.testing import Simulator
from tests.integration.conftest import Clock, set_up_entry
from tests.integration.helpers import device_for, entity_id

from .conftest import Report, StartSimulator

STEP_SECONDS = 60
DAY_HOURS = 24
# After the day, time for the last outage's samples to be read.
CATCH_UP_SECONDS = 1800

type Fault = Callable[[Simulator], None]

# (first minute, last minute after the start at 17:30, what ev.energy does meanwhile): the evening, the start and
# the end of the night's charge, the departure, the arrival.
OUTAGES: tuple[tuple[int, int, Fault], ...] = (
    (60, 90, lambda sim: sim.faults.server_errors(100_000, status=503, path_prefix="/v2/")),
    (495, 555, lambda sim: sim.faults.html_error(100_000, path_prefix="/v2/")),
    (630, 690, lambda sim: sim.faults.malformed_json(100_000, path_prefix="/v2/")),
    (828, 882, lambda sim: sim.faults.server_errors(100_000, status=503, path_prefix="/v2/")),
    (1404, 1440, lambda sim: sim.faults.server_errors(100_000, status=500, path_prefix="/v2/")),
)

# Which flag change is which event, in the order one sample's events fire.
EDGES: tuple[tuple[Callable[[object], object], str | None, str | None], ...] = (
    (lambda log: log.is_plugged_in, "plugged_in", None),
    (lambda log: log.is_charging, "charging_started", "charging_stopped"),
    (lambda log: getattr(log, "state", None) == "PLUGGED_IN_COMPLETE", "charge_complete", None),
    (lambda log: log.is_plugged_in, None, "unplugged"),
)


def _true_transitions(logs: list, after: datetime, until: datetime) -> int:
    count = 0
    for before, sample in itertools.pairwise(logs):
        if not after < sample.sampled_at <= until:
            continue
        for read, rising, falling in EDGES:
            if read(before) != read(sample) and (rising if read(sample) else falling):
                count += 1
    return count


def _count_events(hass: HomeAssistant, entities: set[str]) -> list[str]:
    fired: list[str] = []
    last: dict[str, tuple] = {}

    @callback
    def on_change(event: Event) -> None:
        new = event.data["new_state"]
        entity = event.data["entity_id"]
        if entity not in entities or new is None or "sampled_at" not in new.attributes:
            return
        seen = (new.attributes["event_type"], new.attributes["sampled_at"], new.state)
        if last.get(entity) != seen:
            last[entity] = seen
            fired.append(seen[0])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return fired


@pytest.mark.usefixtures("credentials")
async def test_a_day_with_outages(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    """Report events fired / transitions made, energy counted / delivered, and devices wrongly removed."""
    # The outages are on purpose: their log lines would bury the figures.
    logger = logging.getLogger("custom_components.ev_energy")
    monkeypatch.setattr(logger, "level", logger.level)  # restored after the run
    logger.setLevel(logging.CRITICAL)
    async with start_simulator("home") as sim:
        entry = await set_up_entry(hass, sim)
        ledger = entry.runtime_data.ledger
        clock = Clock(hass, sim, freezer)
        evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
        devices = {evse_id: sim.state.evse_logs, vehicle_id: sim.state.vehicle_logs}
        baseline = {device_id: ledger.high_water_mark(device_id) for device_id in devices}
        counted_from = ledger.energy_total_wh(evse_id) or 0.0
        fired = _count_events(
            hass, {entity_id(hass, "event", f"{device_id}_charge_events") for device_id in devices}
        )
        all_devices = [*sim.evse_ids, *sim.vehicle_ids, *sim.inverter_ids]
        wrongly_removed: set[str] = set()
        start = sim.clock.now()

        for minute in range(DAY_HOURS * 60 + CATCH_UP_SECONDS // 60):
            for begin, end, fault in OUTAGES:
                if minute == begin:
                    fault(sim)
                elif minute == end:
                    sim.faults.clear()
            await clock.advance(STEP_SECONDS)
            wrongly_removed |= {d for d in all_devices if device_for(hass, d) is None}

        transitions = sum(
            _true_transitions(logs[d], baseline[d], ledger.high_water_mark(d))
            for d, logs in devices.items()
        )
        mark = ledger.high_water_mark(evse_id)
        meter = {
            log.sampled_at: log.meter_reading_watt_hours for log in sim.state.evse_logs[evse_id]
        }
        delivered = meter[mark] - meter[baseline[evse_id]]
        counted = (ledger.energy_total_wh(evse_id) or 0.0) - counted_from
        await hass.config_entries.async_unload(entry.entry_id)

    down = sum(end - begin for begin, end, _fault in OUTAGES) / 60
    report.table(
        f"A simulated day from {start:%H:%M} with ev.energy down {down:.1f} h in 5 outages",
        ("figure", "ours", "truth", "%"),
        [
            (
                "events fired / transitions made",
                len(fired),
                transitions,
                _percent(len(fired), transitions),
            ),
            (
                "energy counted / delivered, Wh",
                f"{counted:.0f}",
                delivered,
                _percent(counted, delivered),
            ),
            ("devices wrongly removed", len(wrongly_removed), 0, ""),
        ],
        (
            "Transitions and delivered energy are the simulator's truth over the same samples.",
            "Outages: 5xx, HTML error pages and broken JSON for whole periods.",
        ),
    )


def _percent(ours: float, truth: float) -> str:
    return f"{100 * ours / truth:.1f}" if truth else "-"
