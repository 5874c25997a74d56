"""When each device's next report can be read, learned from the polls, so that polls land just after it.

A device reports every ``interval`` (its ``SamplingCadence``); a report sampled at ``t`` becomes readable
through the API some lag later. Every poll bounds that lag: a report seen at the poll was readable within
``poll - t``; an expected report not yet seen was not readable ``poll - expected`` after it was due. The bounds
are narrowed by halving (probing polls), and a poll then goes just after the upper bound. A device whose gaps
stray (jitter above a bound), that was seen too few times, or that skipped a whole report is not timed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math

from .budget import SamplingCadence

# Reports straying more than this from the device's rhythm make its timing a guess: polls stay on fixed intervals.
JITTER_BOUND = timedelta(seconds=15)
# Once the lag is known this precisely, polls stop probing and go this long after its upper bound.
LAG_PRECISION = 5.0
LAG_MARGIN = 2.0


@dataclass
class ReportLag:
    """Bounds, in seconds, on how long after ``sampled_at`` a report becomes readable."""

    low: float = 0.0
    high: float | None = None

    def readable_within(self, seconds: float) -> None:
        """A report was readable this long after it was sampled."""
        if seconds < self.low:
            # Readable sooner than the lower bound said: the lag shrank, learn it anew.
            self.low = 0.0
        self.high = seconds if self.high is None else min(self.high, seconds)

    def unreadable_after(self, seconds: float) -> None:
        """An expected report was not readable this long after it was due."""
        self.low = max(self.low, seconds)
        if self.high is not None and self.high <= seconds:
            # The lag grew past the upper bound: the next report seen bounds it again.
            self.high = None

    def wait(self, interval: float) -> float:
        """Return how long after a report's time to poll: a probe halfway while unsure, else just after it."""
        high = self.high if self.high is not None else max(interval, self.low)
        if high - self.low <= LAG_PRECISION:
            return high + LAG_MARGIN
        return (self.low + high) / 2


@dataclass
class DeviceTiming:
    """One device's lag bounds, and whether its last expected report is overdue by a whole interval."""

    lag: ReportLag = field(default_factory=ReportLag)
    newest: datetime | None = None
    silent: bool = False

    def observe(
        self, sampled_at: datetime, polled_at: datetime, interval: timedelta | None
    ) -> None:
        """Take in what one poll saw of the device: its newest report's time."""
        if self.newest is None or sampled_at > self.newest:
            self.newest = sampled_at
            self.lag.readable_within((polled_at - sampled_at).total_seconds())
        if interval is None:
            return
        overdue = (polled_at - self.newest - interval).total_seconds()
        if overdue >= interval.total_seconds():
            # A whole report skipped: the device stopped, and the last miss may have been that, not the lag.
            if not self.silent:
                self.silent, self.lag = True, ReportLag()
            return
        self.silent = False
        if overdue >= 0:
            self.lag.unreadable_after(overdue)

    def next_readable(self, cadence: SamplingCadence, earliest: datetime) -> datetime | None:
        """Return when the first report readable from ``earliest`` on is, or None when not predictable."""
        interval, jitter = cadence.interval, cadence.jitter
        if self.newest is None or interval is None or jitter is None or self.silent:
            return None
        if jitter > JITTER_BOUND:
            return None
        wait = timedelta(seconds=self.lag.wait(interval.total_seconds())) + jitter
        readable = self.newest + interval + wait
        if readable < earliest:
            readable += interval * math.ceil((earliest - readable) / interval)
        return readable


@dataclass
class ReportTimer:
    """Every device's report timing, for one entry."""

    devices: dict[str, DeviceTiming] = field(default_factory=dict)

    def observe(
        self, device_id: str, sampled_at: datetime, polled_at: datetime, cadence: SamplingCadence
    ) -> None:
        """Take in a device's newest report as a poll saw it."""
        timing = self.devices.setdefault(device_id, DeviceTiming())
        timing.observe(sampled_at, polled_at, cadence.interval)

    def next_readable(
        self, cadences: Iterable[tuple[str, SamplingCadence]], earliest: datetime
    ) -> datetime | None:
        """Return the first time from ``earliest`` on that one of these devices' reports is readable."""
        times = [
            readable
            for device_id, cadence in cadences
            if (timing := self.devices.get(device_id)) is not None
            and (readable := timing.next_readable(cadence, earliest)) is not None
        ]
        return min(times, default=None)

    def diagnostics(self) -> dict[str, object]:
        """Return each device's lag bounds (without device ids)."""
        return {
            "lag_bounds_seconds": [
                [timing.lag.low, timing.lag.high] for timing in self.devices.values()
            ],
        }
