"""``/v2/evses`` and ``/v2/evse_sites``."""

from __future__ import annotations

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.problems import validation_failed

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
EVSE_EXPAND = ("user", "model", "model.make", "latest_status_log", "ct_clamp")
LOG_EXPAND = ("evse", "evse.model", "evse.model.make", "evse.user")


@routes.get("/v2/evses")
@endpoint(scopes=("evse:read",), expand=EVSE_EXPAND)
async def list_evses(request: web.Request) -> web.Response:
    """List chargers (filter ``cpid``)."""
    evses = visible(request, sim(request).state.evses.values())
    cpid = request.query.get("cpid")
    if cpid is not None:
        evses = [e for e in evses if e.cpid == cpid]
    render, exp = renderer(request), expand(request)
    return listing(request, evses, lambda e: e.id, lambda e: render.evse(e, exp))


@routes.get("/v2/evses/{evse_id}")
@endpoint(scopes=("evse:read",), expand=EVSE_EXPAND)
async def get_evse(request: web.Request) -> web.Response:
    """Return one charger."""
    evse = owned(request, sim(request).state.evses, request.match_info["evse_id"], "EVSE")
    return json_response(renderer(request).evse(evse, expand(request)))


@routes.patch("/v2/evses/{evse_id}")
@endpoint(scopes=("evse:write",), expand=EVSE_EXPAND)
async def patch_evse(request: web.Request) -> web.Response:
    """Update a charger; only ``location`` is writable."""
    evse = owned(request, sim(request).state.evses, request.match_info["evse_id"], "EVSE")
    body = await json_body(request, "validation-failed-update-evse")
    if "location" in body:
        location = body["location"]
        try:
            evse.latitude = float(location["latitude"])
            evse.longitude = float(location["longitude"])
        except (TypeError, KeyError, ValueError):
            raise validation_failed(
                "validation-failed-update-evse",
                {"location": ["Expected an object with latitude and longitude."]},
            ) from None
    return json_response(renderer(request).evse(evse, expand(request)))


@routes.get("/v2/evses/{evse_id}/status_logs")
@endpoint(scopes=("evse:read",), expand=LOG_EXPAND)
async def list_evse_logs(request: web.Request) -> web.Response:
    """List a charger's status logs, newest first, filtered by ``sampled_at``."""
    world = sim(request).state
    evse = owned(request, world.evses, request.match_info["evse_id"], "EVSE")
    logs = log_window(request, world.evse_logs.get(evse.id, []), lambda log: log.sampled_at)
    render, exp = renderer(request), expand(request)
    cursor = log_cursor(lambda log: log.sampled_at)
    return listing(request, logs, cursor, lambda log: render.evse_log(log, exp))


@routes.get("/v2/evses/{evse_id}/status_logs/{sampled_at}")
@endpoint(scopes=("evse:read",), expand=LOG_EXPAND)
async def get_evse_log(request: web.Request) -> web.Response:
    """Return the status log sampled at exactly ``sampled_at``."""
    world = sim(request).state
    evse = owned(request, world.evses, request.match_info["evse_id"], "EVSE")
    log = find_log(
        world.evse_logs.get(evse.id, []), lambda x: x.sampled_at, request.match_info["sampled_at"]
    )
    return json_response(renderer(request).evse_log(log, expand(request)))


@routes.get("/v2/evses/{evse_id}/connectivity")
@endpoint(scopes=("evse:read",), expand=("latest_status_log",))
async def get_connectivity(request: web.Request) -> web.Response:
    """Return the charger's connectivity summary."""
    world = sim(request).state
    evse = owned(request, world.evses, request.match_info["evse_id"], "EVSE")
    render = renderer(request)
    logs = world.evse_logs.get(evse.id, [])
    latest: object = None
    if logs:
        latest = (
            render.evse_log(logs[-1])
            if "latest_status_log" in expand(request)
            else render.evse_log_url(logs[-1])
        )
    week = [log.signal_strength_rssi_dbm for log in logs[-2016:] if log.signal_strength_rssi_dbm]
    return json_response(
        {
            "signal_strength_rssi_dbm": logs[-1].signal_strength_rssi_dbm if logs else None,
            "lowest_signal_strength_rssi_dbm_7d": min(week) if week else None,
            "highest_signal_strength_rssi_dbm_7d": max(week) if week else None,
            "connection_reliability_30d": 100 if evse.reachable else 62,
            "ip_address": evse.ip_address,
            "iccid": evse.iccid,
            "firmware_version": evse.firmware_version,
            "latest_status_log": latest,
        }
    )


@routes.get("/v2/evse_sites")
@endpoint(scopes=("site:read",))
async def list_sites(request: web.Request) -> web.Response:
    """List charger sites."""
    sites = visible(request, sim(request).state.evse_sites.values())
    render = renderer(request)
    return listing(request, sites, lambda s: s.id, render.evse_site)


@routes.get("/v2/evse_sites/{evse_site_id}")
@endpoint(scopes=("site:read",))
async def get_site(request: web.Request) -> web.Response:
    """Return one charger site."""
    site = owned(
        request, sim(request).state.evse_sites, request.match_info["evse_site_id"], "EVSE site"
    )
    return json_response(renderer(request).evse_site(site))
