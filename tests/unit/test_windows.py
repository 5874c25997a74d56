"""Values over time: the value now, the next change and the best window, as price and carbon sensors show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_energy.windows import (
    Interval,
    ahead,
    best_window,
    intervals_from,
    next_change,
    value_at,
)

T0 = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
HALF_HOUR = 1800


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _half_hours(*values: float | None) -> list[Interval]:
    return intervals_from(
        (_at(30 * n), HALF_HOUR, value) for n, value in enumerate(values) if value is not None
    )


def test_unreadable_rows_are_left_out_and_newest_first_is_sorted() -> None:
    rows = [
        (_at(60), HALF_HOUR, 30),
        (None, HALF_HOUR, 10),
        (_at(30), None, 10),
        (_at(30), 0, 10),
        (_at(30), HALF_HOUR, None),
        (_at(0), HALF_HOUR, 20),
    ]

    assert intervals_from(rows) == [
        Interval(_at(0), _at(30), 20.0),
        Interval(_at(60), _at(90), 30.0),
    ]


def test_a_later_row_overlapping_an_earlier_one_wins_from_its_start() -> None:
    # A revised forecast for the second half hour, given beside an hour-long older one.
    intervals = intervals_from([(_at(0), 2 * HALF_HOUR, 100), (_at(30), HALF_HOUR, 40)])

    assert intervals == [Interval(_at(0), _at(30), 100.0), Interval(_at(30), _at(60), 40.0)]


def test_value_now_and_next_change_skip_equal_neighbours() -> None:
    intervals = _half_hours(20, 20, 35, 10)

    assert value_at(intervals, _at(10)) == intervals[0]
    assert next_change(intervals, _at(10)) == intervals[2]
    assert value_at(intervals, _at(120)) is None
    assert next_change(intervals, _at(100)) is None


def test_with_no_value_now_the_next_known_value_is_the_change() -> None:
    intervals = _half_hours(None, None, 12)

    assert value_at(intervals, _at(5)) is None
    assert next_change(intervals, _at(5)) == intervals[0]


def test_ahead_keeps_what_holds_within_the_horizon() -> None:
    intervals = _half_hours(1, 2, 3, 4, 5)

    assert [i.value for i in ahead(intervals, _at(40), timedelta(hours=1))] == [2, 3, 4]


def test_best_window_may_start_mid_interval_now() -> None:
    intervals = _half_hours(5, 50, 50, 50)

    window = best_window(
        intervals, now=_at(10), length=timedelta(minutes=20), horizon=timedelta(hours=2)
    )

    assert window is not None
    assert (window.start, window.end, window.average) == (_at(10), _at(30), 5.0)


def test_best_window_never_spans_a_gap() -> None:
    # The gap (unknown price) between the two cheap half hours is not taken as free.
    intervals = _half_hours(50, 1, None, 1, 40, 40)

    window = best_window(
        intervals, now=_at(0), length=timedelta(hours=1), horizon=timedelta(hours=3)
    )

    assert window is not None
    assert (window.start, window.average) == (_at(90), 20.5)


def test_best_window_is_the_earliest_of_equal_ones_and_none_without_cover() -> None:
    intervals = _half_hours(9, 3, 3, 9, 3, 3)

    window = best_window(
        intervals, now=_at(0), length=timedelta(hours=1), horizon=timedelta(hours=3)
    )
    assert window is not None
    assert window.start == _at(30)
    assert (
        best_window(intervals, now=_at(0), length=timedelta(hours=4), horizon=timedelta(hours=4))
        is None
    )
    assert (
        best_window(intervals, now=_at(0), length=timedelta(0), horizon=timedelta(hours=4)) is None
    )


@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=1, max_size=12),
    length_minutes=st.integers(1, 60),
    now_minute=st.integers(0, 60),
)
def test_best_window_is_as_good_as_every_window_on_a_minute_grid(
    values: list[int | None], length_minutes: int, now_minute: int
) -> None:
    """Brute force over every whole-minute start: none has a lower average than the one found."""
    # Ten-minute intervals: every boundary is on the minute grid, so the grid holds the true optimum.
    intervals = intervals_from(
        (_at(10 * n), 600, value) for n, value in enumerate(values) if value is not None
    )
    length = timedelta(minutes=length_minutes)
    horizon = timedelta(minutes=130)
    now = _at(now_minute)

    found = best_window(intervals, now=now, length=length, horizon=horizon)

    def minute_values(start: datetime) -> list[float] | None:
        minutes = [
            value_at(intervals, start + timedelta(minutes=m))
            for m in range(int(length.total_seconds() // 60))
        ]
        return None if any(i is None for i in minutes) else [i.value for i in minutes if i]

    candidates = [
        (sum(vals) / len(vals), start)
        for m in range(131)
        if (start := now + timedelta(minutes=m)) + length <= now + horizon
        and (vals := minute_values(start)) is not None
    ]
    if not candidates:
        assert found is None
        return
    assert found is not None
    assert found.end - found.start == length
    assert now <= found.start
    assert found.end <= now + horizon
    assert found.average <= min(avg for avg, _ in candidates) + 1e-9
    by_start = {start: avg for avg, start in candidates}
    assert found.average == pytest.approx(by_start[found.start])
