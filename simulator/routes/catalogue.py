"""Charger and car catalogues: makes, models, trims."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.problems import not_found

from .common import expand, listing, renderer, sim

routes = web.RouteTableDef()


def _get[T](mapping: Mapping[str, T], key: str, what: str) -> T:
    if key not in mapping:
        raise not_found(what)
    return mapping[key]


@routes.get("/v2/evse_makes")
@endpoint(scopes=None)
async def list_evse_makes(request: web.Request) -> web.Response:
    """List charger makes."""
    render = renderer(request)
    makes = list(sim(request).state.evse_makes.values())
    return listing(request, makes, lambda m: m.id, render.evse_make)


@routes.get("/v2/evse_makes/{evse_make_id}")
@endpoint(scopes=None)
async def get_evse_make(request: web.Request) -> web.Response:
    """Return one charger make."""
    make = _get(sim(request).state.evse_makes, request.match_info["evse_make_id"], "EVSE make")
    return json_response(renderer(request).evse_make(make))


@routes.get("/v2/evse_models")
@endpoint(scopes=None, expand=("make",))
async def list_evse_models(request: web.Request) -> web.Response:
    """List charger models (filter ``make_id``)."""
    models = list(sim(request).state.evse_models.values())
    make_id = request.query.get("make_id")
    if make_id is not None:
        models = [m for m in models if m.make_id == make_id]
    render, exp = renderer(request), expand(request)
    return listing(request, models, lambda m: m.id, lambda m: render.evse_model(m, exp))


@routes.get("/v2/evse_models/{evse_model_id}")
@endpoint(scopes=None, expand=("make",))
async def get_evse_model(request: web.Request) -> web.Response:
    """Return one charger model."""
    model = _get(sim(request).state.evse_models, request.match_info["evse_model_id"], "EVSE model")
    return json_response(renderer(request).evse_model(model, expand(request)))


@routes.get("/v2/vehicle_trims")
@endpoint(scopes=("vehicle:read",), expand=("model", "model.make"))
async def list_vehicle_trims(request: web.Request) -> web.Response:
    """List car trims (filter ``model_id``, order by ``name``)."""
    trims = list(sim(request).state.vehicle_trims.values())
    model_id = request.query.get("model_id")
    if model_id is not None:
        trims = [t for t in trims if t.model_id == model_id]
    ordering = request.query.get("ordering")
    if ordering in ("name", "-name"):
        trims.sort(key=lambda t: t.name, reverse=ordering == "-name")
    render, exp = renderer(request), expand(request)
    return listing(request, trims, lambda t: t.id, lambda t: render.vehicle_trim(t, exp))


@routes.get("/v2/vehicle_trims/{vehicle_trim_id}")
@endpoint(scopes=("vehicle:read",), expand=("model", "model.make"))
async def get_vehicle_trim(request: web.Request) -> web.Response:
    """Return one car trim."""
    trim = _get(
        sim(request).state.vehicle_trims, request.match_info["vehicle_trim_id"], "vehicle trim"
    )
    return json_response(renderer(request).vehicle_trim(trim, expand(request)))


@routes.get("/v2/vehicle_models")
@endpoint(scopes=None, expand=("make",))
async def list_vehicle_models(request: web.Request) -> web.Response:
    """List car models (filter ``make_id``)."""
    models = list(sim(request).state.vehicle_models.values())
    make_id = request.query.get("make_id")
    if make_id is not None:
        models = [m for m in models if m.make_id == make_id]
    render, exp = renderer(request), expand(request)
    return listing(request, models, lambda m: m.id, lambda m: render.vehicle_model(m, exp))


@routes.get("/v2/vehicle_models/{vehicle_model_id}")
@endpoint(scopes=None, expand=("make",))
async def get_vehicle_model(request: web.Request) -> web.Response:
    """Return one car model."""
    model = _get(
        sim(request).state.vehicle_models, request.match_info["vehicle_model_id"], "vehicle model"
    )
    return json_response(renderer(request).vehicle_model(model, expand(request)))


@routes.get("/v2/vehicle_makes")
@endpoint(scopes=None)
async def list_vehicle_makes(request: web.Request) -> web.Response:
    """List car makes."""
    render = renderer(request)
    makes = list(sim(request).state.vehicle_makes.values())
    return listing(request, makes, lambda m: m.id, render.vehicle_make)


@routes.get("/v2/vehicle_makes/{vehicle_make_id}")
@endpoint(scopes=None)
async def get_vehicle_make(request: web.Request) -> web.Response:
    """Return one car make."""
    make = _get(
        sim(request).state.vehicle_makes, request.match_info["vehicle_make_id"], "vehicle make"
    )
    return json_response(renderer(request).vehicle_make(make))
