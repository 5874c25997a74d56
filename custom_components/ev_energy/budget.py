"""The request budget shared by everything that talks to ev.energy for one (app, user) pair.

ev.energy allows 1000 requests per rolling hour per OAuth app and user, and counts every client of that pair
(the ev.energy app itself, other integrations, our commands) against the same bucket. The budget turns the
``x-ratelimit-*`` headers into the shortest polling interval we may use, and after a 429 forbids any request
until the server's retry time has passed.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

HOUR = timedelta(hours=1)
DEFAULT_LIMIT = 1000
# Requests kept free for commands the user sends (target level, boost) whatever polling does.
COMMAND_RESERVE = 20
# How long we wait after a 429 that carried no usable retry header.
DEFAULT_RETRY_AFTER = timedelta(seconds=60)
# A 429 never stops us for longer than this: a larger Retry-After is a server bug, not a plan.
MAX_RETRY_AFTER = timedelta(hours=1)
# A low ``remaining`` slows polling down, but never below one poll in this time: the window rolls within the hour.
SLOWEST_INTERVAL = timedelta(minutes=15)
# The name the polling coordinator's requests are counted under (the readers beside it reserve by their names).
POLLING = "polling"


@dataclass
class RequestBudget:
    """How many requests polling may spend, and when the next one may go out."""

    share: float = 0.5
    limit: int = DEFAULT_LIMIT
    remaining: int | None = None
    observed_at: datetime | None = None
    blocked_until: datetime | None = None
    # Requests per hour of the share kept for the readers beside polling (sessions, home energy), by reader;
    # polling paces itself on the rest.
    reservations: dict[str, float] = field(default_factory=dict)
    # Called with the new end of a block, so whoever met the 429 (a poll, a command), the wait is kept.
    on_block: Callable[[datetime], None] | None = field(default=None, repr=False)
    # Every request sent in the rolling hour, with the name of the caller that sent it.
    _sent: deque[tuple[datetime, str]] = field(default_factory=deque, repr=False)
    # Requests sent since start, by caller: a caller measures its own cycles, never another's requests.
    sent_since_start: Counter[str] = field(default_factory=Counter, repr=False)

    def reserve(self, reader: str, per_hour: float) -> None:
        """Keep ``per_hour`` requests of the share for a reader (replacing what it kept before)."""
        self.reservations[reader] = max(per_hour, 0.0)

    @property
    def reserved_per_hour(self) -> float:
        """Return the requests per hour kept for every reader beside polling."""
        return sum(self.reservations.values())

    def record_request(self, now: datetime, caller: str = POLLING) -> None:
        """Count a request we sent, once, under the name of the caller that sent it (kept one rolling hour)."""
        self._sent.append((now, caller))
        self.sent_since_start[caller] += 1
        self._forget_before(now - HOUR)

    def observe(self, limit: int | None, remaining: int | None, now: datetime) -> None:
        """Take in the rate-limit headers of the latest response."""
        if limit is not None and limit > 0:
            self.limit = limit
        if remaining is not None:
            self.remaining = max(remaining, 0)
        self.observed_at = now

    def rate_limited(self, retry_after: float | None, now: datetime) -> None:
        """Forbid requests until the server's retry time (a 429 was received)."""
        wait = DEFAULT_RETRY_AFTER
        if retry_after is not None and retry_after > 0:
            # Capped before building the timedelta: one of 1e300 seconds overflows.
            wait = timedelta(seconds=min(retry_after, MAX_RETRY_AFTER.total_seconds()))
        self.block_until(now + wait, now)
        self.remaining = 0

    def block_until(self, until: datetime, now: datetime) -> None:
        """Forbid requests until ``until`` (at most the longest wait from now; a later block is kept)."""
        until = min(until, now + MAX_RETRY_AFTER)
        if self.blocked_until is None or until > self.blocked_until:
            self.blocked_until = until
            if self.on_block is not None:
                self.on_block(until)

    def seconds_blocked(self, now: datetime) -> float:
        """Return how long no request may be sent (0 when free)."""
        if self.blocked_until is None or self.blocked_until <= now:
            return 0.0
        return (self.blocked_until - now).total_seconds()

    def sent_last_hour(self, now: datetime, caller: str | None = None) -> int:
        """Return how many requests we sent in the rolling hour (those of one caller, when named)."""
        self._forget_before(now - HOUR)
        if caller is None:
            return len(self._sent)
        return sum(1 for _, sender in self._sent if sender == caller)

    def sent_by_caller(self, now: datetime) -> dict[str, int]:
        """Return the requests of the rolling hour by caller (for diagnostics)."""
        self._forget_before(now - HOUR)
        return dict(Counter(sender for _, sender in self._sent))

    def within_reservation(self, reader: str, count: int, now: datetime) -> bool:
        """Return whether ``count`` more requests of a reader stay inside what it reserved for the hour."""
        reserved = self.reservations.get(reader, 0.0)
        return self.sent_last_hour(now, reader) + count <= reserved

    def polling_rate_per_hour(self, now: datetime) -> float:
        """Return the requests per hour polling may use from now on.

        At most ``share`` of the limit; less when the bucket (which others spend too) is nearly empty, since in
        the worst case no request frees up within the hour.
        """
        rate = self.limit * self.share - self.reserved_per_hour
        if self.remaining is not None and self._remaining_is_current(now):
            rate = min(rate, max(self.remaining - COMMAND_RESERVE, 1))
        return max(rate, 1.0)

    def min_interval(self, requests_per_cycle: float, now: datetime) -> timedelta:
        """Return the shortest polling interval that keeps a cycle of this size inside the budget."""
        seconds = 3600 * max(requests_per_cycle, 1.0) / self.polling_rate_per_hour(now)
        seconds = min(seconds, SLOWEST_INTERVAL.total_seconds())
        return timedelta(seconds=max(seconds, self.seconds_blocked(now)))

    def can_spend(self, count: int, now: datetime) -> bool:
        """Return whether ``count`` optional requests fit in the budget right now."""
        if self.seconds_blocked(now):
            return False
        if (
            self.remaining is not None
            and self._remaining_is_current(now)
            and self.remaining - count < COMMAND_RESERVE
        ):
            return False
        return self.sent_last_hour(now) + count <= self.limit * self.share

    def _remaining_is_current(self, now: datetime) -> bool:
        return self.observed_at is not None and now - self.observed_at < HOUR

    def _forget_before(self, cutoff: datetime) -> None:
        while self._sent and self._sent[0][0] < cutoff:
            self._sent.popleft()


@dataclass
class SamplingCadence:
    """Estimates how often a device reports, from the sample times seen."""

    window: int = 6
    _times: deque[datetime] = field(default_factory=deque, repr=False)

    def add(self, sampled_at: datetime) -> None:
        """Record a sample time (duplicates and out-of-order times are ignored)."""
        if self._times and sampled_at <= self._times[-1]:
            return
        self._times.append(sampled_at)
        while len(self._times) > self.window:
            self._times.popleft()

    @property
    def interval(self) -> timedelta | None:
        """Return the median time between samples, or None before two samples were seen."""
        if len(self._times) < 2:
            return None
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(self._times)]
        return timedelta(seconds=median(gaps))

    @property
    def jitter(self) -> timedelta | None:
        """Return how far the gaps stray from whole multiples of the interval (a missed report is no jitter).

        None before ``window - 3`` gaps were seen: too few to call a device regular.
        """
        interval = self.interval
        if interval is None or len(self._times) < self.window - 2:
            return None
        step = interval.total_seconds()
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(self._times)]
        return timedelta(seconds=max(abs(gap - max(round(gap / step), 1) * step) for gap in gaps))
