"""The rows an import writes: only hours whose value changed, and the sums after them, on the recorder's sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.models import StatisticMetaData

from custom_components.ev_energy.hourly import (
    Pending,
    Recorded,
    SeriesInfo,
    hour_of,
    hourly_sums,
    rows_to_import,
    statistic_id,
)

H0 = datetime(2026, 11, 1, 0, tzinfo=UTC)
INFO = SeriesInfo(statistic_id="ev_energy:vehicle_a_energy", name="Car energy", unit="kWh")


def hours(*offsets: int) -> list[datetime]:
    return [H0 + timedelta(hours=offset) for offset in offsets]


def recorded(before: float | None, *changes: tuple[int, float]) -> Recorded:
    """What the recorder holds: rows at hour offsets with their changes, summed from ``before``."""
    rows: dict[datetime, tuple[float, float]] = {}
    running = before or 0.0
    for offset, change in changes:
        running += change
        rows[hours(offset)[0]] = (change, running)
    return Recorded(rows, before)


def sums(rows: list) -> list[tuple[datetime, float]]:
    return [(row["start"], row["sum"]) for row in rows]


def test_a_new_statistic_starts_at_zero_and_skips_hours_without_energy() -> None:
    rows, total = rows_to_import(
        Recorded({}, None), dict(zip(hours(0, 1, 3), (1.5, 0.0, 0.5), strict=True))
    )
    assert sums(rows) == [(hours(0)[0], 1.5), (hours(3)[0], 2.0)]
    assert all(row["state"] == row["sum"] for row in rows)
    assert total == 2.0


def test_new_hours_continue_the_recorders_sum() -> None:
    """An entry added again (same statistic ids): its first hours follow the recorder's last sum."""
    rows, total = rows_to_import(recorded(100.0), {hours(5)[0]: 2.0})
    assert sums(rows) == [(hours(5)[0], 102.0)]
    assert total == 102.0


def test_hours_the_recorder_holds_with_the_same_value_are_not_written() -> None:
    held = recorded(10.0, (0, 1.0), (1, 2.0), (2, 3.0))
    rows, total = rows_to_import(held, {hours(0)[0]: 1.0, hours(1)[0]: 2.0 + 1e-12})
    assert rows == []
    assert total == 16.0


def test_a_revised_hour_is_written_with_every_sum_after_it_and_nothing_before() -> None:
    held = recorded(10.0, (0, 1.0), (1, 1.0), (2, 1.0), (4, 1.0))
    rows, total = rows_to_import(held, {hours(1)[0]: 3.0})
    assert sums(rows) == [(hours(1)[0], 14.0), (hours(2)[0], 15.0), (hours(4)[0], 16.0)]
    assert total == 16.0
    # A revision downwards lowers the sums after it, never below the sum before it.
    rows, total = rows_to_import(held, {hours(2)[0]: 0.0})
    assert sums(rows) == [(hours(2)[0], 12.0), (hours(4)[0], 13.0)]
    assert total == 13.0


def test_a_hour_between_held_rows_moves_the_rows_after_it() -> None:
    held = recorded(0.0, (0, 1.0), (3, 1.0))
    rows, _total = rows_to_import(held, {hours(1)[0]: 0.5})
    assert sums(rows) == [(hours(1)[0], 1.5), (hours(3)[0], 2.5)]


def test_a_stored_base_counts_only_where_the_recorder_holds_nothing() -> None:
    """Sums migrated from the store of 0.1 continue from it only when the recorder lost the statistic."""
    rows, _total = rows_to_import(Recorded({}, None), {H0: 1.0}, base=50.0)
    assert sums(rows) == [(H0, 51.0)]
    rows, _total = rows_to_import(recorded(7.0), {H0: 1.0}, base=50.0)
    assert sums(rows) == [(H0, 8.0)]


def test_pending_hours_round_trip_and_the_store_of_0_1_reads_as_pending() -> None:
    pending = Pending(INFO, {H0: 1.25}, base=3.0)
    assert Pending.from_store(pending.to_store()) == pending
    old = {
        "statistic_id": INFO.statistic_id,
        "name": INFO.name,
        "unit": INFO.unit,
        "hours": {H0.isoformat(): 1.25},
        "sum_before": 3.0,
        "first_kept": None,
        "changed_from": None,
    }
    assert Pending.from_store(old) == pending
    assert Pending.from_store({"statistic_id": "x"}) is None
    assert Pending.from_store({**old, "hours": {"not a time": 1}}) is None


def test_ids_hours_and_metadata() -> None:
    assert statistic_id("Vehicle", "ABC01", "energy") == "ev_energy:vehicle_abc01_energy"
    assert hour_of(datetime(2026, 11, 1, 5, 59, 59, tzinfo=UTC)) == hours(5)[0]
    assert hourly_sums([(H0, 1.0), (H0 + timedelta(minutes=30), 2.0), (hours(1)[0], 4.0)]) == {
        H0: 3.0,
        hours(1)[0]: 4.0,
    }
    metadata = INFO.metadata()
    assert metadata["has_sum"] is True
    assert metadata["source"] == "ev_energy"
    keys = StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__
    assert set(metadata) <= keys, "a key this Home Assistant does not know breaks the import"
    if "unit_class" in keys:
        assert metadata.get("unit_class") == "energy"
        money = SeriesInfo(statistic_id="ev_energy:x_cost", name="Cost", unit="GBP").metadata()
        assert money.get("unit_class") is None
