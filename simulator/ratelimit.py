"""A rolling-hour request budget per (OAuth client, user), like ev.energy's."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
import math

from .clock import Clock

WINDOW = timedelta(hours=1)

type BucketKey = tuple[str, str | None]


@dataclass(frozen=True)
class RateDecision:
    """The outcome of counting one request."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


class RateLimiter:
    """Counts requests per bucket over the last hour of simulated time."""

    def __init__(self, limit: int, clock: Clock) -> None:
        """Allow ``limit`` requests per rolling hour per bucket."""
        self.limit = limit
        self._clock = clock
        self._hits: dict[BucketKey, deque[datetime]] = {}

    def _window(self, key: BucketKey) -> deque[datetime]:
        hits = self._hits.setdefault(key, deque())
        cutoff = self._clock.now() - WINDOW
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def hit(self, client_id: str, user_id: str | None) -> RateDecision:
        """Count a request unless the budget is spent."""
        hits = self._window((client_id, user_id))
        if len(hits) >= self.limit:
            freed_at = hits[0] + WINDOW
            wait = math.ceil((freed_at - self._clock.now()).total_seconds())
            return RateDecision(False, self.limit, 0, max(1, wait))
        hits.append(self._clock.now())
        return RateDecision(True, self.limit, self.limit - len(hits), 0)

    def remaining(self, client_id: str, user_id: str | None) -> int:
        """Return how many requests the bucket has left."""
        return max(0, self.limit - len(self._window((client_id, user_id))))

    def reset(self) -> None:
        """Forget all counted requests."""
        self._hits.clear()
