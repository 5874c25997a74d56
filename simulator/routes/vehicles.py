"""``/v2/vehicles`` and their status logs, state of charge and reconnect link."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.problems import validation_failed
from simulator.timeutil import iso
from simulator.world import Vehicle

from .common import (
    expand,
    find_log,
    json_body,
    listing,
    log_cursor,
    log_window,
    owned,
    renderer,
    sim,
    visible,
)

routes = web.RouteTableDef()
VEHICLE_EXPAND = ("user", "trim", "trim.model", "trim.model.make", "latest_status_log")
LOG_EXPAND = (
    "vehicle",
    "vehicle.trim",
    "vehicle.trim.model",
    "vehicle.trim.model.make",
    "vehicle.user",
)
VEHICLE_CLASSES = ("PASSENGER", "COMMERCIAL", None)
PATCH_SLUG = "validation-failed-update-vehicle"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@routes.get("/v2/vehicles")
@endpoint(scopes=("vehicle:read",), expand=VEHICLE_EXPAND)
async def list_vehicles(request: web.Request) -> web.Response:
    """List cars."""
    vehicles = visible(request, sim(request).state.vehicles.values())
    render, exp = renderer(request), expand(request)
    return listing(request, vehicles, lambda v: v.id, lambda v: render.vehicle(v, exp))


@routes.get("/v2/vehicles/{vehicle_id}")
@endpoint(scopes=("vehicle:read",), expand=VEHICLE_EXPAND)
async def get_vehicle(request: web.Request) -> web.Response:
    """Return one car."""
    vehicle = _vehicle(request)
    return json_response(renderer(request).vehicle(vehicle, expand(request)))


def _vehicle(request: web.Request) -> Vehicle:
    return owned(request, sim(request).state.vehicles, request.match_info["vehicle_id"], "vehicle")


def _validate_patch(vehicle: Vehicle, body: dict[str, object]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "maximum_charge_limit_percentage" in body:
        value = body["maximum_charge_limit_percentage"]
        if not _is_int(value) or not 50 <= value <= 100:  # type: ignore[operator]
            errors["maximum_charge_limit_percentage"] = ["Ensure this value is between 50 and 100."]
    if "smart_charging_enabled" in body and not isinstance(body["smart_charging_enabled"], bool):
        errors["smart_charging_enabled"] = ["Must be a valid boolean."]
    if "vehicle_class" in body and body["vehicle_class"] not in VEHICLE_CLASSES:
        errors["vehicle_class"] = [f'"{body["vehicle_class"]}" is not a valid choice.']
    if "battery_size_watt_hours" in body:
        value = body["battery_size_watt_hours"]
        if vehicle.integrated != "UNINTEGRATED":
            errors["battery_size_watt_hours"] = [
                "The battery size of an integrated vehicle cannot be changed."
            ]
        elif not _is_int(value) or not 1000 <= value <= 300000:  # type: ignore[operator]
            errors["battery_size_watt_hours"] = ["Ensure this value is between 1000 and 300000."]
    return errors


@routes.patch("/v2/vehicles/{vehicle_id}")
@endpoint(scopes=("vehicle:write",), expand=VEHICLE_EXPAND)
async def patch_vehicle(request: web.Request) -> web.Response:
    """Partially update a car: charge limit, smart charging, class, battery size."""
    vehicle = _vehicle(request)
    body = await json_body(request, PATCH_SLUG)
    errors = _validate_patch(vehicle, body)
    if errors:
        raise validation_failed(PATCH_SLUG, errors)
    if "maximum_charge_limit_percentage" in body:
        vehicle.maximum_charge_limit_percentage = int(body["maximum_charge_limit_percentage"])
    if "smart_charging_enabled" in body:
        vehicle.smart_charging_enabled = bool(body["smart_charging_enabled"])
    if "vehicle_class" in body:
        vehicle.vehicle_class = body["vehicle_class"]
    if "battery_size_watt_hours" in body:
        size = round(int(body["battery_size_watt_hours"]) / 10) * 10
        level = vehicle.state_of_charge_percentage
        vehicle.battery_size_watt_hours = size
        vehicle.charge_level_watt_hours = size * level / 100
    sim(request).engine.vehicle_settings_changed(vehicle)
    return json_response(renderer(request).vehicle(vehicle, expand(request)))


@routes.get("/v2/vehicles/{vehicle_id}/status_logs")
@endpoint(scopes=("vehicle:read",), expand=LOG_EXPAND)
async def list_vehicle_logs(request: web.Request) -> web.Response:
    """List a car's status logs, newest first, filtered by ``sampled_at``."""
    vehicle = _vehicle(request)
    logs = log_window(
        request, sim(request).state.vehicle_logs.get(vehicle.id, []), lambda x: x.sampled_at
    )
    render, exp = renderer(request), expand(request)
    cursor = log_cursor(lambda log: log.sampled_at)
    return listing(request, logs, cursor, lambda log: render.vehicle_log(log, exp))


@routes.get("/v2/vehicles/{vehicle_id}/status_logs/{sampled_at}")
@endpoint(scopes=("vehicle:read",), expand=LOG_EXPAND)
async def get_vehicle_log(request: web.Request) -> web.Response:
    """Return the car status log sampled at exactly ``sampled_at``."""
    vehicle = _vehicle(request)
    log = find_log(
        sim(request).state.vehicle_logs.get(vehicle.id, []),
        lambda x: x.sampled_at,
        request.match_info["sampled_at"],
    )
    return json_response(renderer(request).vehicle_log(log, expand(request)))


@routes.get("/v2/vehicles/{vehicle_id}/state_of_charge")
@endpoint(scopes=("vehicle:read",))
async def get_state_of_charge(request: web.Request) -> web.Response:
    """Return the car's state of charge (manual or connected)."""
    return json_response(renderer(request).state_of_charge(_vehicle(request)))


@routes.patch("/v2/vehicles/{vehicle_id}/state_of_charge")
@endpoint(scopes=("vehicle:write",))
async def patch_state_of_charge(request: web.Request) -> web.Response:
    """Set (or clear with null) a manual state of charge."""
    vehicle = _vehicle(request)
    slug = "validation-failed-update-vehicle-state-of-charge"
    body = await json_body(request, slug)
    value = body.get("state_of_charge_percentage")
    if value is not None and (not _is_int(value) or not 0 <= value <= 100):
        raise validation_failed(
            slug, {"state_of_charge_percentage": ["Ensure this value is between 0 and 100."]}
        )
    vehicle.manual_state_of_charge_percentage = value
    vehicle.manual_state_of_charge_updated_at = (
        sim(request).clock.now() if value is not None else None
    )
    return json_response(renderer(request).state_of_charge(vehicle))


@routes.post("/v2/vehicles/{vehicle_id}/reconnect")
@endpoint()
async def reconnect(request: web.Request) -> web.Response:
    """Return a link where the user re-authorises the car's telematics."""
    vehicle = _vehicle(request)
    expires = sim(request).clock.now() + timedelta(hours=1)
    url = f"{renderer(request).base.removesuffix('/v2')}/_reconnect/{vehicle.id}"
    return json_response({"url": url, "expires_at": iso(expires)}, status=201)
