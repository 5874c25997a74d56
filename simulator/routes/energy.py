"""Solar, home batteries, HEM systems and boundary meters."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta

from aiohttp import web

from simulator import environment as env
from simulator.clock import Routine
from simulator.context import endpoint, json_response
from simulator.problems import ProblemError
from simulator.timeutil import iso
from simulator.world import World

from .common import (
    expand,
    find_log,
    listing,
    log_cursor,
    log_window,
    owned,
    renderer,
    sim,
    time_param,
    visible,
)

routes = web.RouteTableDef()
DEVICE_EXPAND = ("model", "model.make", "latest_status_log")
RESOLUTIONS = {
    "PT30M": (timedelta(minutes=30), timedelta(hours=24)),
    "P1D": (timedelta(days=1), timedelta(days=31)),
    "P1M": (timedelta(days=31), timedelta(days=366)),
}
FLOW_NAMES = [
    "generation",
    "consumption",
    "import",
    "export",
    "charge",
    "discharge",
    "solar_to_home",
    "solar_to_battery",
    "solar_to_grid",
    "battery_to_home",
    "battery_to_grid",
    "grid_to_home",
    "grid_to_battery",
]


def split_flows(generation: int, consumption: int, battery: int) -> dict[str, int]:
    """Split the home's power (W) into the HEM flows; ``battery`` > 0 charges it."""
    charge, discharge = max(0, battery), max(0, -battery)
    solar_to_home = min(generation, consumption)
    solar_to_battery = min(generation - solar_to_home, charge)
    solar_to_grid = generation - solar_to_home - solar_to_battery
    battery_to_home = min(discharge, consumption - solar_to_home)
    battery_to_grid = discharge - battery_to_home
    grid_to_home = consumption - solar_to_home - battery_to_home
    grid_to_battery = charge - solar_to_battery
    return {
        "generation": generation,
        "consumption": consumption,
        "import": grid_to_home + grid_to_battery,
        "export": solar_to_grid + battery_to_grid,
        "charge": charge,
        "discharge": discharge,
        "solar_to_home": solar_to_home,
        "solar_to_battery": solar_to_battery,
        "solar_to_grid": solar_to_grid,
        "battery_to_home": battery_to_home,
        "battery_to_grid": battery_to_grid,
        "grid_to_home": grid_to_home,
        "grid_to_battery": grid_to_battery,
    }


# ------------------------------------------------------------------- solar
@routes.get("/v2/inverters")
@endpoint(scopes=("inverter:read",), expand=DEVICE_EXPAND)
async def list_inverters(request: web.Request) -> web.Response:
    """List solar inverters."""
    inverters = visible(request, sim(request).state.inverters.values())
    render, exp = renderer(request), expand(request)
    return listing(request, inverters, lambda i: i.id, lambda i: render.inverter(i, exp))


@routes.get("/v2/inverters/{inverter_id}")
@endpoint(scopes=("inverter:read",), expand=DEVICE_EXPAND)
async def get_inverter(request: web.Request) -> web.Response:
    """Return one inverter."""
    inverter = owned(
        request, sim(request).state.inverters, request.match_info["inverter_id"], "inverter"
    )
    return json_response(renderer(request).inverter(inverter, expand(request)))


@routes.get("/v2/solar_arrays")
@endpoint(scopes=("solar:read",), expand=("user", "inverter"))
async def list_solar_arrays(request: web.Request) -> web.Response:
    """List solar arrays."""
    arrays = visible(request, sim(request).state.solar_arrays.values())
    render, exp = renderer(request), expand(request)
    return listing(request, arrays, lambda a: a.id, lambda a: render.solar_array(a, exp))


@routes.get("/v2/solar_arrays/{solar_array_id}")
@endpoint(scopes=("solar:read",), expand=("user", "inverter"))
async def get_solar_array(request: web.Request) -> web.Response:
    """Return one solar array."""
    array = owned(
        request, sim(request).state.solar_arrays, request.match_info["solar_array_id"], "array"
    )
    return json_response(renderer(request).solar_array(array, expand(request)))


# ---------------------------------------------------------- home batteries
@routes.get("/v2/home_batteries")
@endpoint(scopes=("home_battery:read",), expand=DEVICE_EXPAND)
async def list_home_batteries(request: web.Request) -> web.Response:
    """List home batteries."""
    batteries = visible(request, sim(request).state.home_batteries.values())
    render, exp = renderer(request), expand(request)
    return listing(request, batteries, lambda b: b.id, lambda b: render.home_battery(b, exp))


@routes.get("/v2/home_batteries/{home_battery_id}")
@endpoint(scopes=("home_battery:read",), expand=DEVICE_EXPAND)
async def get_home_battery(request: web.Request) -> web.Response:
    """Return one home battery."""
    battery = owned(
        request,
        sim(request).state.home_batteries,
        request.match_info["home_battery_id"],
        "home battery",
    )
    return json_response(renderer(request).home_battery(battery, expand(request)))


BATTERY_LOG_EXPAND = ("home_battery", "home_battery.model", "home_battery.model.make")


@routes.get("/v2/home_batteries/{home_battery_id}/status_logs")
@endpoint(scopes=("home_battery:read",), expand=BATTERY_LOG_EXPAND)
async def list_home_battery_logs(request: web.Request) -> web.Response:
    """List a home battery's status logs, newest first."""
    world = sim(request).state
    battery = owned(
        request, world.home_batteries, request.match_info["home_battery_id"], "home battery"
    )
    logs = log_window(request, world.home_battery_logs.get(battery.id, []), lambda x: x.sampled_at)
    render, exp = renderer(request), expand(request)
    cursor = log_cursor(lambda log: log.sampled_at)
    return listing(request, logs, cursor, lambda log: render.home_battery_log(log, exp))


@routes.get("/v2/home_batteries/{home_battery_id}/status_logs/{sampled_at}")
@endpoint(scopes=("home_battery:read",), expand=BATTERY_LOG_EXPAND)
async def get_home_battery_log(request: web.Request) -> web.Response:
    """Return the home battery log sampled at exactly ``sampled_at``."""
    world = sim(request).state
    battery = owned(
        request, world.home_batteries, request.match_info["home_battery_id"], "home battery"
    )
    log = find_log(
        world.home_battery_logs.get(battery.id, []),
        lambda x: x.sampled_at,
        request.match_info["sampled_at"],
    )
    return json_response(renderer(request).home_battery_log(log, expand(request)))


# ------------------------------------------------------------- HEM systems
@routes.get("/v2/hem_systems")
@endpoint(scopes=("home_energy:read",))
async def list_hem_systems(request: web.Request) -> web.Response:
    """List HEM systems."""
    systems = visible(request, sim(request).state.hem_systems.values())
    render = renderer(request)
    return listing(request, systems, lambda h: h.id, render.hem_system)


@routes.get("/v2/hem_systems/{hem_system_id}")
@endpoint(scopes=("home_energy:read",))
async def get_hem_system(request: web.Request) -> web.Response:
    """Return one HEM system."""
    hem = owned(
        request, sim(request).state.hem_systems, request.match_info["hem_system_id"], "HEM system"
    )
    return json_response(renderer(request).hem_system(hem))


@routes.get("/v2/hem_systems/{hem_system_id}/live_power")
@endpoint(scopes=("home_energy:read",))
async def live_power(request: web.Request) -> web.Response:
    """Return the home's power flows now."""
    simulator = sim(request)
    hem = owned(
        request, simulator.state.hem_systems, request.match_info["hem_system_id"], "HEM system"
    )
    now = simulator.clock.now()
    power = simulator.engine.live_power(hem.user_id, now)
    flows = split_flows(power["generation"], power["consumption"], power["battery"])
    batteries = [b for b in simulator.state.home_batteries.values() if b.user_id == hem.user_id]
    soc = (
        round(100 * batteries[0].charge_level_watt_hours / batteries[0].capacity_watt_hours)
        if batteries
        else None
    )
    body: dict[str, object] = {"sampled_at": iso(now)}
    body.update({f"{name}_watts": value for name, value in flows.items()})
    body["battery_state_of_charge_percentage"] = soc
    return json_response(body)


class _History:
    """The home's past power, from the status logs, looked up by time (built once per request)."""

    def __init__(self, world: World, seed: int, user_id: str, routine: Routine) -> None:
        self.seed = seed
        # The sun and the house follow the (possibly compressed) routine, as in the engine.
        self.routine = routine
        self.latitude = world.users[user_id].latitude
        self.capacities = [
            a.capacity_watts for a in world.solar_arrays.values() if a.user_id == user_id
        ]
        self.chargers = [
            ([log.sampled_at for log in logs], [log.charge_rate_watts or 0 for log in logs])
            for evse_id, logs in world.evse_logs.items()
            if evse_id in world.evses and world.evses[evse_id].user_id == user_id
        ]
        self.batteries = [
            ([log.sampled_at for log in logs], [log.charge_rate_watts or 0 for log in logs])
            for battery_id, logs in world.home_battery_logs.items()
            if battery_id in world.home_batteries
            and world.home_batteries[battery_id].user_id == user_id
        ]

    @staticmethod
    def _at(series: list[tuple[list[datetime], list[int]]], when: datetime) -> int:
        total = 0
        for times, values in series:
            index = bisect_right(times, when) - 1
            if index >= 0:
                total += values[index]
        return total

    def flows(self, when: datetime) -> dict[str, int]:
        """Return the flows (W) at a past instant."""
        routine_when = self.routine.to_routine(when)
        generation = sum(
            env.solar_power_watts(self.seed, routine_when, capacity, self.latitude)
            for capacity in self.capacities
        )
        consumption = env.house_load_watts(self.seed, routine_when) + self._at(self.chargers, when)
        return split_flows(generation, consumption, self._at(self.batteries, when))


def _stats_window(request: web.Request) -> tuple[datetime, datetime, str, timedelta]:
    resolution = request.query.get("resolution", "PT30M")
    start, end = time_param(request, "start"), time_param(request, "end")
    errors: dict[str, list[str]] = {}
    if resolution not in RESOLUTIONS:
        errors["resolution"] = ["Must be one of PT30M, P1D, P1M."]
    if start is None:
        errors["start"] = ["This field is required."]
    if end is None:
        errors["end"] = ["This field is required."]
    if errors or start is None or end is None:
        raise ProblemError(
            400,
            "invalid-parameters",
            "Invalid query parameter",
            "Bad energy_stats window.",
            field_errors=errors,
        )
    step, longest = RESOLUTIONS[resolution]
    aligned = start.minute % 30 == 0 and start.second == 0 and start.microsecond == 0
    if resolution != "PT30M":
        aligned = aligned and start.hour == 0 and start.minute == 0
    if not start < end or end - start > longest or not aligned:
        raise ProblemError(
            400,
            "invalid-parameters",
            "Invalid query parameter",
            "start must be aligned to the resolution and before end, within the maximum window.",
            field_errors={"start": ["Invalid window."]},
        )
    return start, end, resolution, step


@routes.get("/v2/hem_systems/{hem_system_id}/energy_stats")
@endpoint(scopes=("home_energy:read",))
async def energy_stats(request: web.Request) -> web.Response:
    """Return energy (Wh) per bucket, integrated from the simulated history."""
    simulator = sim(request)
    hem = owned(
        request, simulator.state.hem_systems, request.match_info["hem_system_id"], "HEM system"
    )
    start, end, resolution, step = _stats_window(request)
    now = simulator.clock.now()
    sample = timedelta(minutes=5) if resolution == "PT30M" else timedelta(minutes=30)
    history = _History(simulator.state, simulator.seed, hem.user_id, simulator.engine.routine)
    buckets = []
    period_start = start
    while period_start < end:
        period_end = min(end, _next_period(period_start, resolution, step))
        totals: dict[str, float] | None = None
        if period_end <= now:
            totals = dict.fromkeys(FLOW_NAMES, 0.0)
            when = period_start
            while when < period_end:
                flows = history.flows(when)
                for name in FLOW_NAMES:
                    totals[name] += flows[name] * sample.total_seconds() / 3600
                when += sample
        bucket: dict[str, object] = {
            "period_start": iso(period_start),
            "period_end": iso(period_end),
        }
        for name in FLOW_NAMES:
            bucket[f"{name}_wh"] = round(totals[name]) if totals is not None else None
        bucket["avg_battery_state_of_charge_percentage"] = None
        buckets.append(bucket)
        period_start = period_end
    return json_response(
        {"resolution": resolution, "start": iso(start), "end": iso(end), "buckets": buckets}
    )


def _next_period(start: datetime, resolution: str, step: timedelta) -> datetime:
    if resolution != "P1M":
        return start + step
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1, day=1)
    return start.replace(month=start.month + 1, day=1)


# --------------------------------------------------------- boundary meters
@routes.get("/v2/boundary_meters")
@endpoint(scopes=("boundary_meter:read",), expand=DEVICE_EXPAND)
async def list_boundary_meters(request: web.Request) -> web.Response:
    """List grid boundary meters."""
    meters = visible(request, sim(request).state.boundary_meters.values())
    render, exp = renderer(request), expand(request)
    return listing(request, meters, lambda m: m.id, lambda m: render.boundary_meter(m, exp))


@routes.get("/v2/boundary_meters/{boundary_meter_id}")
@endpoint(scopes=("boundary_meter:read",), expand=DEVICE_EXPAND)
async def get_boundary_meter(request: web.Request) -> web.Response:
    """Return one boundary meter."""
    meter = owned(
        request,
        sim(request).state.boundary_meters,
        request.match_info["boundary_meter_id"],
        "boundary meter",
    )
    return json_response(renderer(request).boundary_meter(meter, expand(request)))


@routes.get("/v2/boundary_meters/{boundary_meter_id}/status_logs")
@endpoint(scopes=("boundary_meter:read",))
async def list_boundary_meter_logs(request: web.Request) -> web.Response:
    """List a boundary meter's status logs, newest first."""
    world = sim(request).state
    meter = owned(
        request, world.boundary_meters, request.match_info["boundary_meter_id"], "boundary meter"
    )
    logs = log_window(request, world.boundary_meter_logs.get(meter.id, []), lambda x: x.sampled_at)
    render = renderer(request)
    return listing(request, logs, log_cursor(lambda log: log.sampled_at), render.boundary_meter_log)
