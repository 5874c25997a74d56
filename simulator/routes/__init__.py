"""HTTP routes: OAuth, the /v2 API, the webhook portal and the admin endpoint."""

from __future__ import annotations

from aiohttp import web

from . import (
    admin,
    catalogue,
    devices,
    energy,
    misc,
    oauth,
    sessions,
    solar_forecasts,
    tariffs,
    users,
    vehicles,
)

ROUTE_TABLES: list[web.RouteTableDef] = [
    oauth.routes,
    users.routes,
    devices.routes,
    vehicles.routes,
    catalogue.routes,
    energy.routes,
    solar_forecasts.routes,
    sessions.routes,
    tariffs.routes,
    misc.routes,
    admin.routes,
]
