"""Rate-limit headers: the remaining budget and how long a 429 asks us to wait."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import math

from .const import (
    HEADER_RATE_LIMIT,
    HEADER_RATE_LIMIT_REMAINING,
    HEADERS_RETRY_AFTER,
    MAX_RETRY_AFTER_SECONDS,
)


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """The rate-limit budget as the latest response reported it.

    The API allows 1000 requests per rolling hour per (app, user).

    Attributes:
        limit: Requests allowed per window (``x-ratelimit-limit``), if sent.
        remaining: Requests left in the window (``x-ratelimit-remaining``), if sent.
        observed_at: When the response carrying these values arrived (aware, UTC).
    """

    limit: int | None
    remaining: int | None
    observed_at: datetime


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def rate_limit_from_headers(headers: Mapping[str, str], now: datetime) -> RateLimitState | None:
    """Read the rate-limit headers; None when the response carried neither.

    ``headers`` must look names up case-insensitively (aiohttp's headers do).
    """
    limit = _header_int(headers, HEADER_RATE_LIMIT)
    remaining = _header_int(headers, HEADER_RATE_LIMIT_REMAINING)
    if limit is None and remaining is None:
        return None
    return RateLimitState(limit=limit, remaining=remaining, observed_at=now)


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Return the wait a 429 asks for, in seconds, or None if absent or unreadable.

    Reads ``Retry-After`` and ``RetryAfter`` (lookup is case-insensitive, so also
    ``retry-after``); the value is delay-seconds or an HTTP date. The result is
    between 0 and `MAX_RETRY_AFTER_SECONDS` (one day), so ``timedelta(seconds=...)``
    of it never overflows; callers may cap lower.
    """
    for name in HEADERS_RETRY_AFTER:
        value = headers.get(name)
        if value is None:
            continue
        seconds = _parse_retry_after(value.strip(), now or datetime.now(UTC))
        if seconds is not None:
            return seconds
    return None


def _parse_retry_after(value: str, now: datetime) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan", "inf" and numbers past a float's range say nothing: the caller's default wait, like "soon".
        return _bounded(seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    # Aware subtraction never overflows (the difference of two valid datetimes fits).
    return _bounded((when - now).total_seconds())


def _bounded(seconds: float) -> float:
    return min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds))
