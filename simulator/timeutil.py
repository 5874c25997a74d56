"""Timestamps as the API writes and reads them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(when: datetime) -> str:
    """Format like ev.energy: UTC, microseconds, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (naive means UTC); raise ValueError when invalid."""
    # A '+' in an unencoded query string arrives as a space.
    raw = text.strip()
    if "T" in raw:
        raw = raw.replace(" ", "+")
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
