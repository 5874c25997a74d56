"""The scenario engine: a home that behaves over time like a real one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import environment as env
from simulator.clock import DEFAULT_START, ManualClock
from simulator.core import Simulator
from simulator.engine import ConflictError, UnreachableError
from simulator.scenarios import UnknownScenarioError

HOUR = 3600


def _sim(scenario: str = "home", **options: object) -> Simulator:
    return Simulator(scenario, **options)  # type: ignore[arg-type]


def _open_session(sim: Simulator) -> str:
    return next(s.id for s in sim.state.sessions.values() if s.end is None)


def test_home_starts_with_the_car_just_plugged_in() -> None:
    sim = _sim()
    assert sim.clock.now() == DEFAULT_START
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    assert vehicle.plugged_in
    session = sim.state.sessions[_open_session(sim)]
    assert DEFAULT_START - timedelta(minutes=30) <= session.start < DEFAULT_START
    sub = sim.state.current_sub_session(session)
    assert sub is not None
    assert sub.mode == "SMART"
    assert len(sim.evse_ids) == 1
    assert len(sim.inverter_ids) == 1
    assert sim.state.evse_logs[sim.evse_ids[0]][-1].sampled_at == DEFAULT_START


def test_same_seed_same_world_other_seed_other_ids() -> None:
    first, second, other = _sim(seed=7), _sim(seed=7), _sim(seed=8)
    assert first.evse_ids == second.evse_ids
    assert first.state.evse_logs == second.state.evse_logs
    assert first.evse_ids != other.evse_ids
    assert all(len(i) == 30 and i.startswith("evse") for i in first.evse_ids)


def test_soc_never_passes_the_charge_limit() -> None:
    sim = _sim()
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    vehicle.maximum_charge_limit_percentage = 70
    sim.engine.vehicle_settings_changed(vehicle)
    for _ in range(72):
        sim.clock.advance(HOUR)
        assert vehicle.charge_level_watt_hours <= vehicle.limit_watt_hours
    logs = sim.state.vehicle_logs[vehicle.id]
    after = [log for log in logs if log.sampled_at > DEFAULT_START]
    assert max(log.state_of_charge_percentage or 0 for log in after) == 69
    assert any(log.state == "PLUGGED_IN_COMPLETE" for log in after)
    assert all(log.target_charge_level_percentage == 70 for log in after)


def test_energy_is_conserved_between_sub_sessions_meter_and_battery() -> None:
    sim = _sim()
    evse_id, vehicle_id = sim.evse_ids[0], sim.vehicle_ids[0]
    vehicle = sim.state.vehicles[vehicle_id]
    meter_before = sim.state.evse_meter_watt_hours(evse_id)
    level_before = vehicle.charge_level_watt_hours
    energy_before = sum(s.energy_delivered_watt_hours for s in sim.state.sub_sessions.values())
    sim.clock.advance(12 * HOUR)  # through the night's cheap hours
    delivered = sum(s.energy_delivered_watt_hours for s in sim.state.sub_sessions.values())
    delivered -= energy_before
    assert delivered > 10_000
    assert sim.state.evse_meter_watt_hours(evse_id) - meter_before == delivered
    assert vehicle.charge_level_watt_hours - level_before == pytest.approx(delivered)
    for sub in sim.state.sub_sessions.values():
        assert sum(i.watt_hours for i in sub.intervals.values()) == sub.energy_delivered_watt_hours


def test_meter_difference_between_logs_equals_the_energy_usage_intervals() -> None:
    sim = _sim()
    evse_id = sim.evse_ids[0]
    sim.clock.advance(14 * HOUR)
    logs = {log.sampled_at: log for log in sim.state.evse_logs[evse_id]}
    start, end = DEFAULT_START + timedelta(hours=6, minutes=30), DEFAULT_START + timedelta(hours=11)
    metered = (logs[end].meter_reading_watt_hours or 0) - (
        logs[start].meter_reading_watt_hours or 0
    )
    in_window = sum(
        usage.watt_hours
        for sub in sim.state.sub_sessions.values()
        if sub.evse_id == evse_id
        for usage in sub.intervals.values()
        if start <= usage.started_at < end
    )
    assert metered == in_window > 0


def test_meter_only_increases() -> None:
    sim = _sim("fleet", fleet_size=2)
    sim.clock.advance(30 * HOUR)
    for logs in sim.state.evse_logs.values():
        readings = [log.meter_reading_watt_hours or 0 for log in logs]
        assert readings == sorted(readings)
        assert readings[-1] > readings[0]


def test_smart_charging_uses_the_cheap_night_hours() -> None:
    sim = _sim()
    sim.clock.advance(14 * HOUR)
    charging = [
        log.sampled_at
        for log in sim.state.evse_logs[sim.evse_ids[0]]
        if log.is_charging and log.sampled_at > DEFAULT_START
    ]
    assert charging
    assert all(env.tariff_price_pence(when) < env.PEAK_PENCE for when in charging)
    assert all(when.hour < 7 for when in charging)


def test_schedule_picks_off_peak_slots_first() -> None:
    sim = _sim()
    sub = sim.state.current_sub_session(sim.state.sessions[_open_session(sim)])
    assert sub is not None
    on = [slot for slot in sub.schedule if slot.current_milliamps > 0]
    off_peak = [
        s for s in sub.schedule if env.tariff_price_pence(s.started_at) == env.OFF_PEAK_PENCE
    ]
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    needed_slots = -(-(vehicle.limit_watt_hours - vehicle.charge_level_watt_hours) // 3680)
    assert len(on) == needed_slots <= len(off_peak)
    assert {s.started_at for s in on} <= {s.started_at for s in off_peak}
    assert all(slot.interval_seconds == 1800 for slot in sub.schedule)
    assert sub.schedule[-1].started_at.hour == 6


def test_day_cycle_departure_and_return() -> None:
    sim = _sim()
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    sessions_before = len(sim.state.sessions)
    sim.clock.advance(16 * HOUR)  # 09:30 next day
    assert not vehicle.at_home
    assert not vehicle.plugged_in
    assert sim.state.vehicle_logs[vehicle.id][-1].state == "DRIVING"
    evse_log = sim.state.evse_logs[sim.evse_ids[0]][-1]
    assert (evse_log.is_plugged_in, evse_log.control_pilot_status, evse_log.mode) == (
        False,
        "A",
        "Idle",
    )
    odometer = vehicle.odometer_meters
    sim.clock.advance(9 * HOUR)  # 18:30
    assert vehicle.plugged_in
    assert vehicle.odometer_meters > odometer
    assert len(sim.state.sessions) == sessions_before + 1


def test_boost_starts_charging_now_and_ends_back_to_smart() -> None:
    sim = _sim()
    session_id = _open_session(sim)
    session = sim.state.sessions[session_id]
    sim.engine.boost_start(session_id)
    boost = sim.state.current_sub_session(session)
    assert boost is not None
    assert boost.mode == "BOOST"
    assert boost.start == sim.clock.now()
    assert sim.state.sub_sessions[session.sub_session_ids[-2]].end == boost.start
    sim.clock.advance(600)
    log = sim.state.evse_logs[sim.evse_ids[0]][-1]
    assert (log.is_charging, log.charge_rate_watts, log.mode, log.control_pilot_status) == (
        True,
        7360,
        "Charge",
        "C",
    )
    assert boost.energy_delivered_watt_hours == pytest.approx(7360 / 6, abs=1)
    with pytest.raises(ConflictError, match="not smart charging"):
        sim.engine.boost_start(session_id)
    sim.engine.boost_end(session_id)
    smart = sim.state.current_sub_session(session)
    assert smart is not None
    assert smart.mode == "SMART"
    with pytest.raises(ConflictError, match="not boosting"):
        sim.engine.boost_end(session_id)


def test_boost_is_a_conflict_without_smart_charging_or_plug() -> None:
    sim = _sim()
    session_id = _open_session(sim)
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    vehicle.smart_charging_enabled = False
    sim.engine.vehicle_settings_changed(vehicle)
    with pytest.raises(ConflictError, match="Smart charging is disabled"):
        sim.engine.boost_start(session_id)
    vehicle.smart_charging_enabled = True
    sim.engine.vehicle_settings_changed(vehicle)
    sim.engine.unplug(vehicle)
    with pytest.raises(ConflictError, match="not plugged in"):
        sim.engine.boost_start(session_id)


def test_boost_on_an_unreachable_charger_is_unavailable() -> None:
    sim = _sim()
    sim.faults.device_unreachable(sim.evse_ids[0])
    with pytest.raises(UnreachableError):
        sim.engine.boost_start(_open_session(sim))
    sim.faults.clear()
    sim.engine.boost_start(_open_session(sim))


def test_an_unreachable_charger_stops_reporting_but_keeps_charging() -> None:
    sim = _sim()
    evse_id = sim.evse_ids[0]
    sim.engine.boost_start(_open_session(sim))
    sim.faults.device_unreachable(evse_id)
    logs_before = len(sim.state.evse_logs[evse_id])
    meter_before = sim.state.evse_logs[evse_id][-1].meter_reading_watt_hours or 0
    sim.clock.advance(HOUR)
    assert len(sim.state.evse_logs[evse_id]) == logs_before
    sim.faults.device_unreachable(evse_id, unreachable=False)
    sim.clock.advance(300)
    latest = sim.state.evse_logs[evse_id][-1]
    assert latest.sampled_at == DEFAULT_START + timedelta(hours=1, minutes=5)
    assert (latest.meter_reading_watt_hours or 0) - meter_before >= 7360


def test_turning_smart_charging_off_charges_unmanaged_at_once() -> None:
    sim = _sim()
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    vehicle.smart_charging_enabled = False
    sim.engine.vehicle_settings_changed(vehicle)
    session = sim.state.sessions[_open_session(sim)]
    sub = sim.state.current_sub_session(session)
    assert sub is not None
    assert sub.mode == "UNMANAGED_HOME"
    sim.clock.advance(300)
    assert sim.state.evse_logs[sim.evse_ids[0]][-1].is_charging


def test_raising_the_limit_replans_the_schedule() -> None:
    sim = _sim()
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    sub = sim.state.current_sub_session(sim.state.sessions[_open_session(sim)])
    assert sub is not None
    before = sum(1 for s in sub.schedule if s.current_milliamps)
    vehicle.maximum_charge_limit_percentage = 100
    sim.engine.vehicle_settings_changed(vehicle)
    after = sum(1 for s in sub.schedule if s.current_milliamps)
    assert after > before


def test_solar_follows_the_sun() -> None:
    sim = _sim()
    sim.clock.advance(24 * HOUR)
    logs = sim.state.inverter_logs[sim.inverter_ids[0]]
    night = [
        log.solar_power_watts
        for log in logs
        if log.sampled_at.hour < 7 or log.sampled_at.hour >= 17
    ]
    noon = [log.solar_power_watts for log in logs if 11 <= log.sampled_at.hour < 13]
    assert night
    assert set(night) == {0}
    assert min(noon) > 0
    assert {log.status for log in logs if log.solar_power_watts == 0} == {"IDLE"}


def test_carbon_and_prices_vary_over_the_day() -> None:
    day = DEFAULT_START.replace(hour=0, minute=0)
    slots = [day + timedelta(minutes=30 * i) for i in range(48)]
    intensities = [env.carbon_intensity(1, s) for s in slots]
    prices = {env.tariff_price_pence(s) for s in slots}
    assert max(intensities) - min(intensities) > 80
    assert intensities[36] > intensities[7]  # 18:00 dirtier than 03:30
    assert prices == {env.OFF_PEAK_PENCE, env.MID_PEAK_PENCE, env.PEAK_PENCE}
    assert env.carbon_classification(50) == "very low"
    assert env.carbon_classification(400) == "very high"


def test_unintegrated_car_has_no_telemetry_but_the_charger_does() -> None:
    sim = _sim("unintegrated")
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    assert vehicle.integrated == "UNINTEGRATED"
    assert vehicle.id not in sim.state.vehicle_logs
    sim.clock.advance(12 * HOUR)
    logs = sim.state.evse_logs[sim.evse_ids[0]]
    assert any(log.is_charging for log in logs)
    assert {log.state_of_charge_percentage for log in logs} == {None}


def test_fleet_size_and_empty_scenario() -> None:
    fleet = _sim("fleet", fleet_size=4)
    assert len(fleet.evse_ids) == len(fleet.vehicle_ids) == 4
    assert {e.vehicle_id for e in fleet.state.evses.values()} == set(fleet.vehicle_ids)
    empty = _sim("empty")
    assert list(empty.state.users) == [empty.primary_user_id]
    assert not empty.evse_ids
    assert not empty.vehicle_ids


def test_unknown_scenario() -> None:
    with pytest.raises(UnknownScenarioError):
        _sim("mansion")


def test_sample_interval_is_configurable() -> None:
    sim = _sim(sample_interval_seconds=60, history_hours=1)
    logs = sim.state.evse_logs[sim.evse_ids[0]]
    assert len(logs) == 60
    assert (logs[1].sampled_at - logs[0].sampled_at).total_seconds() == 60


def test_home_battery_charges_from_the_sun() -> None:
    sim = _sim(home_battery=True)
    battery_id = next(iter(sim.state.home_batteries))
    sim.clock.advance(20 * HOUR)
    logs = sim.state.home_battery_logs[battery_id]
    statuses = {log.status for log in logs}
    assert {"CHARGING", "DISCHARGING"} <= statuses
    charging_hours = {log.sampled_at.hour for log in logs if log.status == "CHARGING"}
    assert charging_hours <= set(range(8, 17))


def test_removed_devices_end_their_session() -> None:
    sim = _sim()
    session_id = _open_session(sim)
    sim.faults.remove_vehicle(sim.vehicle_ids[0])
    assert sim.state.sessions[session_id].end == sim.clock.now()
    assert sim.state.evses[sim.evse_ids[0]].vehicle_id is None
    sim.clock.advance(HOUR)
    other = _sim()
    evse_id = other.evse_ids[0]
    other.faults.remove_evse(evse_id)
    assert evse_id not in other.state.evses
    assert all(evse_id not in site.evse_ids for site in other.state.evse_sites.values())
    other.clock.advance(30 * HOUR)  # the car keeps commuting without a charger
    assert not other.state.vehicles[other.vehicle_ids[0]].plugged_in


def test_one_charger_goes_offline_or_away_alone() -> None:
    """The others and other users' sites stay as they were; an unplugged car just loses its charger."""
    sim = _sim("fleet", fleet_size=2)
    first, second = sim.evse_ids
    neighbour = sim.faults.add_evse(user_id=sim.add_user().id)
    sim.faults.device_unreachable(first)
    assert [evse.reachable for evse in sim.state.evses.values()] == [False, True, True]
    car = sim.state.vehicles[sim.state.evses[second].vehicle_id or ""]
    sim.unplug(car)
    ended = len([s for s in sim.state.sessions.values() if s.end is not None])
    sim.faults.remove_evse(second)
    sim.faults.remove_evse(neighbour.id)  # one without a car
    assert car.home_evse_id is None
    assert len([s for s in sim.state.sessions.values() if s.end is not None]) == ended
    assert [site.evse_ids for site in sim.state.evse_sites.values()] == [[first], []]


def test_added_vehicle_parks_and_commutes() -> None:
    sim = _sim()
    evse = sim.faults.add_evse()
    vehicle = sim.faults.add_vehicle(evse_id=evse.id)
    assert evse.vehicle_id == vehicle.id
    sim.clock.advance(36 * HOUR)
    assert vehicle.plugged_in
    assert any(s.vehicle_id == vehicle.id for s in sim.state.sessions.values())


def test_custom_start_time() -> None:
    start = DEFAULT_START.replace(hour=3, minute=0)
    sim = Simulator("home", clock=ManualClock(start))
    assert sim.state.evse_logs[sim.evse_ids[0]][-1].sampled_at == start
    assert sim.engine.now == start
