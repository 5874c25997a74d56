"""Charging sessions, sub-sessions, boost, energy usage and schedules."""

from __future__ import annotations

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.engine import ConflictError, UnreachableError
from simulator.problems import ProblemError, conflict
from simulator.world import ChargingSession, ChargingSubSession

from .common import (
    bool_param,
    expand,
    int_param,
    listing,
    owned,
    renderer,
    sim,
    time_param,
    visible,
)

routes = web.RouteTableDef()
SESSION_EXPAND = ("vehicle", "evse", "sub_sessions")
SUB_SESSION_EXPAND = [
    "evse",
    "evse.latest_status_log",
    "evse.model",
    "evse.model.make",
    "evse.user",
    "vehicle",
    "vehicle.latest_status_log",
    "vehicle.trim",
    "vehicle.trim.model",
    "vehicle.trim.model.make",
    "vehicle.user",
    "energy_usage",
    "schedules",
    "assessment",
    "flags",
    "debug_metadata",
    "tariff",
    "tariff.supplier",
    "carbon_feed",
    "grid_feeds",
]
MODES = ("SMART", "BOOST", "UNMANAGED_HOME", "UNMANAGED_OTG", "MANAGED_OTG")


def _newest_first[T: (ChargingSession, ChargingSubSession)](items: list[T]) -> list[T]:
    return sorted(items, key=lambda item: (item.start, item.id), reverse=True)


@routes.get("/v2/charging_sessions")
@endpoint(scopes=("charging_session:read",), expand=SESSION_EXPAND)
async def list_sessions(request: web.Request) -> web.Response:
    """List charging sessions, newest first."""
    sessions = _newest_first(visible(request, sim(request).state.sessions.values()))
    render, exp = renderer(request), expand(request)
    return listing(request, sessions, lambda s: s.id, lambda s: render.session(s, exp))


def _session(request: web.Request) -> ChargingSession:
    return owned(
        request,
        sim(request).state.sessions,
        request.match_info["charging_session_id"],
        "charging session",
    )


@routes.get("/v2/charging_sessions/{charging_session_id}")
@endpoint(scopes=("charging_session:read",), expand=SESSION_EXPAND)
async def get_session(request: web.Request) -> web.Response:
    """Return one charging session."""
    return json_response(renderer(request).session(_session(request), expand(request)))


async def _command(request: web.Request, start: bool) -> web.Response:
    session = _session(request)
    engine = sim(request).engine
    try:
        if start:
            engine.boost_start(session.id)
        else:
            engine.boost_end(session.id)
    except ConflictError as err:
        raise conflict(str(err)) from None
    except UnreachableError as err:
        raise ProblemError(503, "service-unavailable", "Service Unavailable", str(err)) from None
    return json_response(renderer(request).session(session))


@routes.post("/v2/charging_sessions/{charging_session_id}/boost_start")
@endpoint(scopes=("charging_session:write",))
async def boost_start(request: web.Request) -> web.Response:
    """Start boosting: charge now regardless of the schedule."""
    return await _command(request, start=True)


@routes.post("/v2/charging_sessions/{charging_session_id}/boost_end")
@endpoint(scopes=("charging_session:write",))
async def boost_end(request: web.Request) -> web.Response:
    """Stop boosting: back to smart charging."""
    return await _command(request, start=False)


def _filter_sub_sessions(
    request: web.Request, subs: list[ChargingSubSession]
) -> list[ChargingSubSession]:
    query = request.query
    mode = query.get("mode")
    if mode is not None and mode not in MODES:
        raise ProblemError(
            400,
            "invalid-parameters",
            "Invalid query parameter",
            f"Invalid value for mode: {mode}",
            field_errors={
                "mode": [f"Select a valid choice. {mode} is not one of the available choices."]
            },
        )
    energy_gte = int_param(request, "energy_delivered_watt_hours__gte")
    energy_lte = int_param(request, "energy_delivered_watt_hours__lte")
    finished = bool_param(request, "is_finished")
    start_gt, start_lt = time_param(request, "start__gt"), time_param(request, "start__lt")
    end_gt, end_lt = time_param(request, "end__gt"), time_param(request, "end__lt")

    def keep(sub: ChargingSubSession) -> bool:
        energy = sub.energy_delivered_watt_hours
        checks = [
            "evse_id" not in query or sub.evse_id == query["evse_id"],
            "vehicle_id" not in query or sub.vehicle_id == query["vehicle_id"],
            "user_id" not in query or sub.user_id == query["user_id"],
            mode is None or sub.mode == mode,
            energy_gte is None or energy >= energy_gte,
            energy_lte is None or energy <= energy_lte,
            finished is None or (sub.end is not None) == finished,
            start_gt is None or sub.start > start_gt,
            start_lt is None or sub.start < start_lt,
            end_gt is None or (sub.end is not None and sub.end > end_gt),
            end_lt is None or (sub.end is not None and sub.end < end_lt),
        ]
        return all(checks)

    return [sub for sub in subs if keep(sub)]


@routes.get("/v2/charging_sub_sessions")
@endpoint(scopes=("charging_session:read",), expand=SUB_SESSION_EXPAND)
async def list_sub_sessions(request: web.Request) -> web.Response:
    """List sub-sessions, newest first, with the spec's filters."""
    subs = visible(request, sim(request).state.sub_sessions.values())
    subs = _newest_first(_filter_sub_sessions(request, subs))
    render, exp = renderer(request), expand(request)
    return listing(request, subs, lambda s: s.id, lambda s: render.sub_session(s, exp))


def _sub(request: web.Request) -> ChargingSubSession:
    return owned(
        request,
        sim(request).state.sub_sessions,
        request.match_info["charging_sub_session_id"],
        "charging sub-session",
    )


@routes.get("/v2/charging_sub_sessions/{charging_sub_session_id}")
@endpoint(scopes=("charging_session:read",), expand=SUB_SESSION_EXPAND)
async def get_sub_session(request: web.Request) -> web.Response:
    """Return one sub-session."""
    return json_response(renderer(request).sub_session(_sub(request), expand(request)))


@routes.get("/v2/charging_sub_sessions/{charging_sub_session_id}/energy_usage")
@endpoint(scopes=("charging_session:read",), expand=("charging_sub_session",))
async def get_energy_usage(request: web.Request) -> web.Response:
    """Return when the sub-session's energy flowed, per half hour.

    ``expand=charging_sub_session`` is accepted (the spec lists it) but EnergyUsage types
    ``charging_sub_session`` as a URI only, so it stays a URL.
    """
    sub = _sub(request)
    threshold = int_param(request, "energy_delivered_watt_hours__gt")
    return json_response(renderer(request).energy_usage(sub, threshold))


@routes.get("/v2/charging_sub_sessions/{charging_sub_session_id}/schedules")
@endpoint(scopes=("chargingsession:read",), expand=("charging_sub_session",))
async def get_schedules(request: web.Request) -> web.Response:
    """Return the sub-session's charging schedule."""
    sub = _sub(request)
    render = renderer(request)
    body = render.schedules(
        sub, time_param(request, "started_at__gte"), time_param(request, "started_at__lte")
    )
    if "charging_sub_session" in expand(request):
        body["charging_sub_session"] = render.sub_session(sub)
    return json_response(body)
