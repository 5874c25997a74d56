"""Clocks that drive simulated time.

The scenario engine never reads the wall clock itself: it asks a clock, so tests can
freeze time (``ManualClock``) and the demo can run a day in minutes (``ScaledClock``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time
from typing import Protocol

# Just after the car of the home scenario got home on a Friday evening.
DEFAULT_START = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)

type TimeListener = Callable[[datetime], None]


def as_timedelta(delta: timedelta | float) -> timedelta:
    """Return ``delta`` as a timedelta (numbers are seconds)."""
    return delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


class Clock(Protocol):
    """What the simulator needs from a clock."""

    @property
    def is_manual(self) -> bool:
        """Whether time only moves when ``advance`` is called."""

    def now(self) -> datetime:
        """Return the simulated time (aware, UTC)."""

    def advance(self, delta: timedelta | float) -> None:
        """Move simulated time forward and notify listeners."""

    def subscribe(self, listener: TimeListener) -> None:
        """Call ``listener(now)`` after every ``advance``."""

    def unsubscribe(self, listener: TimeListener) -> None:
        """Stop calling ``listener``."""


class _ListenerMixin:
    def __init__(self) -> None:
        self._listeners: list[TimeListener] = []

    def subscribe(self, listener: TimeListener) -> None:
        """Call ``listener(now)`` after every ``advance``."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: TimeListener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, now: datetime) -> None:
        for listener in list(self._listeners):
            listener(now)


class ManualClock(_ListenerMixin):
    """A clock that only moves when a test advances it."""

    is_manual = True

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        """Start at ``start`` (must be timezone-aware)."""
        super().__init__()
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the simulated time."""
        return self._now

    def advance(self, delta: timedelta | float) -> None:
        """Move time forward by ``delta`` (seconds or timedelta) and run the scenario."""
        step = as_timedelta(delta)
        if step < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += step
        self._notify(self._now)


class ScaledClock(_ListenerMixin):
    """Real time, optionally sped up by ``speed`` (``--speed K``)."""

    is_manual = False

    def __init__(
        self,
        start: datetime | None = None,
        *,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start at ``start`` (default: the wall clock now) running ``speed`` times real time."""
        super().__init__()
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the simulated time."""
        elapsed = (self._monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed) + self._offset

    def advance(self, delta: timedelta | float) -> None:
        """Jump forward by ``delta`` on top of the running time."""
        step = as_timedelta(delta)
        if step < timedelta(0):
            raise ValueError("time only moves forward")
        self._offset += step
        self._notify(self.now())


class Routine:
    """The day's routine, compressed: ``speed`` routine seconds pass per simulated second.

    The demo keeps the clock on real time (timestamps never lie in the future) while the
    commute, the smart-charging slots and the sun follow a day that lasts ``24 h / speed``.
    At ``epoch`` (a whole minute) the routine is at ``epoch + offset`` (``offset`` whole
    minutes: the demo starts its routine in the evening, whatever the hour). ``speed`` divides 1800
    and a routine minute is a whole number of microseconds, so conversions are exact and a
    routine half-hour is a whole number of clock seconds.
    """

    def __init__(self, epoch: datetime, speed: int = 1, offset: timedelta = timedelta(0)) -> None:
        """Compress the routine ``speed`` times around ``epoch``."""
        if speed < 1 or 1800 % speed or 60_000_000 % speed:
            raise ValueError(
                "the routine speed must divide 1800 and 60,000,000 (e.g. 1, 10, 60, 120, 300, 600)"
            )
        if offset % timedelta(minutes=1):
            raise ValueError("the routine offset must be whole minutes")
        self.epoch = epoch.replace(second=0, microsecond=0)
        self.speed = speed
        self.offset = offset

    @classmethod
    def starting_at(cls, epoch: datetime, speed: int, minute_of_day: int | None) -> Routine:
        """Return a routine whose time of day at ``epoch`` is ``minute_of_day`` (None: the clock's)."""
        if minute_of_day is None:
            return cls(epoch, speed)
        start = epoch.replace(second=0, microsecond=0)
        clock_minute = start.hour * 60 + start.minute
        return cls(epoch, speed, timedelta(minutes=(minute_of_day - clock_minute) % (24 * 60)))

    def to_routine(self, when: datetime) -> datetime:
        """Return the routine time (time of day for trips, tariffs, the sun) at clock time ``when``."""
        if self.speed == 1 and not self.offset:
            return when
        return self.epoch + self.offset + (when - self.epoch) * self.speed

    def to_clock(self, routine: datetime) -> datetime:
        """Return the clock time at which the routine reaches ``routine``."""
        if self.speed == 1 and not self.offset:
            return routine
        return self.epoch + (routine - self.epoch - self.offset) / self.speed
