"""The sample ledger: each sample once, in time order, with its place kept in Home Assistant storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_energy.api import (
    EvseStatusLog,
    HomeBatteryStatusLog,
    VehicleState,
    VehicleStatusLog,
)
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.ledger import (
    CHARGING_STARTED,
    FUTURE_TOLERANCE,
    PLUGGED_IN,
    SAVE_DELAY_SECONDS,
    SampleLedger,
    Transition,
)
from custom_components.ev_energy.storage import async_remove_entry_stores

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
EVSE = "evse01"
CAR = "vhcl01"


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _evse(minutes: float, meter: int | None = None, **flags: bool) -> EvseStatusLog:
    return EvseStatusLog(sampled_at=_at(minutes), meter_reading_watt_hours=meter, **flags)


def _car(minutes: float, state: VehicleState | None = None, **flags: bool) -> VehicleStatusLog:
    return VehicleStatusLog(sampled_at=_at(minutes), state=state, **flags)


def _recorder(ledger: SampleLedger, device_id: str) -> list[tuple[str, datetime]]:
    fired: list[tuple[str, datetime]] = []

    def record(transition: Transition) -> None:
        assert transition.device_id == device_id
        fired.append((transition.type, transition.sampled_at))

    ledger.async_add_listener(device_id, record)
    return fired


async def test_each_sample_is_processed_once_in_time_order(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    await ledger.async_load()
    fired = _recorder(ledger, EVSE)
    first, second, third = (
        _evse(0, 1000, is_plugged_in=False),
        _evse(5, 1000, is_plugged_in=True),
        _evse(10, 1400, is_plugged_in=True, is_charging=True),
    )
    accepted = ledger.accept(EVSE, [third, first, second, second], now=_at(10))
    assert accepted == [first, second, third]
    assert ledger.high_water_mark(EVSE) == _at(10)
    # Seen again (a refresh, a failed poll's kept data, a command's quick poll): nothing happens.
    assert ledger.accept(EVSE, [first, second, third], now=_at(11)) == []
    assert fired == [("plugged_in", _at(5))]
    assert ledger.energy_total_wh(EVSE) == 1400


async def test_the_first_sample_is_only_the_baseline(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    fired = _recorder(ledger, EVSE)
    ledger.accept(EVSE, [_evse(0, is_plugged_in=True, is_charging=True)], now=_at(0))
    assert fired == []
    assert ledger.energy_total_wh(EVSE) is None


async def test_transitions_fire_in_the_order_they_happened(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    fired = _recorder(ledger, CAR)
    samples = [
        _car(0, VehicleState.STATIONARY, is_plugged_in=False, is_charging=False),
        _car(5, VehicleState.PLUGGED_IN_CHARGING, is_plugged_in=True, is_charging=True),
        _car(10, VehicleState.PLUGGED_IN_COMPLETE, is_plugged_in=True, is_charging=False),
        _car(15, None),  # a sample that reports nothing changes nothing
        _car(20, VehicleState.STATIONARY, is_plugged_in=False, is_charging=False),
    ]
    ledger.accept(CAR, samples, now=_at(20))
    assert fired == [
        ("plugged_in", _at(5)),
        ("charging_started", _at(5)),
        ("charging_stopped", _at(10)),
        ("charge_complete", _at(10)),
        ("unplugged", _at(20)),
    ]


async def test_a_sample_dated_in_the_future_is_held_out(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    ledger.accept(EVSE, [_evse(0, 1000)], now=_at(0))
    future = _evse(60, 999_999)
    assert ledger.accept(EVSE, [future, _evse(5, 1100)], now=_at(5)) == [_evse(5, 1100)]
    assert ledger.high_water_mark(EVSE) == _at(5)
    assert ledger.energy_total_wh(EVSE) == 1100
    # Within the tolerance of a drifting device clock it is taken.
    near = _evse(5 + FUTURE_TOLERANCE.total_seconds() / 60, 1150)
    assert ledger.accept(EVSE, [near], now=_at(5)) == [near]


async def test_undated_samples_are_ignored(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    assert ledger.accept(EVSE, [EvseStatusLog(is_plugged_in=True)], now=_at(0)) == []
    assert ledger.high_water_mark(EVSE) is None


async def test_a_removed_listener_hears_nothing(hass: HomeAssistant) -> None:
    ledger = SampleLedger(hass, "entry")
    fired: list[Transition] = []
    remove = ledger.async_add_listener(EVSE, fired.append)
    remove()
    ledger.accept(EVSE, [_evse(0, is_charging=False), _evse(5, is_charging=True)], now=_at(5))
    assert fired == []


async def test_an_any_device_listener_hears_devices_first_seen_after_it_subscribed(
    hass: HomeAssistant,
) -> None:
    ledger = SampleLedger(hass, "entry")
    heard: list[tuple[str, str]] = []
    remove = ledger.async_add_any_device_listener(lambda t: heard.append((t.device_id, t.type)))
    ledger.accept(EVSE, [_evse(0, is_plugged_in=False), _evse(5, is_plugged_in=True)], now=_at(5))
    ledger.accept("car01", [_car(0, is_charging=False), _car(5, is_charging=True)], now=_at(5))
    assert heard == [(EVSE, PLUGGED_IN), ("car01", CHARGING_STARTED)]
    remove()
    ledger.accept(EVSE, [_evse(10, is_plugged_in=False)], now=_at(10))
    assert len(heard) == 2


async def test_marks_flags_and_totals_survive_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    ledger = SampleLedger(hass, "entry")
    await ledger.async_load()
    ledger.accept(EVSE, [_evse(0, 1000, is_plugged_in=False), _evse(5, 1200)], now=_at(5))
    async_fire_time_changed(hass, datetime.now(UTC) + timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    await hass.async_block_till_done()
    assert f"{DOMAIN}.entry.ledger" in hass_storage

    restarted = SampleLedger(hass, "entry")
    await restarted.async_load()
    fired = _recorder(restarted, EVSE)
    assert restarted.high_water_mark(EVSE) == _at(5)
    restarted.accept(EVSE, [_evse(5, 1200), _evse(10, 1300, is_plugged_in=True)], now=_at(10))
    assert fired == [("plugged_in", _at(10))]
    assert restarted.energy_total_wh(EVSE) == 1300


def _battery(minutes: float, soc: int) -> HomeBatteryStatusLog:
    return HomeBatteryStatusLog(sampled_at=_at(minutes), state_of_charge_percentage=soc)


async def test_a_latest_only_kind_shows_the_newest_sample_taken(hass: HomeAssistant) -> None:
    """A home battery: its latest sample through the marks, with no transitions or meter."""
    ledger = SampleLedger(hass, "entry")
    heard: list[Transition] = []
    ledger.async_add_any_device_listener(heard.append)
    newer = _battery(5, 60)
    assert ledger.accept_latest("bat01", newer, now=_at(5)) is newer
    assert ledger.high_water_mark("bat01") == _at(5)
    # An older sample served after it (a lagging replica, a cached answer) is not shown.
    assert ledger.accept_latest("bat01", _battery(3, 50), now=_at(6)) is newer
    # Nor one dated in the future, until its time.
    future = _battery(30, 90)
    assert ledger.accept_latest("bat01", future, now=_at(7)) is newer
    assert ledger.accept_latest("bat01", None, now=_at(8)) is newer
    assert ledger.accept_latest("bat01", future, now=_at(30)) is future
    assert ledger.high_water_mark("bat01") == _at(30)
    assert heard == []
    assert ledger.energy_total_wh("bat01") is None


async def test_a_latest_only_mark_survives_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    ledger = SampleLedger(hass, "entry")
    ledger.accept_latest("bat01", _battery(5, 60), now=_at(5))
    await ledger.async_save()

    restarted = SampleLedger(hass, "entry")
    await restarted.async_load()
    assert restarted.accept_latest("bat01", _battery(3, 50), now=_at(6)) is None
    # The sample at the mark is the one taken before the restart: shown again.
    again = _battery(5, 60)
    assert restarted.accept_latest("bat01", again, now=_at(6)) is again


async def test_saved_on_demand_and_removed_with_the_entry(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    ledger = SampleLedger(hass, "entry")
    ledger.accept(EVSE, [_evse(0, 1000)], now=_at(0))
    await ledger.async_save()
    assert hass_storage[f"{DOMAIN}.entry.ledger"]["data"]["devices"][EVSE]["mark"] == (
        _at(0).isoformat()
    )
    await async_remove_entry_stores(hass, "entry")
    assert f"{DOMAIN}.entry.ledger" not in hass_storage


async def test_unreadable_stored_data_starts_afresh(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage[f"{DOMAIN}.entry.ledger"] = {
        "version": 1,
        "key": f"{DOMAIN}.entry.ledger",
        "data": {
            "devices": {
                EVSE: "garbage",
                CAR: {"mark": "not a time", "flags": {"plugged": "yes", "charging": True}},
            }
        },
    }
    ledger = SampleLedger(hass, "entry")
    await ledger.async_load()
    assert ledger.high_water_mark(EVSE) is None
    assert ledger.high_water_mark(CAR) is None
    fired = _recorder(ledger, CAR)
    ledger.accept(CAR, [_car(0, is_charging=False, is_plugged_in=True)], now=_at(0))
    # The readable flag was kept; the unreadable one is a new baseline.
    assert fired == [("charging_stopped", _at(0))]


async def test_a_stored_ledger_of_another_shape_starts_afresh(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage[f"{DOMAIN}.entry.ledger"] = {
        "version": 1,
        "key": f"{DOMAIN}.entry.ledger",
        "data": {"devices": ["not", "a", "mapping"]},
    }
    ledger = SampleLedger(hass, "entry")
    await ledger.async_load()
    assert ledger.high_water_mark(EVSE) is None
