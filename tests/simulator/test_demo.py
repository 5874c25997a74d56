"""The demo: a compressed routine on a real clock, a world that persists, hands-on controls."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import itertools
import json
import logging
from pathlib import Path
import signal
import subprocess
import sys

import pytest

from simulator.__main__ import _minute_of_day
from simulator.clock import ManualClock, Routine, ScaledClock
from simulator.persistence import StateFileError, load, save
from simulator.testing import Simulator
from tests.conftest import SimulatorFactory

from .conftest import Api
from .test_cli import ROOT, _read_banner

SPEED = 60
# The demo's settings: devices report every minute, a day's routine takes 24 minutes.
DEMO = {"routine_speed": SPEED, "sample_interval_seconds": 60.0, "history_hours": 0.5}


def test_routine_maps_minutes_to_whole_seconds() -> None:
    epoch = datetime(2026, 11, 20, 17, 30, 42, tzinfo=UTC)
    routine = Routine(epoch, SPEED)
    assert routine.epoch == datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    an_hour_later = routine.to_routine(routine.epoch + timedelta(minutes=1))
    assert an_hour_later == routine.epoch + timedelta(hours=1)
    assert routine.to_clock(an_hour_later) == routine.epoch + timedelta(minutes=1)
    assert Routine(epoch).to_routine(epoch) == epoch == Routine(epoch).to_clock(epoch)
    fast = Routine(epoch, 600)
    assert fast.to_clock(fast.epoch + timedelta(minutes=31)) == fast.epoch + timedelta(seconds=3.1)
    for speed in (0, 7, 900):
        with pytest.raises(ValueError, match="must divide"):
            Routine(epoch, speed)


def _samples(sim: Simulator) -> list[datetime]:
    logs = [*sim.state.evse_logs.values(), *sim.state.vehicle_logs.values()]
    return [log.sampled_at for device_logs in logs for log in device_logs]


async def test_a_day_passes_in_minutes_and_nothing_lies_in_the_future(
    simulator_factory: SimulatorFactory,
) -> None:
    async with simulator_factory("home", **DEMO) as sim:
        vehicle = next(iter(sim.state.vehicles.values()))
        evse = next(iter(sim.state.evses.values()))
        sessions_before = len(sim.state.sessions)
        meter_before = sim.state.evse_meter_watt_hours(evse.id)
        odometer_before = vehicle.odometer_meters
        sim.clock.advance(timedelta(minutes=24))  # one routine day
        now = sim.clock.now()
        assert max(_samples(sim)) <= now
        assert all(s.start <= now for s in sim.state.sessions.values())
        # The car drove to work and back, plugged in and charged: all within 24 clock minutes.
        assert vehicle.odometer_meters > odometer_before
        assert len(sim.state.sessions) > sessions_before
        assert sim.state.evse_meter_watt_hours(evse.id) > meter_before
        # Devices report at their own cadence in clock time: every minute.
        evse_times = [log.sampled_at for log in sim.state.evse_logs[evse.id][-10:]]
        assert {b - a for a, b in itertools.pairwise(evse_times)} == {timedelta(minutes=1)}
        # Smart-charging slots are routine half-hours: 30 clock seconds.
        open_sub = sim.state.sub_sessions[max(sim.state.sub_sessions)]
        assert {slot.interval_seconds for slot in open_sub.schedule} <= {30, None}


async def test_a_compressed_routine_keeps_energy_at_the_reported_power(
    simulator_factory: SimulatorFactory,
) -> None:
    """The routine compresses the day, not physics: a client's plausibility check must accept every report."""
    async with simulator_factory("home", **DEMO) as sim:
        vehicle, evse_id = sim.vehicle(), sim.evse_ids[0]
        sim.plug_in(vehicle)
        sim.set_battery_level(vehicle, 20)
        sim.set_charging(vehicle, True)
        sim.clock.advance(timedelta(minutes=10))
        logs = sim.state.evse_logs[evse_id][-10:]
        for earlier, later in itertools.pairwise(logs):
            hours = (later.sampled_at - earlier.sampled_at) / timedelta(hours=1)
            delivered = later.meter_reading_watt_hours - earlier.meter_reading_watt_hours
            assert earlier.charge_rate_watts is not None
            assert delivered == pytest.approx(earlier.charge_rate_watts * hours, abs=1)
        latest = sim.state.vehicle_logs[vehicle.id][-1]
        assert latest.is_charging
        assert latest.charge_rate_watts
        remaining_wh = vehicle.limit_watt_hours - vehicle.charge_level_watt_hours
        # 60 % of 77.4 kWh at 7.36 kW takes 6.3 hours of clock time, whatever the routine's speed.
        assert latest.minutes_to_full_charge == pytest.approx(
            remaining_wh / latest.charge_rate_watts * 60, abs=2
        )


async def test_a_compressed_day_needs_its_share_of_energy(
    simulator_factory: SimulatorFactory,
) -> None:
    """A commute of a day compressed 60 times uses a sixtieth of its energy, so charging keeps up."""
    async with simulator_factory("home", **DEMO) as sim:
        vehicle = sim.vehicle()
        level_before = vehicle.charge_level_watt_hours
        sim.clock.advance(timedelta(minutes=24 * 3))  # three routine days
        day_of_driving_wh = vehicle.battery_size_watt_hours * 0.4
        assert vehicle.charge_level_watt_hours > level_before - day_of_driving_wh / SPEED * 3
        assert vehicle.state_of_charge_percentage > 10


async def test_the_world_persists_across_a_restart(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "simulator-state.json"
    async with simulator_factory("home", state_file=state_file, **DEMO) as sim:
        assert not sim.resumed
        vehicle = sim.vehicle()
        vehicle.maximum_charge_limit_percentage = 90
        sim.clock.advance(timedelta(minutes=30))
        token = sim.issue_token().access_token
        evse_id = sim.evse_ids[0]
        meter = sim.state.evse_meter_watt_hours(evse_id)
        odometer = vehicle.odometer_meters
        stopped_at = sim.clock.now()
    assert state_file.exists()
    later = ManualClock(stopped_at + timedelta(minutes=5))
    async with simulator_factory("home", state_file=state_file, clock=later, **DEMO) as again:
        assert again.resumed
        resumed = again.vehicle()
        assert resumed.maximum_charge_limit_percentage == 90
        assert again.state.evse_meter_watt_hours(evse_id) == meter
        assert resumed.odometer_meters == pytest.approx(odometer)
        assert again.oauth.validate(token) is not None
        again.catch_up()  # the five minutes the simulator was down
        assert again.engine.now == later.now()
        assert again.state.evse_meter_watt_hours(evse_id) >= meter
        # New IDs continue after the saved ones instead of minting them again.
        assert again.builder.ids.new("cses") > max(again.state.sessions)


async def test_a_state_file_of_another_world_is_refused(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    async with simulator_factory("home") as sim:
        save(sim, state_file)
    async with simulator_factory("home", seed=2) as other:
        with pytest.raises(StateFileError, match="seed"):
            load(other, state_file)
        state_file.write_text(json.dumps({"version": 0}))
        with pytest.raises(StateFileError, match="format"):
            load(other, state_file)
        assert not load(other, tmp_path / "missing.json")


async def test_a_failed_save_is_logged_not_raised(
    simulator_factory: SimulatorFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    async with simulator_factory("home") as sim:
        sim.state_file = blocker / "state.json"
        sim.save()
    assert "Could not save the simulator state" in caplog.text


async def test_controls_plug_charge_and_set_the_battery(api: Api) -> None:
    sim = api.sim
    vehicle_id = sim.vehicle_ids[0]
    url = f"/_admin/vehicles/{vehicle_id}"
    unplugged = await api.request("POST", url, json_body={"plugged_in": False})
    assert unplugged.status == 200
    assert unplugged.json()["vehicles"][0]["plugged_in"] is False
    assert not sim.state.vehicles[vehicle_id].plugged_in
    stop = await api.request("POST", url, json_body={"charging": False})
    assert stop.status == 409  # not plugged in
    replies = [
        await api.request("POST", url, json_body={"plugged_in": True, "battery_percent": 30}),
        await api.request("POST", url, json_body={"charging": True}),
    ]
    assert [reply.status for reply in replies] == [200, 200]
    vehicle = sim.state.vehicles[vehicle_id]
    assert vehicle.plugged_in
    assert vehicle.state_of_charge_percentage == pytest.approx(30)
    session = sim.engine.session_of_vehicle(vehicle_id)
    assert session is not None
    assert sim.state.sub_sessions[session.sub_session_ids[-1]].mode == "BOOST"
    assert (await api.request("POST", url, json_body={"charging": False})).status == 200
    assert sim.state.sub_sessions[session.sub_session_ids[-1]].mode == "SMART"
    sim.clock.advance(300)
    log = (await api.get(f"/v2/vehicles/{vehicle_id}/status_logs")).json()[0]
    assert log["is_plugged_in"] is True


async def test_plugging_in_a_car_that_is_out_brings_it_home(api: Api) -> None:
    sim = api.sim
    vehicle = sim.vehicle()
    sim.engine.depart(vehicle)
    reply = await api.request(
        "POST", f"/_admin/vehicles/{vehicle.id}", json_body={"plugged_in": True}
    )
    assert reply.status == 200
    assert vehicle.at_home
    assert vehicle.plugged_in
    assert vehicle.trip_start is not None
    assert vehicle.trip_start > sim.clock.now()


async def test_a_car_kept_home_is_not_driven_away_by_the_routine(api: Api) -> None:
    sim = api.sim
    vehicle = sim.vehicle()
    sim.engine.depart(vehicle)
    url = f"/_admin/vehicles/{vehicle.id}"
    reply = await api.request("POST", url, json_body={"stay_home": True})
    assert reply.status == 200
    described = next(v for v in reply.json()["vehicles"] if v["id"] == vehicle.id)
    assert described["stay_home"] is True
    assert described["at_home"] is True
    assert described["plugged_in"] is False
    assert (await api.request("POST", url, json_body={"plugged_in": True})).status == 200
    sim.clock.advance(timedelta(days=2))  # two commutes' times pass
    assert vehicle.at_home
    assert vehicle.plugged_in
    reply = await api.request("POST", url, json_body={"stay_home": False})
    assert reply.status == 200
    assert vehicle.trip_start is not None
    assert vehicle.trip_start > sim.clock.now(), "a missed commute must not start at once"
    sim.clock.advance(timedelta(days=1))
    assert vehicle.odometer_meters > 0
    assert any(not log.is_plugged_in for log in sim.state.vehicle_logs[vehicle.id][-200:])


async def test_the_state_shows_each_device_as_it_is_now(api: Api) -> None:
    sim = api.sim
    vehicle, evse_id = sim.vehicle(), sim.evse_ids[0]
    sim.plug_in(vehicle)
    sim.set_battery_level(vehicle, 40)
    sim.set_charging(vehicle, True)
    state = (await api.get("/_admin/state", token=None)).json()
    car = next(v for v in state["vehicles"] if v["id"] == vehicle.id)
    evse = next(e for e in state["evses"] if e["id"] == evse_id)
    assert car["at_home"] is car["plugged_in"] is car["charging"] is True
    assert car["charge_power_watts"] == evse["charge_power_watts"] == 7360
    assert evse["plugged_in"] is evse["charging"] is True
    assert car["state_of_charge_percentage"] == pytest.approx(40)
    newest = sim.state.vehicle_logs[vehicle.id][-1].sampled_at
    assert datetime.fromisoformat(car["last_report_at"]) == newest
    assert datetime.fromisoformat(state["routine_now"]) == sim.engine.routine.to_routine(
        sim.clock.now()
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"plugged_in": "yes"}, 400),
        ({"stay_home": 1}, 400),
        ({"battery_percent": "full"}, 400),
        ({"battery_percent": 101}, 400),
    ],
)
async def test_bad_vehicle_controls(api: Api, body: dict[str, object], status: int) -> None:
    reply = await api.request("POST", f"/_admin/vehicles/{api.sim.vehicle_ids[0]}", json_body=body)
    assert reply.status == status


async def test_controls_answer_404_and_409_and_503(api: Api) -> None:
    sim = api.sim
    assert (await api.request("POST", "/_admin/vehicles/vhcl0", json_body={})).status == 404
    assert (await api.request("POST", "/_admin/evses/evse0", json_body={})).status == 404
    vehicle_id = sim.vehicle_ids[0]
    sim.faults.device_unreachable()
    reply = await api.request(
        "POST", f"/_admin/vehicles/{vehicle_id}", json_body={"charging": True}
    )
    assert reply.status == 503
    sim.faults.clear()
    sim.state.vehicles[vehicle_id].smart_charging_enabled = False
    sim.engine.vehicle_settings_changed(sim.state.vehicles[vehicle_id])
    reply = await api.request(
        "POST", f"/_admin/vehicles/{vehicle_id}", json_body={"charging": False}
    )
    assert reply.status == 409
    sim.remove_evse(sim.evse_ids[0])
    reply = await api.request(
        "POST", f"/_admin/vehicles/{vehicle_id}", json_body={"plugged_in": True}
    )
    assert reply.status == 409


async def test_charger_goes_offline_and_back(api: Api) -> None:
    sim = api.sim
    url = f"/_admin/evses/{sim.evse_ids[0]}"
    assert (await api.request("POST", url, json_body={})).status == 400
    offline = await api.request("POST", url, json_body={"online": False})
    assert offline.json()["evses"][0]["online"] is False
    assert not sim.state.evses[sim.evse_ids[0]].reachable
    await api.request("POST", url, json_body={"online": True})
    assert sim.state.evses[sim.evse_ids[0]].reachable


async def test_control_page_lists_the_controls(api: Api) -> None:
    page = await api.get("/_admin/", token=None)
    assert page.status == 200
    assert page.content_type == "text/html"
    text = page.body.decode()
    vehicle_url = f"/_admin/vehicles/{api.sim.vehicle_ids[0]}"
    labels = ("Stay home", "Follow the routine", "Plug in", "Unplug", "Start charging")
    for label in (*labels, "Stop charging", "Set battery level"):
        assert f'data-url="{vehicle_url}"' in text
        assert f">{label}</button>" in text
    assert f'data-url="/_admin/evses/{api.sim.evse_ids[0]}"' in text
    assert 'button.textContent + "\\n"' in text  # an escaped newline: a raw one breaks the script
    for fault in ("server_errors", "malformed_json", "rate_limit_now", "revoke_tokens", "clear"):
        assert f'data-url="/_admin/faults/{fault}"' in text


async def test_each_request_is_logged_on_one_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="simulator.requests"):
        await api.get("/v2/evses", params={"expand": "model"})
    lines = [r.getMessage() for r in caplog.records if r.name == "simulator.requests"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /v2/evses 200 ")
    assert "expand" not in lines[0]


def test_cli_resumes_from_its_state_file(local_sockets: None, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    command = [
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        "--routine-speed",
        str(SPEED),
        "--sample-interval",
        "60",
        "--history-hours",
        "0.2",
        "--state-file",
        str(state_file),
    ]
    for resumed in (False, True):
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            banner = _read_banner(process)
            assert banner["resumed"] is resumed
            assert banner["routine_speed"] == SPEED
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        assert state_file.exists()


async def test_an_inverter_expands_to_its_model_and_make(api: Api) -> None:
    linked = (await api.get("/v2/inverters")).json()[0]
    assert linked["model"].startswith(api.sim.origin + "/v2/inverter_models/")
    inverter = (await api.get("/v2/inverters", params={"expand": "model.make"})).json()[0]
    assert inverter["model"]["name"] == "SE3680H"
    assert inverter["model"]["make"]["name"] == "SolarEdge"
    model_only = (await api.get("/v2/inverters", params={"expand": "model"})).json()[0]
    assert model_only["model"]["make"].startswith(api.sim.origin + "/v2/inverter_makes/")


async def test_a_running_simulator_saves_its_world_periodically(
    simulator_factory: SimulatorFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("simulator.core.SAVE_EVERY_SECONDS", 0.05)
    state_file = tmp_path / "state.json"
    clock = ScaledClock(speed=1)
    async with simulator_factory("home", clock=clock, tick_seconds=0.01, state_file=state_file):
        for _ in range(100):
            if state_file.exists():
                break
            await asyncio.sleep(0.02)
        assert json.loads(state_file.read_text())["scenario"] == "home"


def test_the_routine_can_start_at_any_time_of_day() -> None:
    epoch = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    evening = Routine.starting_at(epoch, SPEED, 18 * 60)
    assert evening.to_routine(epoch) == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert evening.to_clock(datetime(2026, 11, 20, 19, 0, tzinfo=UTC)) == epoch + timedelta(
        minutes=1
    )
    morning = Routine.starting_at(epoch, SPEED, 6 * 60)
    assert morning.to_routine(epoch) == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    assert Routine.starting_at(epoch, SPEED, None).to_routine(epoch) == epoch
    with pytest.raises(ValueError, match="whole minutes"):
        Routine(epoch, SPEED, timedelta(seconds=30))


@pytest.mark.parametrize(("text", "minute"), [("18:00", 1080), ("7", 420), ("23:59", 1439)])
def test_routine_start_is_read_as_hh_mm(text: str, minute: int) -> None:
    assert _minute_of_day(text) == minute


@pytest.mark.parametrize("text", ["24:00", "evening", "7:xx"])
def test_a_bad_routine_start_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _minute_of_day(text)


async def test_an_evening_demo_starts_with_the_car_home_and_plugged_in(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    options = {**DEMO, "routine_start_minute": 18 * 60, "state_file": state_file}
    async with simulator_factory("home", **options) as sim:
        summary = sim.describe()
        assert datetime.fromisoformat(summary["routine_now"]).hour == 18
        assert summary["vehicles"][0]["at_home"]
        assert summary["vehicles"][0]["plugged_in"]
    later = ManualClock(datetime.fromisoformat(summary["now"]) + timedelta(minutes=1))
    async with simulator_factory("home", clock=later, **options) as again:
        assert datetime.fromisoformat(again.describe()["routine_now"]).hour == 19
