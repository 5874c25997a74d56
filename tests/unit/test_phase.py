"""Report timing: polls learn when each device's report becomes readable, and land just after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from custom_components.ev_energy.budget import SamplingCadence
from custom_components.ev_energy.phase import (
    JITTER_BOUND,
    LAG_MARGIN,
    LAG_PRECISION,
    ReportLag,
    ReportTimer,
)

START = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=5)
# Fixed intervals would poll this long after each report.
FIXED_OFFSET = timedelta(seconds=137)
# The scheduler asks for the first report readable at least half a fixed interval after a poll.
SOONEST = INTERVAL / 2

type Lag = Callable[[int], float]


class Device:
    """A device reporting every INTERVAL (plus jitter), each report readable ``lag(k)`` seconds after it."""

    def __init__(self, lag: Lag, jitter: Callable[[int], float] = lambda k: 0.0) -> None:
        """Report with this lag and jitter (seconds, by report index)."""
        self.lag, self.jitter = lag, jitter
        self.stopped_after: int | None = None

    def sampled_at(self, k: int) -> datetime:
        """Return when report ``k`` was sampled."""
        return START + k * INTERVAL + timedelta(seconds=self.jitter(k))

    def newest_readable(self, now: datetime) -> tuple[int, datetime] | None:
        """Return the newest report readable at ``now`` (its index and time)."""
        k = int((now - START) / INTERVAL) + 1
        while k >= 0:
            if self.stopped_after is None or k <= self.stopped_after:
                sampled = self.sampled_at(k)
                if sampled + timedelta(seconds=self.lag(k)) <= now:
                    return k, sampled
            k -= 1
        return None


class Poller:
    """Polls as the coordinator does: each poll feeds the cadence and the timer, then asks for the next."""

    def __init__(self, device: Device) -> None:
        """Poll ``device``, the first time FIXED_OFFSET after a report."""
        self.device = device
        self.cadence = SamplingCadence()
        self.timer = ReportTimer()
        self.now = START + FIXED_OFFSET
        # (poll time, index of the newest report seen, seconds after that report's time)
        self.polls: list[tuple[datetime, int, float]] = []

    def poll(self) -> None:
        """Poll once and plan the next poll."""
        seen = self.device.newest_readable(self.now)
        if seen is not None:
            k, sampled = seen
            self.cadence.add(sampled)
            self.timer.observe("evse", sampled, self.now, self.cadence)
            self.polls.append((self.now, k, (self.now - sampled).total_seconds()))
        readable = self.timer.next_readable([("evse", self.cadence)], self.now + SOONEST)
        self.now = readable if readable is not None else self.now + INTERVAL

    def run(self, polls: int) -> None:
        """Poll this many times."""
        for _ in range(polls):
            self.poll()

    def delays(self, last: int) -> list[float]:
        """Return how long after each report the last polls came (a missed report counts as a whole cycle)."""
        return [delay for _, _, delay in self.polls[-last:]]


def test_regular_reports_are_polled_just_after_they_become_readable() -> None:
    poller = Poller(Device(lag=lambda k: 20.0))
    poller.run(30)
    for delay in poller.delays(10):
        assert 20 <= delay <= 20 + LAG_PRECISION + LAG_MARGIN
    # One report per poll: the timed polls read each report once, none is skipped.
    seen = [k for _, k, _ in poller.polls[-10:]]
    assert seen == list(range(seen[0], seen[0] + 10))


def test_timed_polls_come_no_more_often_than_the_reports() -> None:
    poller = Poller(Device(lag=lambda k: 20.0))
    poller.run(30)
    gaps = [
        later[0] - earlier[0]
        for earlier, later in zip(poller.polls, poller.polls[1:], strict=False)
    ]
    assert min(gaps) >= SOONEST
    # Moving onto the reports took less than one interval's worth of earlier polls.
    assert poller.polls[-1][0] - poller.polls[0][0] > INTERVAL * (len(poller.polls) - 2)


def test_irregular_reports_fall_back_to_fixed_intervals() -> None:
    wobble = JITTER_BOUND.total_seconds() * 3
    poller = Poller(Device(lag=lambda k: 20.0, jitter=lambda k: wobble * (k % 2)))
    poller.run(20)
    assert poller.cadence.jitter is not None
    assert poller.cadence.jitter > JITTER_BOUND
    assert poller.timer.next_readable([("evse", poller.cadence)], poller.now) is None
    assert set(poller.delays(10)) <= {FIXED_OFFSET.total_seconds(), 137 - wobble}


def test_too_few_reports_give_no_timing() -> None:
    poller = Poller(Device(lag=lambda k: 20.0))
    poller.run(3)
    assert poller.cadence.interval == INTERVAL
    assert poller.timer.next_readable([("evse", poller.cadence)], poller.now) is None
    assert poller.delays(3) == [FIXED_OFFSET.total_seconds()] * 3


def test_a_device_that_stops_reporting_stops_setting_the_polls_until_it_is_regular_again() -> None:
    device = Device(lag=lambda k: 20.0)
    poller = Poller(device)
    poller.run(20)
    device.stopped_after = int((poller.now - START) / INTERVAL)
    poller.run(4)
    assert poller.timer.devices["evse"].silent
    assert poller.timer.next_readable([("evse", poller.cadence)], poller.now) is None

    device.stopped_after = None
    poller.run(2)
    assert not poller.timer.devices["evse"].silent
    poller.run(20)
    for delay in poller.delays(5):
        assert 20 <= delay <= 20 + LAG_PRECISION + LAG_MARGIN


def test_a_lag_that_grows_is_learned_again() -> None:
    poller = Poller(Device(lag=lambda k: 20.0 if k < 30 else 70.0))
    poller.run(25)
    assert all(delay <= 20 + LAG_PRECISION + LAG_MARGIN for delay in poller.delays(5))
    poller.run(30)
    for delay in poller.delays(5):
        assert 70 <= delay <= 70 + LAG_PRECISION + LAG_MARGIN


def test_a_report_readable_sooner_than_the_lower_bound_restarts_the_search() -> None:
    lag = ReportLag(low=40.0, high=44.0)
    lag.readable_within(10.0)
    assert (lag.low, lag.high) == (0.0, 10.0)


def test_while_unsure_polls_probe_halfway_and_then_settle_after_the_upper_bound() -> None:
    lag = ReportLag()
    assert lag.wait(300) == 150, "nothing known: halfway through the interval"
    lag.readable_within(100)
    assert lag.wait(300) == 50
    lag.unreadable_after(50)
    lag.unreadable_after(52)
    assert lag.wait(300) == 76
    lag.readable_within(54)
    assert lag.wait(300) == 54 + LAG_MARGIN
    lag.unreadable_after(60)
    assert lag.high is None, "the lag grew past its upper bound"
    assert lag.wait(300) == 180


def test_only_devices_asked_for_set_the_time() -> None:
    timer = ReportTimer()
    cadence = SamplingCadence()
    for k in range(6):
        cadence.add(START + k * INTERVAL)
        timer.observe(
            "car", START + k * INTERVAL, START + k * INTERVAL + timedelta(seconds=3), cadence
        )
    later = START + 5 * INTERVAL + timedelta(seconds=10)
    assert timer.next_readable([("charger", cadence)], later) is None
    # Readable within 3 s, never seen late: the poll goes the margin after those 3 s.
    assert timer.next_readable([("car", cadence)], later) == START + 6 * INTERVAL + timedelta(
        seconds=3 + LAG_MARGIN
    )
    assert timer.diagnostics() == {"lag_bounds_seconds": [[0.0, 3.0]]}
