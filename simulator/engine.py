"""The scenario engine: moves the world forward in time.

Time advances in small steps (at most a minute, split at every event, sample and
half-hour boundary). Within a step every power flow is constant. The charger turns the
step's joules into whole watt-hours (keeping the remainder for the next step), and the
car's battery, the sub-session, its half-hour interval and the charger's meter all
receive the very same whole watt-hours. That makes energy conservation exact, so tests
can check it.

A compressed routine (``Routine.speed`` > 1, the demo) compresses the day's schedule, never the
physics: energy flows at the reported power over clock time, so a report's power always accounts
for the energy between two reports (what a client's plausibility check relies on). What the
compressed day needs scales instead: a commute uses ``1/speed`` of its energy, and the
smart-charging planner counts the energy a compressed half-hour slot really gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
import random

from . import environment as env
from .clock import Routine
from .ids import IdFactory
from .world import (
    JOULES_PER_WH,
    BoundaryMeterStatusLog,
    ChargingSession,
    ChargingSubSession,
    Evse,
    EvseStatusLog,
    HomeBatteryStatusLog,
    IntervalUsage,
    InverterStatusLog,
    ScheduleSlot,
    Vehicle,
    VehicleStatusLog,
    World,
)

MAX_STEP = timedelta(minutes=1)
READY_BY_MINUTE = 7 * 60
CHARGE_CURRENT_MILLIAMPS = 32000
LOG_DELAY = timedelta(seconds=3)
WH_PER_METER = 0.17

type SubSessionListener = Callable[[str, ChargingSubSession], None]


class ConflictError(Exception):
    """The command is not possible in the current state (HTTP 409)."""


class UnreachableError(Exception):
    """The device did not answer the command (HTTP 503)."""


@dataclass
class _Flow:
    """Power flows of one charger for one step."""

    watts: int
    vehicle: Vehicle | None
    sub: ChargingSubSession | None


def _day_start(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


class Engine:
    """Runs the physics and the charging logic of a world."""

    def __init__(
        self,
        world: World,
        ids: IdFactory,
        *,
        seed: int,
        start: datetime,
        sample_interval: timedelta = timedelta(minutes=5),
        routine: Routine | None = None,
    ) -> None:
        """Attach to ``world`` at time ``start``; nothing is sampled until time moves.

        ``routine`` compresses the day (trips, tariff slots, the sun); energy keeps flowing at
        the reported power over clock time (see the module's docstring).
        """
        self.world = world
        self.ids = ids
        self.seed = seed
        self.now = start
        self.sample_interval = sample_interval
        self.listeners: list[SubSessionListener] = []
        self.routine = routine or Routine(start)
        self._max_step = MAX_STEP / self.routine.speed
        self.next_sample = self._align_up(start)

    # ----------------------------------------------------------------- time
    def set_routine(self, routine: Routine) -> None:
        """Follow ``routine`` from now on (a resumed world keeps its own)."""
        self.routine = routine
        self._max_step = MAX_STEP / routine.speed

    def _align_up(self, when: datetime) -> datetime:
        period = self.sample_interval.total_seconds()
        stamp = math.ceil(when.timestamp() / period) * period
        return datetime.fromtimestamp(stamp, tz=when.tzinfo)

    def advance_to(self, target: datetime) -> None:
        """Run the world up to ``target``, sampling status logs on the way."""
        while self.now < target:
            step_end = min(
                target,
                self.now + self._max_step,
                self.next_sample,
                self._next_slot_boundary(),
                *self._pending_trip_events(),
            )
            if step_end <= self.now:  # pragma: no cover - defensive, events are in the future
                step_end = min(target, self.now + self._max_step)
            self._step(self.now, step_end)
            self.now = step_end
            self._run_trip_events()
            if self.now >= self.next_sample:
                self._sample(self.next_sample)
                self.next_sample += self.sample_interval

    def _next_slot_boundary(self) -> datetime:
        routine_now = self.routine.to_routine(self.now)
        return self.routine.to_clock(env.slot_start(routine_now) + env.HALF_HOUR)

    def _slot_of(self, when: datetime) -> datetime:
        """Return the clock time at which the routine half-hour containing ``when`` began."""
        return self.routine.to_clock(env.slot_start(self.routine.to_routine(when)))

    def _pending_trip_events(self) -> list[datetime]:
        events = []
        for vehicle in self.world.vehicles.values():
            upcoming = vehicle.trip_start if vehicle.at_home else vehicle.trip_end
            if upcoming is not None and upcoming > self.now:
                events.append(upcoming)
        return events

    # ---------------------------------------------------------------- trips
    def plan_trip(self, vehicle: Vehicle, after: datetime) -> None:
        """Plan the next commute after ``after`` (seeded per vehicle and routine day)."""
        after = self.routine.to_routine(after)
        day = _day_start(after)
        while True:
            rng = random.Random(f"{self.seed}:{vehicle.id}:{day.date().isoformat()}")
            depart = day + timedelta(minutes=vehicle.departure_minute + rng.randint(-10, 10))
            arrive = day + timedelta(minutes=vehicle.arrival_minute - rng.randint(0, 15))
            if depart > after:
                break
            day += timedelta(days=1)
        vehicle.trip_start = self.routine.to_clock(depart)
        vehicle.trip_end = self.routine.to_clock(arrive)
        vehicle.trip_start_level_watt_hours = vehicle.charge_level_watt_hours
        used = vehicle.battery_size_watt_hours * rng.uniform(0.2, 0.4) / self.routine.speed
        vehicle.trip_end_level_watt_hours = vehicle.charge_level_watt_hours - used

    def _run_trip_events(self) -> None:
        for vehicle in list(self.world.vehicles.values()):
            departs = vehicle.trip_start is not None and self.now >= vehicle.trip_start
            if vehicle.at_home and departs and not vehicle.stay_home:
                self.depart(vehicle)
            elif not vehicle.at_home and vehicle.trip_end and self.now >= vehicle.trip_end:
                self.arrive(vehicle)

    def depart(self, vehicle: Vehicle) -> None:
        """Unplug and drive away; the trip uses the energy planned for it."""
        if vehicle.plugged_in:
            self.unplug(vehicle)
        used = vehicle.trip_start_level_watt_hours - vehicle.trip_end_level_watt_hours
        vehicle.at_home = False
        vehicle.trip_start = self.now
        vehicle.trip_start_level_watt_hours = vehicle.charge_level_watt_hours
        vehicle.trip_end_level_watt_hours = max(
            vehicle.battery_size_watt_hours * 0.05, vehicle.charge_level_watt_hours - used
        )

    def arrive(self, vehicle: Vehicle) -> None:
        """Come home and plug in."""
        vehicle.at_home = True
        vehicle.charge_level_watt_hours = vehicle.trip_end_level_watt_hours
        self.plan_trip(vehicle, self.now)
        if vehicle.home_evse_id in self.world.evses:
            self.plug_in(vehicle)

    # ------------------------------------------------------------- sessions
    def plug_in(self, vehicle: Vehicle) -> ChargingSession:
        """Plug ``vehicle`` into its home charger: a new session and sub-session."""
        evse_id = vehicle.home_evse_id
        vehicle.plugged_in = True
        session = ChargingSession(
            id=self.ids.new("cses"),
            user_id=vehicle.user_id,
            evse_id=evse_id,
            vehicle_id=vehicle.id,
            start=self.now,
        )
        self.world.sessions[session.id] = session
        self._open_sub_session(session, self._default_mode(vehicle))
        return session

    def unplug(self, vehicle: Vehicle) -> None:
        """Unplug ``vehicle``: its session and sub-session end."""
        vehicle.plugged_in = False
        session = self.session_of_vehicle(vehicle.id)
        if session is not None:
            self._close_sub_session(session)
            session.end = self.now

    def session_of_vehicle(self, vehicle_id: str) -> ChargingSession | None:
        """Return the vehicle's session in progress, if any."""
        for session in reversed(self.world.sessions.values()):
            if session.vehicle_id == vehicle_id and session.end is None:
                return session
        return None

    @staticmethod
    def _default_mode(vehicle: Vehicle) -> str:
        return "SMART" if vehicle.smart_charging_enabled else "UNMANAGED_HOME"

    def _open_sub_session(self, session: ChargingSession, mode: str) -> ChargingSubSession:
        user = self.world.users[session.user_id]
        vehicle = self.world.vehicles.get(session.vehicle_id or "")
        sub = ChargingSubSession(
            id=self.ids.new("csub"),
            session_id=session.id,
            user_id=session.user_id,
            evse_id=session.evse_id,
            vehicle_id=session.vehicle_id,
            mode=mode,
            start=self.now,
            tariff_id=user.tariff_id,
            carbon_feed_id=user.carbon_feed_id,
            start_level_watt_hours=vehicle.charge_level_watt_hours if vehicle else None,
        )
        self.world.sub_sessions[sub.id] = sub
        session.sub_session_ids.append(sub.id)
        if vehicle is not None:
            sub.schedule = self._plan_schedule(vehicle, mode)
        self._emit("charging_sub_session.created", sub)
        return sub

    def _close_sub_session(self, session: ChargingSession) -> None:
        sub = self.world.current_sub_session(session)
        if sub is not None:
            sub.end = self.now
            self._emit("charging_sub_session.ended", sub)

    def _switch_mode(self, session: ChargingSession, mode: str) -> None:
        self._close_sub_session(session)
        self._open_sub_session(session, mode)

    def _emit(self, event_type: str, sub: ChargingSubSession) -> None:
        for listener in list(self.listeners):
            listener(event_type, sub)

    def _plan_schedule(self, vehicle: Vehicle, mode: str) -> list[ScheduleSlot]:
        """Pick the cheapest (then greenest, then earliest) half-hours before the ready-by time.

        The planner uses the car's true energy level, also for unintegrated cars whose level
        the API does not know: a simplification that keeps their sessions realistic.
        """
        evse = self.world.evses.get(vehicle.home_evse_id or "")
        power = evse.max_power_watts if evse else 7360
        if mode != "SMART":
            return [
                ScheduleSlot(
                    started_at=self.now,
                    interval_seconds=None,
                    current_milliamps=CHARGE_CURRENT_MILLIAMPS,
                    schedule_type="BOOST" if mode == "BOOST" else "LEGACY",
                    created_at=self.now,
                    dispatched_at=self.now,
                )
            ]
        routine_now = self.routine.to_routine(self.now)
        ready_by = _day_start(routine_now) + timedelta(minutes=READY_BY_MINUTE)
        if ready_by <= routine_now:
            ready_by += timedelta(days=1)
        slots = []
        slot = env.slot_start(routine_now)
        while slot < ready_by:
            slots.append(slot)
            slot += env.HALF_HOUR
        needed_wh = max(0.0, vehicle.limit_watt_hours - vehicle.charge_level_watt_hours)
        slot_wh = power * env.SLOT_SECONDS / self.routine.speed / 3600
        count = math.ceil(needed_wh / slot_wh)
        ranked = sorted(
            slots,
            key=lambda s: (env.tariff_price_pence(s), env.carbon_intensity(self.seed, s), s),
        )
        chosen = set(ranked[:count])
        return [
            ScheduleSlot(
                started_at=self.routine.to_clock(s),
                interval_seconds=env.SLOT_SECONDS // self.routine.speed,
                current_milliamps=CHARGE_CURRENT_MILLIAMPS if s in chosen else 0,
                schedule_type="SMART",
                created_at=self.now,
                dispatched_at=self.now,
            )
            for s in slots
        ]

    # ------------------------------------------------------------- commands
    def _controllable_session(self, session_id: str) -> tuple[ChargingSession, Evse, Vehicle]:
        session = self.world.sessions[session_id]
        sub = self.world.current_sub_session(session)
        vehicle = self.world.vehicles.get(session.vehicle_id or "")
        evse = self.world.evses.get(session.evse_id or "")
        if session.end is not None or sub is None or evse is None or vehicle is None:
            raise ConflictError("The vehicle is not plugged in.")
        if not vehicle.smart_charging_enabled:
            raise ConflictError("Smart charging is disabled for this vehicle.")
        if not evse.reachable:
            raise UnreachableError("The command could not be delivered to the charger.")
        return session, evse, vehicle

    def boost_start(self, session_id: str) -> ChargingSession:
        """End the SMART sub-session and open a BOOST one."""
        session, _evse, _vehicle = self._controllable_session(session_id)
        sub = self.world.current_sub_session(session)
        if sub is None or sub.mode != "SMART":
            raise ConflictError("The charging session is not smart charging.")
        self._switch_mode(session, "BOOST")
        return session

    def boost_end(self, session_id: str) -> ChargingSession:
        """End the BOOST sub-session and go back to SMART."""
        session, _evse, _vehicle = self._controllable_session(session_id)
        sub = self.world.current_sub_session(session)
        if sub is None or sub.mode != "BOOST":
            raise ConflictError("The charging session is not boosting.")
        self._switch_mode(session, "SMART")
        return session

    def vehicle_settings_changed(self, vehicle: Vehicle) -> None:
        """React to a PATCH: smart on/off switches mode, a new limit replans."""
        session = self.session_of_vehicle(vehicle.id)
        sub = self.world.current_sub_session(session) if session else None
        if session is None or sub is None:
            return
        wanted = self._default_mode(vehicle)
        if sub.mode in {"SMART", "UNMANAGED_HOME"} and sub.mode != wanted:
            self._switch_mode(session, wanted)
        else:
            sub.schedule = self._plan_schedule(vehicle, sub.mode)

    # -------------------------------------------------------------- physics
    def _flow(self, evse: Evse, when: datetime) -> _Flow:
        vehicle = self.world.vehicles.get(evse.vehicle_id or "")
        session = self.world.open_session_for_evse(evse.id)
        sub = self.world.current_sub_session(session) if session else None
        if vehicle is None or sub is None or not vehicle.plugged_in:
            return _Flow(0, vehicle, sub)
        if vehicle.is_full:
            return _Flow(0, vehicle, sub)
        if sub.mode == "SMART" and not self._slot_on(sub, when):
            return _Flow(0, vehicle, sub)
        return _Flow(evse.max_power_watts, vehicle, sub)

    def charge_power_watts(self, evse: Evse) -> int:
        """Return the power the charger delivers now (what its next report says)."""
        return self._flow(evse, self.now).watts

    def _slot_on(self, sub: ChargingSubSession, when: datetime) -> bool:
        slot = self._slot_of(when)
        return any(s.started_at == slot and s.current_milliamps > 0 for s in sub.schedule)

    def _generation_watts(self, user_id: str, when: datetime) -> int:
        routine_when = self.routine.to_routine(when)
        latitude = self.world.users[user_id].latitude
        return sum(
            env.solar_power_watts(self.seed, routine_when, array.capacity_watts, latitude)
            for array in self.world.solar_arrays.values()
            if array.user_id == user_id
        )

    def _house_load_watts(self, when: datetime) -> int:
        return env.house_load_watts(self.seed, self.routine.to_routine(when))

    def _solar_surplus_watts(self, user_id: str, when: datetime) -> int:
        generation = self._generation_watts(user_id, when)
        return max(0, generation - self._house_load_watts(when))

    def _step(self, start: datetime, end: datetime) -> None:
        seconds = (end - start).total_seconds()
        for vehicle in self.world.vehicles.values():
            if not vehicle.at_home:
                self._drive(vehicle, end)
        for evse in self.world.evses.values():
            flow = self._flow(evse, start)
            if flow.watts and flow.vehicle is not None and flow.sub is not None:
                self._deliver(evse, flow, start, seconds)
        self._run_home_batteries(start, seconds)

    def _drive(self, vehicle: Vehicle, when: datetime) -> None:
        if vehicle.trip_start is None or vehicle.trip_end is None:
            return
        span = (vehicle.trip_end - vehicle.trip_start).total_seconds()
        done = min(1.0, max(0.0, (when - vehicle.trip_start).total_seconds() / span))
        level = vehicle.trip_start_level_watt_hours + done * (
            vehicle.trip_end_level_watt_hours - vehicle.trip_start_level_watt_hours
        )
        used = max(0.0, vehicle.charge_level_watt_hours - level)
        vehicle.odometer_meters += used / WH_PER_METER
        vehicle.charge_level_watt_hours = min(vehicle.charge_level_watt_hours, level)

    def _deliver(self, evse: Evse, flow: _Flow, start: datetime, seconds: float) -> None:
        vehicle, sub, watts = flow.vehicle, flow.sub, flow.watts
        if vehicle is None or sub is None:  # pragma: no cover - the caller checks
            return
        room_wh = math.floor(vehicle.limit_watt_hours - vehicle.charge_level_watt_hours)
        joules = evse.carry_joules + round(watts * seconds)
        watt_hours = min(joules // JOULES_PER_WH, max(0, room_wh))
        evse.carry_joules = joules - watt_hours * JOULES_PER_WH if watt_hours < room_wh else 0
        sub.charging_seconds += round(seconds)
        if watt_hours <= 0:
            return
        surplus_wh = self._solar_surplus_watts(sub.user_id, start) * seconds / JOULES_PER_WH
        solar_wh = min(watt_hours, math.floor(surplus_wh))
        vehicle.charge_level_watt_hours += watt_hours
        evse.delivered_watt_hours += watt_hours
        # Usage is bucketed by clock half-hour (what the API reports), priced at routine time.
        slot = env.slot_start(start)
        price = env.tariff_price_pence(self.routine.to_routine(start))
        usage = sub.intervals.setdefault(
            slot, IntervalUsage(started_at=slot, price_pence_per_kwh=price)
        )
        usage.watt_hours += watt_hours
        usage.solar_watt_hours += solar_wh
        sub.energy_delivered_watt_hours += watt_hours
        sub.solar_energy_delivered_watt_hours += solar_wh
        grid_kwh = (watt_hours - solar_wh) / 1000
        sub.cost_pence += grid_kwh * usage.price_pence_per_kwh
        sub.co2_grams += grid_kwh * env.carbon_intensity(self.seed, self.routine.to_routine(start))

    def _run_home_batteries(self, start: datetime, seconds: float) -> None:
        for battery in self.world.home_batteries.values():
            watts = self._battery_watts(battery.user_id, start)
            level = battery.charge_level_watt_hours + watts * seconds / 3600
            battery.charge_level_watt_hours = min(
                battery.capacity_watt_hours, max(battery.capacity_watt_hours * 0.1, level)
            )

    def _battery_watts(self, user_id: str, when: datetime) -> int:
        """Return home battery power (+ charging from surplus solar, - covering the house)."""
        battery = next(
            (b for b in self.world.home_batteries.values() if b.user_id == user_id), None
        )
        if battery is None:
            return 0
        surplus = self._solar_surplus_watts(user_id, when)
        if surplus > 0 and battery.charge_level_watt_hours < battery.capacity_watt_hours:
            return min(surplus, battery.max_power_watts)
        if surplus == 0 and battery.charge_level_watt_hours > battery.capacity_watt_hours * 0.1:
            return -min(self._house_load_watts(when), battery.max_power_watts)
        return 0

    # ------------------------------------------------------------ live power
    def live_power(self, user_id: str, when: datetime) -> dict[str, int]:
        """Return the home's power flows (W) at ``when``."""
        generation = self._generation_watts(user_id, when)
        ev = sum(
            self._flow(evse, when).watts
            for evse in self.world.evses.values()
            if evse.user_id == user_id
        )
        battery = self._battery_watts(user_id, when)
        consumption = self._house_load_watts(when) + ev
        net = consumption + battery - generation
        return {
            "generation": generation,
            "consumption": consumption,
            "battery": battery,
            "import": max(0, net),
            "export": max(0, -net),
        }

    # ------------------------------------------------------------- sampling
    def _sample(self, when: datetime) -> None:
        for evse in self.world.evses.values():
            if evse.reachable:  # an unreachable charger keeps working but stops reporting
                self.world.evse_logs.setdefault(evse.id, []).append(self._evse_log(evse, when))
        for vehicle in self.world.vehicles.values():
            if vehicle.integrated != "UNINTEGRATED":
                log = self._vehicle_log(vehicle, when)
                self.world.vehicle_logs.setdefault(vehicle.id, []).append(log)
        for inverter in self.world.inverters.values():
            watts = self.live_power(inverter.user_id, when)["generation"]
            self.world.inverter_logs.setdefault(inverter.id, []).append(
                InverterStatusLog(
                    inverter_id=inverter.id,
                    sampled_at=when,
                    logged_at=when + LOG_DELAY,
                    solar_power_watts=watts,
                    status="PRODUCING" if watts > 0 else "IDLE",
                )
            )
        for battery in self.world.home_batteries.values():
            watts = self._battery_watts(battery.user_id, when)
            status = "CHARGING" if watts > 0 else "DISCHARGING" if watts < 0 else "IDLE"
            self.world.home_battery_logs.setdefault(battery.id, []).append(
                HomeBatteryStatusLog(
                    home_battery_id=battery.id,
                    sampled_at=when,
                    logged_at=when + LOG_DELAY,
                    capacity_watt_hours=battery.capacity_watt_hours,
                    state_of_charge_percentage=round(
                        100 * battery.charge_level_watt_hours / battery.capacity_watt_hours
                    ),
                    charge_rate_watts=watts,
                    discharge_limit_percentage=10,
                    status=status,
                    operation_mode="SELF_RELIANCE",
                )
            )
        for meter in self.world.boundary_meters.values():
            power = self.live_power(meter.user_id, when)
            net = power["import"] - power["export"]
            status = "IMPORTING" if net > 0 else "EXPORTING" if net < 0 else "IDLE"
            self.world.boundary_meter_logs.setdefault(meter.id, []).append(
                BoundaryMeterStatusLog(
                    boundary_meter_id=meter.id,
                    sampled_at=when,
                    logged_at=when + LOG_DELAY,
                    power_watts=net,
                    status=status,
                )
            )

    def _evse_log(self, evse: Evse, when: datetime) -> EvseStatusLog:
        flow = self._flow(evse, when)
        vehicle = flow.vehicle
        plugged = vehicle is not None and vehicle.plugged_in
        charging = flow.watts > 0
        if charging:
            mode, pilot = "Charge", "C"
        elif plugged and flow.sub is not None and flow.sub.mode == "SMART":
            mode, pilot = "Delay", "B"
        else:
            mode, pilot = "Idle", "B" if plugged else "A"
        noise = random.Random(f"{self.seed}:{evse.id}:{when.timestamp()}")
        soc = None
        if plugged and vehicle is not None and vehicle.integrated != "UNINTEGRATED":
            soc = round(vehicle.state_of_charge_percentage)
        return EvseStatusLog(
            evse_id=evse.id,
            sampled_at=when,
            logged_at=when + LOG_DELAY,
            is_plugged_in=plugged,
            is_charging=charging,
            charge_rate_watts=flow.watts,
            export_power_watts=0,
            control_pilot_status=pilot,
            meter_reading_watt_hours=self.world.evse_meter_watt_hours(evse.id),
            is_enabled=True,
            max_current_rating_milliamps=evse.max_current_rating_milliamps,
            cable_current_rating_milliamps=32000 if plugged else None,
            signal_strength_rssi_dbm=evse.signal_strength_rssi_dbm + noise.randint(-4, 4),
            inlet_power_watts=flow.watts,
            voltage_millivolts=noise.randint(232000, 244000),
            state_of_charge_percentage=soc,
            mode=mode,
        )

    def _vehicle_state(self, vehicle: Vehicle, charging: bool, when: datetime) -> str:
        if not vehicle.at_home:
            return "DRIVING"
        if not vehicle.plugged_in:
            return "STATIONARY"
        if charging:
            return "PLUGGED_IN_CHARGING"
        if vehicle.is_full:
            return "PLUGGED_IN_COMPLETE"
        return "PLUGGED_IN_NOT_CHARGING"

    def _vehicle_log(self, vehicle: Vehicle, when: datetime) -> VehicleStatusLog:
        evse = self.world.evses.get(vehicle.home_evse_id or "")
        watts = self._flow(evse, when).watts if evse and vehicle.plugged_in else 0
        session = self.session_of_vehicle(vehicle.id)
        added = None
        if session is not None:
            added = sum(
                self.world.sub_sessions[s].energy_delivered_watt_hours
                for s in session.sub_session_ids
            )
        minutes_to_full = None
        if watts:
            remaining = vehicle.limit_watt_hours - vehicle.charge_level_watt_hours
            minutes_to_full = math.ceil(remaining / watts * 60)
        return VehicleStatusLog(
            vehicle_id=vehicle.id,
            sampled_at=when,
            logged_at=when + LOG_DELAY,
            state_of_charge_percentage=math.floor(vehicle.state_of_charge_percentage),
            is_charging=watts > 0,
            is_plugged_in=vehicle.plugged_in,
            charge_rate_watts=watts,
            estimated_charge_rate_watts=evse.max_power_watts if evse else None,
            charge_level_watt_hours=math.floor(vehicle.charge_level_watt_hours),
            target_charge_level_percentage=vehicle.maximum_charge_limit_percentage,
            target_charge_level_watt_hours=round(vehicle.limit_watt_hours),
            charge_energy_added_watt_hours=added,
            minutes_to_full_charge=minutes_to_full,
            current_type="AC - Typically home chargers" if vehicle.plugged_in else None,
            is_complete=vehicle.is_full,
            odometer_meters=round(vehicle.odometer_meters),
            data_source="telematics",
            state=self._vehicle_state(vehicle, watts > 0, when),
        )
