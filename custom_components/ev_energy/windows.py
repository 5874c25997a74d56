"""Values over time (tariff prices, grid carbon intensity): the value now, the next change, the best window ahead.

ev.energy gives prices and carbon intensities as intervals (a start, a length, a value). They may come newest
first, with gaps, overlaps (a revised forecast beside the old one) or rows missing a field; what cannot be read is
left out, and a window is only offered where every minute of it has a known value, so a gap is never taken as
cheap or green.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Interval:
    """One value that holds from ``start`` (included) to ``end`` (excluded)."""

    start: datetime
    end: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of time and its time-weighted average value."""

    start: datetime
    end: datetime
    average: float


def intervals_from(
    rows: Iterable[tuple[datetime | None, int | float | None, int | float | None]],
) -> list[Interval]:
    """Return the readable rows (start, seconds, value) as intervals, oldest first, without overlaps.

    Where two rows overlap, the later-starting one wins from its start on: it is the newer forecast of that time.
    """
    readable = sorted(
        (
            Interval(start, start + timedelta(seconds=seconds), float(value))
            for start, seconds, value in rows
            if start is not None and seconds is not None and seconds > 0 and value is not None
        ),
        key=lambda interval: interval.start,
    )
    result: list[Interval] = []
    for interval in readable:
        if result and result[-1].end > interval.start:
            last = result.pop()
            if last.start < interval.start:
                result.append(Interval(last.start, interval.start, last.value))
        result.append(interval)
    return result


def value_at(intervals: Sequence[Interval], when: datetime) -> Interval | None:
    """Return the interval holding at ``when``, or None where no value is known."""
    return next((i for i in intervals if i.start <= when < i.end), None)


def next_change(intervals: Sequence[Interval], when: datetime) -> Interval | None:
    """Return the first interval after ``when`` whose value differs from the one holding at ``when``.

    A gap counts as a change only where a value is known after it; with no value now, the next known one is the
    change.
    """
    current = value_at(intervals, when)
    later = (i for i in intervals if i.start > when)
    if current is None:
        return next(later, None)
    return next((i for i in later if i.value != current.value), None)


def ahead(intervals: Sequence[Interval], now: datetime, horizon: timedelta) -> list[Interval]:
    """Return the intervals that hold at some time between ``now`` and ``now + horizon``."""
    return [i for i in intervals if i.end > now and i.start < now + horizon]


def best_window(
    intervals: Sequence[Interval], *, now: datetime, length: timedelta, horizon: timedelta
) -> Window | None:
    """Return the window of ``length`` inside ``[now, now + horizon]`` with the lowest average, earliest on a tie.

    Values are constant within an interval, so the best window starts now, at a boundary, or ends at one: only
    those starts are tried. None when no such window has a value for every minute.
    """
    if length <= timedelta(0):
        return None
    latest_start = now + horizon - length
    boundaries = {edge for i in intervals for edge in (i.start, i.end)}
    starts = {now} | boundaries | {edge - length for edge in boundaries}
    best: Window | None = None
    for start in sorted(s for s in starts if now <= s <= latest_start):
        window = _average(intervals, start, start + length)
        if window is not None and (best is None or window.average < best.average):
            best = window
    return best


def _average(intervals: Sequence[Interval], start: datetime, end: datetime) -> Window | None:
    """Return the time-weighted average over ``[start, end)``, or None when any part of it has no value."""
    covered = timedelta(0)
    weighted = 0.0
    cursor = start
    for interval in intervals:
        if interval.end <= cursor or interval.start >= end:
            continue
        if interval.start > cursor:
            return None
        part_end = min(interval.end, end)
        weighted += interval.value * (part_end - cursor).total_seconds()
        covered += part_end - cursor
        cursor = part_end
        if cursor >= end:
            break
    if cursor < end:
        return None
    return Window(start, end, weighted / covered.total_seconds())
