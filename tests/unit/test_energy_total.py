"""The charger's energy total: the Energy panel must never count energy twice or see it go backwards."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.ev_energy.energy import MeterTotal


def test_follows_a_rising_meter() -> None:
    total = MeterTotal()
    assert [total.add_reading(value) for value in (1000, 1500, 1500, 2750)] == [
        1000,
        1500,
        1500,
        2750,
    ]


def test_a_single_low_reading_is_held_and_not_counted_again() -> None:
    total = MeterTotal()
    for value in (5000, 6000):
        total.add_reading(value)
    assert total.add_reading(10) == 6000  # a glitch
    assert total.add_reading(6400) == 6400  # back: only the 400 Wh really delivered are added


def test_a_meter_that_restarted_from_zero_adds_only_what_it_counted_since() -> None:
    total = MeterTotal()
    for value in (5000, 6000):
        total.add_reading(value)
    assert total.add_reading(100) == 6000
    assert total.add_reading(300) == 6300  # restart confirmed: 300 Wh since zero
    assert total.add_reading(800) == 6800


def test_missing_and_negative_readings_change_nothing() -> None:
    total = MeterTotal()
    assert total.add_reading(None) is None
    total.add_reading(700)
    assert total.add_reading(None) == 700
    assert total.add_reading(-5) == 700


def test_survives_a_restart_through_its_stored_form() -> None:
    total = MeterTotal()
    for value in (5000, 6000, 100):
        total.add_reading(value)
    restored = MeterTotal.from_dict(total.as_dict())
    assert restored == total
    assert restored.add_reading(6100) == 6100


def test_unreadable_stored_data_starts_afresh() -> None:
    assert MeterTotal.from_dict(None) == MeterTotal()
    assert MeterTotal.from_dict({"total_wh": "not a number"}) == MeterTotal()


@given(st.lists(st.one_of(st.none(), st.floats(min_value=-10, max_value=1e7)), max_size=60))
def test_never_goes_backwards(readings: list[float | None]) -> None:
    total = MeterTotal()
    previous: float | None = None
    for reading in readings:
        value = total.add_reading(reading)
        if previous is not None:
            assert value is not None
            assert value >= previous
        previous = value


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=60))
def test_a_monotonic_meter_is_counted_exactly(steps: list[float]) -> None:
    total = MeterTotal()
    reading = 0.0
    start = None
    for step in steps:
        reading += step
        start = reading if start is None else start
        total.add_reading(reading)
    assert total.total_wh is not None
    assert abs(total.total_wh - reading) < 1e-6 * max(reading, 1)
