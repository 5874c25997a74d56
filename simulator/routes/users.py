"""``/v2/`` (root) and ``/v2/users``."""

from __future__ import annotations

from aiohttp import web

from simulator.context import endpoint, json_response
from simulator.problems import validation_failed

from .common import expand, json_body, listing, owned, renderer, sim, visible

routes = web.RouteTableDef()
USER_EXPAND = (
    "default_location",
    "default_location.tariff",
    "default_location.tariff.supplier",
    "default_location.evse_site",
)
ROOT_COLLECTIONS = [
    "users",
    "carbon_feeds",
    "evses",
    "evse_models",
    "evse_makes",
    "vehicles",
    "vehicle_trims",
    "vehicle_models",
    "vehicle_makes",
    "suppliers",
    "tariffs",
    "support_tickets",
    "dispatch_coordinators",
    "grid_feeds",
]


@routes.get("/v2")
@routes.get("/v2/")
@endpoint(scopes=None)
async def root(request: web.Request) -> web.Response:
    """List the collection URLs."""
    render = renderer(request)
    return json_response({name: render.url(name) for name in ROOT_COLLECTIONS})


@routes.get("/v2/users")
@endpoint(scopes=("user:read",), expand=USER_EXPAND)
async def list_users(request: web.Request) -> web.Response:
    """List users (an authorization-code token sees only its user)."""
    users = visible(request, sim(request).state.users.values())
    email = request.query.get("email")
    if email is not None:
        users = [u for u in users if u.email.lower() == email.lower()]
    render, exp = renderer(request), expand(request)
    return listing(request, users, lambda u: u.id, lambda u: render.user(u, exp))


@routes.get("/v2/users/{user_id}")
@endpoint(scopes=("user:read",), expand=USER_EXPAND)
async def get_user(request: web.Request) -> web.Response:
    """Return a user with the LocationDetail (current carbon intensity)."""
    user = owned(request, sim(request).state.users, request.match_info["user_id"], "user")
    return json_response(renderer(request).user(user, expand(request), detail=True))


@routes.patch("/v2/users/{user_id}")
@endpoint(scopes=("user:write",), expand=USER_EXPAND)
async def patch_user(request: web.Request) -> web.Response:
    """Update a user; only ``default_location.tariff`` (a tariff URL or null) is writable."""
    user = owned(request, sim(request).state.users, request.match_info["user_id"], "user")
    body = await json_body(request, "validation-failed-update-user")
    location = body.get("default_location")
    world = sim(request).state
    if isinstance(location, dict) and "tariff" in location:
        tariff = location["tariff"]
        tariff_id = tariff.rstrip("/").rsplit("/", 1)[-1] if isinstance(tariff, str) else None
        if tariff is not None and tariff_id not in world.tariffs:
            raise validation_failed(
                "validation-failed-update-user",
                {"default_location.tariff": ["Invalid hyperlink - Object does not exist."]},
            )
        user.tariff_id = tariff_id
    elif location is not None and not isinstance(location, dict):
        raise validation_failed(
            "validation-failed-update-user", {"default_location": ["Expected an object."]}
        )
    return json_response(renderer(request).user(user, expand(request), detail=True))
