"""IDs and timestamps as ev.energy writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulator.ids import IdFactory
from simulator.timeutil import iso, parse_iso


def test_ids_have_the_api_shape_and_sort_in_creation_order() -> None:
    factory = IdFactory(seed=7)
    first, second = factory.new("evse"), factory.new("evse")
    assert first.startswith("evse")
    assert len(first) == 30
    assert first < second
    assert IdFactory(seed=7).new("evse") == first


@pytest.mark.parametrize("prefix", ["ev", "EVSE", "ev5e", "evses"])
def test_a_malformed_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="bad ID prefix"):
        IdFactory(seed=1).new(prefix)


def test_timestamps_round_trip_in_utc_with_microseconds() -> None:
    when = datetime(2026, 11, 20, 17, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    text = iso(when)
    assert text == "2026-11-20T15:30:05.123456Z"
    assert parse_iso(text) == when


def test_a_naive_or_space_mangled_timestamp_is_read_as_utc() -> None:
    assert parse_iso("2026-11-20T15:30:05") == datetime(2026, 11, 20, 15, 30, 5, tzinfo=UTC)
    assert parse_iso("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    # An unencoded '+' in a query string arrives as a space.
    assert parse_iso("2026-11-20T17:30:05 02:00") == datetime(2026, 11, 20, 15, 30, 5, tzinfo=UTC)
