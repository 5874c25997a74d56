"""Properties of the sample ledger under random sample streams, as polls deliver them.

A true charger history (times with gaps of up to half a day, a meter that rises by what the charger delivered,
meter resets, plug and charge flags that the API sometimes leaves out) is delivered in random polls: each poll
brings its new samples shuffled, duplicates of older ones, and samples dated in the future. Single outliers,
low or high, replace some readings. A single outlier is one whose neighbours are true readings and that is not
followed by a reset (a reset right after a wrong reading cannot be told from a reset of the wrong reading). A
reset is one the readings can show: from a meter above what the charger can deliver in two samples' time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import random

from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.ev_energy.api import EvseStatusLog
from custom_components.ev_energy.ledger import SampleLedger, Transition

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
MAX_POWER_W = 7_400.0
HIGH_OUTLIER_WH = 1_000_000_000
# Above what the charger can deliver in two of the longest gaps: a reset from there shows in the readings.
VISIBLE_RESET_FROM_WH = 250_000


@dataclass
class History:
    """The truth and what the API sends of it."""

    samples: list[EvseStatusLog]
    delivered_wh: int
    transitions: list[tuple[str, datetime]]


def _true_transitions(flags: list[tuple[bool | None, bool | None]]) -> list[tuple[str, int]]:
    """The transitions a sequence of (plugged, charging) flags shows; a flag left out changes nothing."""
    found: list[tuple[str, int]] = []
    known: dict[str, bool] = {}
    for index, (plugged, charging) in enumerate(flags):
        events = []
        if plugged is not None and "plugged" in known and plugged != known["plugged"]:
            events.append((0 if plugged else 3, "plugged_in" if plugged else "unplugged"))
        if charging is not None and "charging" in known and charging != known["charging"]:
            events.append((1, "charging_started") if charging else (2, "charging_stopped"))
        found.extend((name, index) for _order, name in sorted(events))
        if plugged is not None:
            known["plugged"] = plugged
        if charging is not None:
            known["charging"] = charging
    return found


@st.composite
def histories(draw: st.DrawFn) -> History:
    count = draw(st.integers(min_value=2, max_value=40))
    at = START
    meter = draw(st.integers(min_value=0, max_value=2_000_000))
    times, readings, delivered_total = [at], [meter], 0
    resets: set[int] = set()
    for index in range(1, count):
        gap = timedelta(minutes=draw(st.sampled_from([1, 5, 5, 5, 30, 240, 720])))
        at += gap
        delivered = int(MAX_POWER_W * gap.total_seconds() / 3600 * draw(st.floats(0, 1)))
        delivered_total += delivered
        reset = index - 1 not in resets and meter > VISIBLE_RESET_FROM_WH and draw(st.booleans())
        meter = delivered if reset else meter + delivered
        if reset:
            resets.add(index)
        times.append(at)
        readings.append(meter)
    observed: list[int] = list(readings)
    last_outlier = -2
    for index in range(1, count - 1):
        if (
            index - last_outlier < 2
            or index + 1 in resets
            or index in resets
            or not draw(st.booleans())
        ):
            continue
        if draw(st.booleans()) and readings[index - 1] > 0:
            observed[index] = draw(st.integers(0, readings[index - 1] - 1))
        else:
            observed[index] = readings[index] + HIGH_OUTLIER_WH
        last_outlier = index
    # The last sample confirms whatever came before it.
    if count - 1 in resets:
        return draw(histories())
    flag = st.one_of(st.none(), st.booleans())
    flags = [(draw(flag), draw(flag)) for _ in range(count)]
    samples = [
        EvseStatusLog(
            sampled_at=times[i],
            meter_reading_watt_hours=observed[i],
            is_plugged_in=flags[i][0],
            is_charging=flags[i][1],
        )
        for i in range(count)
    ]
    transitions = [(name, times[i]) for name, i in _true_transitions(flags)]
    return History(samples, delivered_total, transitions)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories(), seed=st.integers(0, 2**32))
async def test_the_total_is_true_never_decreases_and_each_transition_fires_once(
    hass: HomeAssistant, history: History, seed: int
) -> None:
    rng = random.Random(seed)
    ledger = SampleLedger(hass, "entry")
    fired: list[Transition] = []
    ledger.async_add_listener("evse", fired.append)
    samples = history.samples
    totals: list[float] = []
    end = 0
    while end < len(samples):
        start, end = end, min(len(samples), end + rng.randint(1, 4))
        now = samples[end - 1].sampled_at
        batch = samples[
            start:end
        ]  # what the poll read: the latest sample and the history since the last
        batch += rng.sample(samples[:end], k=min(end, 2))  # seen before
        batch += samples[
            end : end + rng.randint(0, 2)
        ]  # dated after now: held out for a later poll
        rng.shuffle(batch)
        ledger.accept("evse", batch, now=now)
        totals.append(ledger.energy_total_wh("evse") or 0.0)

    assert totals == sorted(totals), "the total never decreases"
    baseline = samples[0].meter_reading_watt_hours
    assert ledger.energy_total_wh("evse") == baseline + history.delivered_wh
    assert [(t.type, t.sampled_at) for t in fired] == history.transitions
    assert ledger.high_water_mark("evse") == samples[-1].sampled_at
