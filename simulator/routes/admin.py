"""``/_admin``: a control page and JSON controls (world, faults, time, tokens), loopback only."""

from __future__ import annotations

from dataclasses import asdict
import html
import ipaddress
import json
from typing import Any

from aiohttp import web

from simulator.context import simulator_of
from simulator.core import Simulator
from simulator.engine import ConflictError, UnreachableError
from simulator.timeutil import iso
from simulator.world import Vehicle

routes = web.RouteTableDef()
FAULTS = {
    "server_errors",
    "delay",
    "timeout",
    "malformed_json",
    "html_error",
    "rate_limit_now",
    "revoke_tokens",
    "null_field",
    "unknown_enum",
    "bad_value",
    "endless_pagination",
    "foreign_next_link",
    "malformed_next_link",
    "device_unreachable",
    "add_evse",
    "remove_evse",
    "add_vehicle",
    "remove_vehicle",
    "clear",
}


def _loopback_only(request: web.Request) -> None:
    try:
        loopback = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise web.HTTPForbidden(text="The admin endpoint only answers loopback clients.")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="Expected a JSON object.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="Expected a JSON object.")
    return body


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return iso(value)
    return value


@routes.get("/_admin/state")
async def state(request: web.Request) -> web.Response:
    """Summarise the world (as it is now: the page shows it live)."""
    _loopback_only(request)
    sim = simulator_of(request)
    sim.catch_up()
    return web.json_response(sim.describe())


@routes.post("/_admin/faults/{name}")
async def fault(request: web.Request) -> web.Response:
    """Call ``sim.faults.<name>(**body)``."""
    _loopback_only(request)
    name = request.match_info["name"]
    if name not in FAULTS:
        raise web.HTTPNotFound(text=f"Unknown fault {name!r}; choose from {sorted(FAULTS)}")
    method = getattr(simulator_of(request).faults, name)
    try:
        result = method(**await _body(request))
    except (TypeError, KeyError, ValueError) as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response({"ok": True, "result": _jsonable(result)})


@routes.post("/_admin/clock/advance")
async def advance(request: web.Request) -> web.Response:
    """Move simulated time forward by ``{"seconds": N}``."""
    _loopback_only(request)
    sim = simulator_of(request)
    body = await _body(request)
    try:
        sim.clock.advance(float(body.get("seconds", 0)))
    except (TypeError, ValueError) as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response({"now": iso(sim.clock.now())})


@routes.post("/_admin/tokens")
async def tokens(request: web.Request) -> web.Response:
    """Issue a token without the OAuth dance (``user_id``, ``client_id``, ``scopes``, ``expires_in``)."""
    _loopback_only(request)
    sim = simulator_of(request)
    body = await _body(request)
    scopes = body.get("scopes")
    pair = sim.issue_token(
        user_id=body.get("user_id"),
        client_id=body.get("client_id", "ha-test-client"),
        scopes=scopes.split() if isinstance(scopes, str) else scopes,
        expires_in=body.get("expires_in"),
    )
    return web.json_response(_jsonable(pair))


@routes.post("/_admin/webhooks")
async def register_webhook(request: web.Request) -> web.Response:
    """Register a webhook endpoint ``{"url": ...}``; return its secret."""
    _loopback_only(request)
    body = await _body(request)
    if not isinstance(body.get("url"), str):
        raise web.HTTPBadRequest(text="url is required")
    return web.json_response({"secret": simulator_of(request).register_webhook(body["url"])})


@routes.post("/_admin/webhooks/deliver")
async def deliver_webhooks(request: web.Request) -> web.Response:
    """Deliver due webhook messages now."""
    _loopback_only(request)
    delivered = await simulator_of(request).webhooks.deliver_pending()
    return web.json_response({"delivered": delivered})


@routes.get("/_admin/requests")
async def requests_log(request: web.Request) -> web.Response:
    """Return the last ``limit`` (default 100) requests."""
    _loopback_only(request)
    limit = int(request.query.get("limit", "100"))
    entries = simulator_of(request).requests[-limit:] if limit > 0 else []
    return web.json_response(
        [{**_jsonable(entry), "endpoint": entry.endpoint} for entry in entries]
    )


@routes.get("/_admin/counters")
async def counters(request: web.Request) -> web.Response:
    """Return request counters."""
    _loopback_only(request)
    return web.json_response(simulator_of(request).counters.as_dict())


@routes.delete("/_admin/requests")
async def reset_requests(request: web.Request) -> web.Response:
    """Forget the request log and counters."""
    _loopback_only(request)
    simulator_of(request).requests.reset()
    return web.json_response({"ok": True})


@routes.post("/_admin/rate_limit")
async def rate_limit(request: web.Request) -> web.Response:
    """Change the limit (``{"limit": N}``) and/or reset budgets (``{"reset": true}``)."""
    _loopback_only(request)
    limiter = simulator_of(request).rate_limiter
    body = await _body(request)
    if "limit" in body:
        limiter.limit = int(body["limit"])
    if body.get("reset"):
        limiter.reset()
    return web.json_response({"limit": limiter.limit})


# ------------------------------------------------------- hands-on controls
def _vehicle(request: web.Request) -> tuple[Simulator, Vehicle]:
    sim = simulator_of(request)
    vehicle = sim.state.vehicles.get(request.match_info["vehicle_id"])
    if vehicle is None:
        raise web.HTTPNotFound(text="No such vehicle.")
    return sim, vehicle


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise web.HTTPBadRequest(text=f"{name} must be true or false")
    return value


@routes.post("/_admin/vehicles/{vehicle_id}")
async def control_vehicle(request: web.Request) -> web.Response:
    """Act on a car: ``{"stay_home": bool, "plugged_in": bool, "charging": bool, "battery_percent": 0..100}``.

    The keys are applied in that order, so one call can keep the car home, plug in and start charging.
    """
    _loopback_only(request)
    sim, vehicle = _vehicle(request)
    body = await _body(request)
    stay_home = _flag(body, "stay_home")
    plugged_in, charging = _flag(body, "plugged_in"), _flag(body, "charging")
    percent = body.get("battery_percent")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int | float)):
        raise web.HTTPBadRequest(text="battery_percent must be a number")
    try:
        if stay_home is not None:
            sim.set_stay_home(vehicle, stay_home)
        if plugged_in is True:
            sim.plug_in(vehicle)
        elif plugged_in is False:
            sim.unplug(vehicle)
        if charging is not None:
            sim.set_charging(vehicle, charging)
        if percent is not None:
            sim.set_battery_level(vehicle, float(percent))
    except ConflictError as err:
        raise web.HTTPConflict(text=str(err)) from None
    except UnreachableError as err:
        raise web.HTTPServiceUnavailable(text=str(err)) from None
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    return web.json_response(sim.describe())


@routes.post("/_admin/evses/{evse_id}")
async def control_evse(request: web.Request) -> web.Response:
    """Take a charger offline or bring it back: ``{"online": bool}``."""
    _loopback_only(request)
    sim = simulator_of(request)
    evse_id = request.match_info["evse_id"]
    if evse_id not in sim.state.evses:
        raise web.HTTPNotFound(text="No such charger.")
    online = _flag(await _body(request), "online")
    if online is None:
        raise web.HTTPBadRequest(text="online is required")
    sim.faults.device_unreachable(evse_id, unreachable=not online)
    return web.json_response(sim.describe())


# Buttons of the control page: (label, URL, JSON body).
_FAULT_BUTTONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Server errors (next 3 requests)", "/_admin/faults/server_errors", {"count": 3}),
    ("HTML error page (502)", "/_admin/faults/html_error", {}),
    ("Malformed JSON", "/_admin/faults/malformed_json", {}),
    ("Rate limit (429, 60 s)", "/_admin/faults/rate_limit_now", {"retry_after": 60}),
    ("Slow answer (15 s)", "/_admin/faults/delay", {"seconds": 15}),
    ("Timeout", "/_admin/faults/timeout", {}),
    (
        "Unknown enum value (car state)",
        "/_admin/faults/unknown_enum",
        {"path": "vehicles.*.latest_status_log.state"},
    ),
    ("Revoke all tokens (sign in again)", "/_admin/faults/revoke_tokens", {}),
    ("Clear all faults", "/_admin/faults/clear", {}),
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ev.energy simulator</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 60em; }}
section {{ border: 1px solid #ccc; border-radius: 6px; padding: 0.5em 1em; margin: 1em 0; }}
button {{ margin: 0.2em; padding: 0.4em 0.8em; }}
#result {{ white-space: pre-wrap; background: #f4f4f4; padding: 0.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
</style></head><body>
<h1>ev.energy simulator</h1>
<p>Scenario <b>{scenario}</b>, routine {speed}&times; faster than the clock.
Now: <time id="now" datetime="{now}">{now}</time>; routine time of day: <b id="routine-time">-</b>.
Home Assistant sees a change at its next poll, or at once with push (webhooks) on.</p>
<h2>The world</h2>
<table id="world" aria-label="The world">
<thead><tr><th>Device</th><th>Where</th><th>Plugged in</th><th>Charging</th><th>Power</th>
<th>Battery</th><th>Last report</th></tr></thead><tbody></tbody></table>
{sections}
<h2>Faults</h2><section>{faults}</section>
<h2>Last answer</h2><div id="result">-</div>
<script>
// Times in the browser's own time zone and format; the world refreshed every 2 s and after each button.
const local = (iso) => iso ? new Date(iso).toLocaleString() : "never";
const yesNo = (flag) => flag ? "yes" : "no";
const cell = (text) => {{ const td = document.createElement("td"); td.textContent = text; return td; }};
function row(cells) {{
  const tr = document.createElement("tr");
  for (const text of cells) tr.append(cell(text));
  return tr;
}}
async function showWorld() {{
  const world = await (await fetch("/_admin/state")).json();
  document.getElementById("now").textContent = local(world.now);
  document.getElementById("routine-time").textContent = world.routine_now.slice(11, 16);
  const rows = world.vehicles.map((car) => row([
    "Car " + car.description,
    (car.at_home ? "home" : "away") + (car.stay_home ? " (staying home)" : ""),
    yesNo(car.plugged_in), yesNo(car.charging), (car.charge_power_watts / 1000).toFixed(2) + " kW",
    car.state_of_charge_percentage.toFixed(1) + " %", local(car.last_report_at),
  ]));
  rows.push(...world.evses.map((evse) => row([
    "Charger " + evse.cpid, evse.online ? "online" : "offline", yesNo(evse.plugged_in),
    yesNo(evse.charging), (evse.charge_power_watts / 1000).toFixed(2) + " kW",
    "meter " + (evse.meter_watt_hours / 1000).toFixed(3) + " kWh", local(evse.last_report_at),
  ])));
  document.querySelector("#world tbody").replaceChildren(...rows);
}}
showWorld();
setInterval(showWorld, 2000);
for (const button of document.querySelectorAll("button[data-url]")) {{
  button.addEventListener("click", async () => {{
    let body = JSON.parse(button.dataset.body);
    if (button.dataset.input) {{
      body[button.dataset.key] = Number(document.getElementById(button.dataset.input).value);
    }}
    const answer = await fetch(button.dataset.url, {{
      method: "POST", headers: {{"Content-Type": "application/json"}}, body: JSON.stringify(body)
    }});
    document.getElementById("result").textContent =
      answer.status + " " + button.textContent + "\\n" + await answer.text();
    await showWorld();
  }});
}}
</script>
</body></html>
"""


def _button(label: str, url: str, body: dict[str, Any], **data: str) -> str:
    extra = "".join(f' data-{k}="{html.escape(v)}"' for k, v in data.items())
    return (
        f'<button type="button" data-url="{html.escape(url)}" '
        f'data-body="{html.escape(json.dumps(body))}"{extra}>{html.escape(label)}</button>'
    )


def _vehicle_section(vehicle: Vehicle) -> str:
    url = f"/_admin/vehicles/{vehicle.id}"
    field = f"battery-{vehicle.id}"
    return (
        f"<h2>Car: {html.escape(vehicle.description)}</h2><section>"
        f"<p>Target {vehicle.maximum_charge_limit_percentage} %</p>"
        + _button("Stay home", url, {"stay_home": True})
        + _button("Follow the routine", url, {"stay_home": False})
        + _button("Plug in", url, {"plugged_in": True})
        + _button("Unplug", url, {"plugged_in": False})
        + _button("Start charging", url, {"charging": True})
        + _button("Stop charging", url, {"charging": False})
        + f' <label>Battery level (%) <input id="{html.escape(field)}" type="number" min="0" '
        f'max="100" value="{vehicle.state_of_charge_percentage:.0f}"></label>'
        + _button("Set battery level", url, {}, input=field, key="battery_percent")
        + "</section>"
    )


def _evse_section(sim: Simulator, evse_id: str) -> str:
    url = f"/_admin/evses/{evse_id}"
    evse = sim.state.evses[evse_id]
    return (
        f"<h2>Charger {html.escape(evse.cpid)}</h2><section>"
        + _button("Charger online", url, {"online": True})
        + _button("Charger offline", url, {"online": False})
        + "</section>"
    )


@routes.get("/_admin/")
async def control_page(request: web.Request) -> web.Response:
    """Serve the control page: buttons for the JSON controls above."""
    _loopback_only(request)
    sim = simulator_of(request)
    sim.catch_up()
    sections = [_vehicle_section(v) for v in sim.state.vehicles.values()]
    sections += [_evse_section(sim, evse_id) for evse_id in sim.state.evses]
    page = _PAGE.format(
        scenario=html.escape(sim.scenario),
        speed=sim.engine.routine.speed,
        now=iso(sim.clock.now()),
        sections="\n".join(sections),
        faults="".join(_button(label, url, body) for label, url, body in _FAULT_BUTTONS),
    )
    return web.Response(text=page, content_type="text/html")
