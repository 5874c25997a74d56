"""Notifications, the webhook portal (link and HTML page) and the car reconnect page."""

from __future__ import annotations

from html import escape

from aiohttp import web

from simulator.context import endpoint, json_response, request_origin
from simulator.problems import validation_failed
from simulator.timeutil import parse_iso
from simulator.world import Notification

from .common import json_body, listing, owned, renderer, sim, visible

routes = web.RouteTableDef()


@routes.get("/v2/webhook_portal")
@endpoint()
async def webhook_portal(request: web.Request) -> web.Response:
    """Return a link to the page where webhook endpoints are added."""
    simulator = sim(request)
    if not simulator.origin:
        simulator.origin = request_origin(request)
    return json_response({"url": simulator.new_portal_link()})


def _portal_page(request: web.Request, message: str = "") -> web.Response:
    simulator = sim(request)
    rows = "".join(
        f"<li><code>{escape(ep.url)}</code></li>" for ep in simulator.webhooks.endpoints.values()
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Webhooks</title></head><body>"
        f"<h1>Webhook endpoints</h1>{message}<ul>{rows}</ul>"
        "<form method='post'><label>Endpoint URL <input name='url' type='url' required></label>"
        "<button type='submit'>Add endpoint</button></form></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def _check_portal_token(request: web.Request) -> None:
    if request.match_info["token"] not in sim(request).portal_tokens:
        raise web.HTTPNotFound(text="This portal link is not valid.")


@routes.get("/_portal/{token}")
async def portal(request: web.Request) -> web.Response:
    """Show the registered endpoints and a form to add one."""
    _check_portal_token(request)
    return _portal_page(request)


@routes.post("/_portal/{token}")
async def portal_add(request: web.Request) -> web.Response:
    """Register an endpoint and show its signing secret."""
    _check_portal_token(request)
    form = await request.post()
    url = str(form.get("url", "")).strip()
    if not url.startswith(("http://", "https://")):
        return _portal_page(request, "<p>Enter an http(s) URL.</p>")
    secret = sim(request).register_webhook(url)
    message = f"<p>Signing secret for {escape(url)}: <code id='secret'>{escape(secret)}</code></p>"
    return _portal_page(request, message)


@routes.get("/_reconnect/{vehicle_id}")
async def reconnect_page(request: web.Request) -> web.Response:
    """Pretend to be the car maker's consent page: reconnecting makes the car ACTIVE."""
    vehicle = sim(request).state.vehicles.get(request.match_info["vehicle_id"])
    if vehicle is None:
        raise web.HTTPNotFound
    if vehicle.integrated == "INACTIVE":
        vehicle.integrated = "ACTIVE"
    return web.Response(text="<p>Your car is connected.</p>", content_type="text/html")


@routes.get("/v2/notifications")
@endpoint()
async def list_notifications(request: web.Request) -> web.Response:
    """List the user's notifications, newest first."""
    notes = visible(request, sim(request).state.notifications.values())
    notes.sort(key=lambda n: (n.event_time, n.id), reverse=True)
    render = renderer(request)
    return listing(request, notes, lambda n: n.id, render.notification)


def _notification(request: web.Request) -> Notification:
    return owned(
        request,
        sim(request).state.notifications,
        request.match_info["notification_id"],
        "notification",
    )


@routes.get("/v2/notifications/{notification_id}")
@endpoint()
async def get_notification(request: web.Request) -> web.Response:
    """Return one notification."""
    return json_response(renderer(request).notification(_notification(request)))


@routes.patch("/v2/notifications/{notification_id}")
@endpoint()
async def patch_notification(request: web.Request) -> web.Response:
    """Mark a notification read (``read_at``).

    The spec's 200 schema wraps the result as ``{"Notification": {...}}``; we follow it.
    """
    note = _notification(request)
    slug = "validation-failed-update-notification"
    body = await json_body(request, slug)
    if "read_at" in body:
        try:
            note.read_at = parse_iso(str(body["read_at"]))
        except ValueError:
            raise validation_failed(slug, {"read_at": ["Enter a valid date/time."]}) from None
    return json_response({"Notification": renderer(request).notification(note)})
