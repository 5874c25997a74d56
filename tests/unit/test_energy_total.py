"""The charger's energy total: never twice, never backwards, never more than the charger could deliver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ev_energy.api import EvseStatusLog
from custom_components.ev_energy.meter import (
    DEFAULT_MAX_POWER_W,
    Meter,
    charger_max_power_w,
    plausible_wh,
)

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
POWER = 7_400.0  # a 32 A single-phase charger at full power delivers 616 Wh in 5 minutes


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _feed(meter: Meter, readings: list[float | None], every: float = 5) -> float | None:
    for index, reading in enumerate(readings):
        meter.add_reading(reading, _at(index * every), POWER)
    return meter.total_wh


def test_the_first_reading_is_the_baseline_and_rises_are_counted() -> None:
    assert _feed(Meter(), [1_000, 1_500, 1_500, 2_100]) == 2_100


def test_a_single_low_reading_is_rejected() -> None:
    # The case of the issue: one glitchy low sample must not count the lifetime meter again.
    assert _feed(Meter(), [1_290_960, 1_291_300, 10, 1_291_800]) == 1_291_800


def test_a_single_high_reading_is_rejected() -> None:
    assert _feed(Meter(), [5_000, 5_400, 1_000_005_400, 5_900, 6_200]) == 6_200


def test_a_confirmed_reset_adds_only_what_the_meter_counted_since() -> None:
    # 1,322.8 kWh, then the meter restarts: 100 Wh and 300 Wh since; never the whole 1,291 kWh of the issue.
    assert _feed(Meter(), [1_322_800, 100, 300, 800]) == 1_322_800 + 800


def test_an_outlier_right_after_a_reset_does_not_hide_it() -> None:
    assert _feed(Meter(), [1_322_800, 100, 2_000_000_000, 300, 800]) == 1_322_800 + 800


def test_a_reset_to_a_large_reading_adds_at_most_what_the_charger_could_deliver() -> None:
    total = _feed(Meter(), [1_322_800, 1_291_000, 1_291_200])
    assert total == pytest.approx(1_322_800 + plausible_wh(POWER, _at(0), _at(5)) + 200)


def test_a_confirmed_upward_jump_adds_at_most_the_plausible_amount() -> None:
    total = _feed(Meter(), [5_000, 900_000, 900_100])
    assert total == pytest.approx(5_000 + plausible_wh(POWER, _at(0), _at(5)) + 100)


def test_a_real_jump_after_a_long_silence_is_counted() -> None:
    meter = Meter()
    meter.add_reading(5_000, _at(0), POWER)
    meter.add_reading(12_000, _at(60), POWER)  # an hour offline, charging at full power meanwhile
    assert meter.total_wh == 12_000


def test_two_different_outliers_in_a_row_wait_for_a_confirmation() -> None:
    assert _feed(Meter(), [5_000, 10, 9_000_000, 5_300]) == 5_300


def test_missing_and_negative_readings_change_nothing() -> None:
    assert _feed(Meter(), [None, 700, None, -5, 900]) == 900


def test_survives_a_restart_through_its_stored_form() -> None:
    meter = Meter()
    _feed(meter, [5_000, 5_500, 100])
    assert meter.suspects
    restored = Meter.from_dict(meter.as_dict())
    assert restored == meter
    restored.add_reading(300, _at(15), POWER)
    assert restored.total_wh == 5_800


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "garbage",
        {"total_wh": "not a number"},
        {"last_at": "yesterday"},
        {"suspects": [["x", "2026-01-05T18:00:00+00:00"]]},
        {"suspects": [[1, "yesterday"]]},
    ],
)
def test_unreadable_stored_data_starts_afresh(stored: object) -> None:
    assert Meter.from_dict(stored) == Meter()


def _log(**fields: int | None) -> EvseStatusLog:
    return EvseStatusLog(sampled_at=START, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (_log(max_current_rating_milliamps=32_000, voltage_millivolts=240_000), 32 * 240 * 3),
        (_log(max_current_rating_milliamps=32_000), 32 * 230 * 3),
        (_log(max_current_rating_milliamps=32_000, voltage_millivolts=5), 32 * 230 * 3),
        (_log(max_current_rating_milliamps=1), DEFAULT_MAX_POWER_W),
        (_log(), DEFAULT_MAX_POWER_W),
        (None, DEFAULT_MAX_POWER_W),
    ],
)
def test_the_maximum_power_comes_from_the_chargers_ratings(
    sample: EvseStatusLog | None, expected: float
) -> None:
    assert charger_max_power_w(sample) == pytest.approx(expected)


def test_nothing_is_plausible_before_a_first_reading_time() -> None:
    assert plausible_wh(POWER, None, START) == plausible_wh(POWER, START, START)
