"""The hourly series: running sums from the first changed hour, idempotent, revisions correct what follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.models import StatisticMetaData

from custom_components.ev_energy.hourly import (
    HourlySeries,
    SeriesInfo,
    hour_of,
    hourly_sums,
    statistic_id,
)

H0 = datetime(2026, 11, 1, 0, tzinfo=UTC)
INFO = SeriesInfo(statistic_id="ev_energy:vehicle_a_energy", name="Car energy", unit="kWh")


def hours(*offsets: int) -> list[datetime]:
    return [H0 + timedelta(hours=offset) for offset in offsets]


def test_hours_are_imported_with_running_sums_once() -> None:
    series = HourlySeries(info=INFO)
    for hour, value in zip(hours(0, 1, 3), (1.5, 2.0, 0.5), strict=True):
        assert series.set(hour, value)
    rows = series.statistics()
    assert [(row["start"], row["sum"]) for row in rows] == list(
        zip(hours(0, 1, 3), (1.5, 3.5, 4.0), strict=True)
    )
    series.changed_from = None
    assert not series.set(hours(1)[0], 2.0), "the same value again is no change"
    assert series.statistics() == []


def test_a_revised_hour_is_imported_again_with_every_sum_after_it() -> None:
    series = HourlySeries(info=INFO, hours=dict(zip(hours(0, 1, 2), (1.0, 1.0, 1.0), strict=True)))
    series.set(hours(1)[0], 3.0)
    rows = series.statistics()
    assert [(row["start"], row["sum"]) for row in rows] == [(hours(1)[0], 4.0), (hours(2)[0], 5.0)]


def test_folded_hours_keep_their_sum_and_are_not_corrected() -> None:
    series = HourlySeries(info=INFO, hours=dict(zip(hours(0, 1, 2), (1.0, 2.0, 4.0), strict=True)))
    series.fold(hours(2)[0])
    assert series.hours == {hours(2)[0]: 4.0}
    assert series.sum_before == 3.0
    assert series.total == 7.0
    assert not series.set(hours(0)[0], 10.0)
    series.set(hours(3)[0], 1.0)
    assert [row["sum"] for row in series.statistics()] == [8.0]


def test_the_store_round_trip_keeps_everything_and_drops_what_it_cannot_read() -> None:
    series = HourlySeries(info=INFO, hours={H0: 1.25}, sum_before=3.0, first_kept=H0)
    series.set(hours(1)[0], 2.0)
    again = HourlySeries.from_store(series.to_store())
    assert again == series
    assert HourlySeries.from_store({"statistic_id": "x"}) is None
    assert HourlySeries.from_store({**series.to_store(), "hours": {"not a time": 1}}) is None


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
