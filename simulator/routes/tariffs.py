"""Tariffs, prices and carbon intensity."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from simulator import environment as env
from simulator.context import endpoint, json_response, request_origin
from simulator.pagination import paginate_by_number
from simulator.problems import not_found

from .common import expand, listing, renderer, sim, time_param

routes = web.RouteTableDef()


def _slots(since: datetime, until: datetime) -> list[datetime]:
    slots = []
    slot = env.slot_start(since)
    if slot < since:
        slot += env.HALF_HOUR
    while slot <= until:
        slots.append(slot)
        slot += env.HALF_HOUR
    return slots


def _today(request: web.Request) -> datetime:
    now = sim(request).clock.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@routes.get("/v2/tariffs/{tariff_id}")
@endpoint(scopes=("tariff:read",), expand=("supplier", "scheduler_tariff", "prices"))
async def get_tariff(request: web.Request) -> web.Response:
    """Return a tariff with its current price."""
    tariff = sim(request).state.tariffs.get(request.match_info["tariff_id"])
    if tariff is None:
        raise not_found("tariff")
    render = renderer(request)
    body = render.tariff_detail(tariff, expand(request))
    if "prices" in expand(request):
        day = _today(request)
        body["prices"] = [
            render.price(s) for s in _slots(day, day + timedelta(hours=23, minutes=30))
        ]
    return json_response(body)


@routes.get("/v2/tariffs/{tariff_id}/prices")
@endpoint(scopes=("tariff:read", "tariff:prices:read"))
async def list_prices(request: web.Request) -> web.Response:
    """List half-hourly prices (default: today and tomorrow), newest first as the spec orders them, by page number."""
    if request.match_info["tariff_id"] not in sim(request).state.tariffs:
        raise not_found("tariff")
    day = _today(request)
    since = time_param(request, "started_at__gte") or day
    until = time_param(request, "started_at__lte") or day + timedelta(days=2) - env.HALF_HOUR
    render = renderer(request)
    slots = list(reversed(_slots(since, until)))
    page = paginate_by_number(request, request_origin(request), slots)
    return json_response([render.price(s) for s in page.items], link=page.link)


@routes.get("/v2/carbon_feeds")
@endpoint(scopes=("carbon:read",))
async def list_carbon_feeds(request: web.Request) -> web.Response:
    """List carbon intensity feeds."""
    render = renderer(request)
    feeds = list(sim(request).state.carbon_feeds.values())
    return listing(request, feeds, lambda f: f.id, render.carbon_feed)


@routes.get("/v2/carbon_feeds/{carbon_feed_id}")
@endpoint(scopes=("carbon:read",))
async def get_carbon_feed(request: web.Request) -> web.Response:
    """Return one carbon feed."""
    feed = sim(request).state.carbon_feeds.get(request.match_info["carbon_feed_id"])
    if feed is None:
        raise not_found("carbon feed")
    render = renderer(request)
    return json_response(
        {"id": feed.id, "url": render.url("carbon_feeds", feed.id), "name": feed.name}
    )


@routes.get("/v2/carbon_feeds/{carbon_feed_id}/carbon_intensities")
@endpoint(scopes=("carbon:read",), expand=("carbon_feed",))
async def list_carbon_intensities(request: web.Request) -> web.Response:
    """Return half-hourly intensities (default: the last 24 h and the next 24 h), newest first.

    ``expand=carbon_feed`` is accepted (the spec lists it) but the response schema types
    ``carbon_feed`` as a URI only, so it stays a URL.
    """
    feed = sim(request).state.carbon_feeds.get(request.match_info["carbon_feed_id"])
    if feed is None:
        raise not_found("carbon feed")
    now = env.slot_start(sim(request).clock.now())
    since = time_param(request, "started_at__gte") or now - timedelta(hours=24)
    until = time_param(request, "started_at__lte") or now + timedelta(hours=24)
    render = renderer(request)
    slots = list(reversed(_slots(since, until)))
    page = paginate_by_number(request, request_origin(request), slots)
    body = {
        "url": render.url("carbon_feeds", feed.id, "carbon_intensities"),
        "carbon_feed": render.url("carbon_feeds", feed.id),
        "carbon_intensities": [render.carbon_intensity(s) for s in page.items],
    }
    return json_response(body, link=page.link)


@routes.get("/v2/grid_feeds")
@endpoint(scopes=("grid:read",))
async def list_grid_feeds(request: web.Request) -> web.Response:
    """List grid feeds."""
    render = renderer(request)
    feeds = list(sim(request).state.grid_feeds.values())
    return listing(request, feeds, lambda f: f.id, render.grid_feed)


@routes.get("/v2/grid_feeds/{grid_feed_id}")
@endpoint(scopes=("grid:read",))
async def get_grid_feed(request: web.Request) -> web.Response:
    """Return one grid feed."""
    feed = sim(request).state.grid_feeds.get(request.match_info["grid_feed_id"])
    if feed is None:
        raise not_found("grid feed")
    return json_response(renderer(request).grid_feed(feed))
