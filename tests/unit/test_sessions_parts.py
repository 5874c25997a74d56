"""The sessions reader's parts that need no server: ids from references, sessions from sub-sessions, money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from custom_components.ev_energy.api import Evse, Schedule, SubSessionMode
from custom_components.ev_energy.money import format_money, from_minor_units
from custom_components.ev_energy.sessions import (
    PlannedSlot,
    SessionsData,
    SubSessionRecord,
    _id_from,
    planned_slots,
)

T0 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def test_ids_come_from_urls_and_expanded_objects() -> None:
    assert _id_from("https://api.ev.energy/v2/evses/evse123/") == "evse123"
    assert _id_from(Evse(id="evse456")) == "evse456"
    assert _id_from(None) is None
    assert _id_from("") is None


def test_minor_units_follow_the_currency() -> None:
    assert from_minor_units(1234, "GBP") == Decimal("12.34")
    assert from_minor_units(1234, "JPY") == Decimal(1234)
    assert from_minor_units(1234, "kwd") == Decimal("1.234")
    assert from_minor_units(None, "GBP") is None
    assert from_minor_units(5, None) is None
    assert format_money(250, "EUR") == "2.50 EUR"


def _record(
    sub_id: str, start: datetime, end: datetime | None, session_id: str | None
) -> SubSessionRecord:
    return SubSessionRecord(
        id=sub_id, start=start, end=end, session_id=session_id, vehicle_id="car", energy_wh=1000
    )


def test_a_session_sums_its_periods_and_one_without_session_stands_alone() -> None:
    data = SessionsData(
        sub_sessions={
            "a": _record("a", T0, T0 + timedelta(hours=1), "s1"),
            "b": _record("b", T0 + timedelta(hours=1), None, "s1"),
            "c": _record("c", T0 - timedelta(days=1), T0 - timedelta(hours=20), None),
        }
    )
    current = data.current_session(vehicle_id="car")
    assert current is not None
    assert current.is_open
    assert current.total("energy_wh") == 2000
    assert current.total("cost_minor") is None
    assert [s.session_id for s in data.sessions(vehicle_id="car")] == [None, "s1"]
    assert data.current_session(evse_id="other") is None


def test_planned_slots_join_consecutive_intervals_and_skip_off_and_boost() -> None:
    def interval(minutes: int, current: int, seconds: int | None = 1800) -> Schedule:
        return Schedule(
            started_at=T0 + timedelta(minutes=minutes),
            interval_seconds=seconds,
            current_milliamps=current,
        )

    schedule = [interval(60, 32000), interval(0, 32000), interval(30, 32000), interval(90, 0)]
    schedule += [interval(120, 16000), interval(150, 32000), interval(200, 32000, None)]
    assert planned_slots(schedule) == [
        PlannedSlot(T0, T0 + timedelta(minutes=90), 32000),
        PlannedSlot(T0 + timedelta(minutes=120), T0 + timedelta(minutes=150), 16000),
        PlannedSlot(T0 + timedelta(minutes=150), T0 + timedelta(minutes=180), 32000),
    ]


def test_a_stored_record_reads_back_as_it_was_written() -> None:
    record = SubSessionRecord(
        id="x",
        start=T0,
        end=T0 + timedelta(hours=2),
        session_id="s",
        evse_id="e",
        vehicle_id="v",
        mode=SubSessionMode.BOOST,
        energy_wh=1,
        grid_energy_wh=2,
        solar_energy_wh=3,
        cost_minor=4,
        savings_minor=5,
        currency="GBP",
        co2_grams=6,
        duration_minutes=7,
    )
    assert SubSessionRecord.from_store(record.to_store()) == record
