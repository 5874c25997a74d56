"""``/v2/solar_forecasts`` and their forecast logs (computed by the engine, see ``Engine.solar_forecast``)."""

from __future__ import annotations

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.world import SolarForecast, SolarForecastLog

from .common import expand, find_log, listing, log_cursor, log_window, owned, renderer, sim, visible

routes = web.RouteTableDef()
SCOPES = ("solar_forecast:read",)
LOG_EXPAND = ("solar_forecast",)


def _forecast(request: web.Request) -> SolarForecast:
    forecasts = sim(request).state.solar_forecasts
    return owned(request, forecasts, request.match_info["solar_forecast_id"], "solar forecast")


def _logs(request: web.Request) -> list[SolarForecastLog]:
    """Return the forecast's periods as of now, oldest first."""
    simulator = sim(request)
    return simulator.engine.solar_forecast(_forecast(request), simulator.clock.now())


@routes.get("/v2/solar_forecasts")
@endpoint(scopes=SCOPES)
async def list_solar_forecasts(request: web.Request) -> web.Response:
    """List the solar forecasts of the caller's homes."""
    forecasts = visible(request, sim(request).state.solar_forecasts.values())
    return listing(request, forecasts, lambda f: f.id, renderer(request).solar_forecast)


@routes.get("/v2/solar_forecasts/{solar_forecast_id}")
@endpoint(scopes=SCOPES)
async def get_solar_forecast(request: web.Request) -> web.Response:
    """Return one solar forecast."""
    return json_response(renderer(request).solar_forecast(_forecast(request)))


@routes.get("/v2/solar_forecasts/{solar_forecast_id}/forecast_logs")
@endpoint(scopes=SCOPES, expand=LOG_EXPAND)
async def list_forecast_logs(request: web.Request) -> web.Response:
    """List the forecast's half-hours, the latest period first, filtered by ``started_at``."""
    logs = log_window(request, _logs(request), lambda x: x.started_at, "started_at")
    render, exp = renderer(request), expand(request)
    cursor = log_cursor(lambda log: log.started_at)
    return listing(request, logs, cursor, lambda log: render.solar_forecast_log(log, exp))


@routes.get("/v2/solar_forecasts/{solar_forecast_id}/forecast_logs/{valid_period_start}")
@endpoint(scopes=SCOPES, expand=LOG_EXPAND)
async def get_forecast_log(request: web.Request) -> web.Response:
    """Return the forecast for the period starting exactly at ``valid_period_start``."""
    raw = request.match_info["valid_period_start"]
    log = find_log(_logs(request), lambda x: x.started_at, raw, "forecast log")
    return json_response(renderer(request).solar_forecast_log(log, expand(request)))
