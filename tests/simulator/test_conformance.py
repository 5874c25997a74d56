"""Every endpoint, in every scenario, validated against the official OpenAPI spec.

The spec is the repository's copy in ``docs/api/`` (see ``SOURCE.md`` there), loaded by the
``openapi_spec`` fixture of ``tests/conftest.py``; nothing here is ever skipped. Responses are
validated with openapi-core exactly as the spec is, the only patches to the loaded document are
listed in ``_patch_spec`` (none loosen what a response must satisfy).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import openapi_core
from openapi_core.testing import MockRequest, MockResponse
import pytest

from simulator.testing import Simulator
from simulator.timeutil import iso
from tests.conftest import SimulatorFactory

from .conftest import DEFAULT_TOKEN, Api, Reply

SPEC_HOST = "https://api.ev.energy"


def _patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Work around spec issues openapi-core trips on (none needed so far).

    Known spec quirks are handled on the simulator side instead: ``grid_feeds`` is never an
    empty list (``[]`` matches both ``oneOf`` branches), and expansions the response schema
    cannot hold (EnergyUsage.charging_sub_session, CarbonIntensities.carbon_feed) stay URLs.
    """
    return spec


def _config() -> Any:
    """openapi-core has no deserializer for ``application/problem+json``: register JSON."""
    return openapi_core.Config(
        extra_media_type_deserializers={"application/problem+json": json.loads}
    )


@pytest.fixture(scope="session")
def spec_dict(openapi_spec: dict[str, Any]) -> dict[str, Any]:
    """The official spec document, loaded once per test session."""
    return openapi_spec


@pytest.fixture(scope="session")
def openapi(spec_dict: dict[str, Any]) -> Any:
    """Build the openapi-core validator once per test session."""
    return openapi_core.OpenAPI.from_dict(_patch_spec(spec_dict), config=_config())


@dataclass(frozen=True)
class Contract:
    """The spec as a document and as an openapi-core validator."""

    spec: dict[str, Any]
    openapi: Any


@pytest.fixture(scope="session")
def contract(spec_dict: dict[str, Any], openapi: Any) -> Contract:
    """Return both views of the spec."""
    return Contract(spec_dict, openapi)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _flatten(spec: dict[str, Any], schemas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat, stack = [], list(schemas)
    while stack:
        schema = _resolve(spec, stack.pop())
        flat.append(schema)
        for key in ("allOf", "anyOf", "oneOf"):
            stack.extend(schema.get(key, []))
    return flat


def undeclared_fields(
    spec: dict[str, Any], schemas: list[dict[str, Any]], value: Any, path: str = "$"
) -> list[str]:
    """Return JSON paths of object keys that no candidate schema declares.

    The spec never forbids extra properties, so openapi-core accepts invented fields;
    this stricter check makes sure every field we serve is one the spec names.
    """
    flat = _flatten(spec, schemas)
    found: list[str] = []
    if isinstance(value, dict):
        declared: dict[str, list[dict[str, Any]]] = {}
        for schema in flat:
            for name, sub in schema.get("properties", {}).items():
                declared.setdefault(name, []).append(sub)
        if not declared:  # a free-form map
            return found
        for key, item in value.items():
            if key not in declared:
                found.append(f"{path}.{key}")
            else:
                found += undeclared_fields(spec, declared[key], item, f"{path}.{key}")
    elif isinstance(value, list):
        items = [schema["items"] for schema in flat if "items" in schema]
        for index, item in enumerate(value):
            found += undeclared_fields(spec, items, item, f"{path}[{index}]")
    return found


def response_schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """Return the JSON schema of a documented response."""
    relative = path.removeprefix("/v2") or "/"
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "/?$"
        if re.match(pattern, relative) and method.lower() in operations:
            responses = operations[method.lower()]["responses"]
            response = _resolve(spec, responses[str(status)])
            schema: dict[str, Any] = response["content"]["application/json"]["schema"]
            return schema
    raise AssertionError(f"{method} {path} is not in the spec")


@dataclass
class Op:
    """One request to make and the status it must get."""

    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    json_body: Any = None
    status: int = 200
    template: str = ""

    def __post_init__(self) -> None:
        """Default the template to the path."""
        if not self.template:
            self.template = self.path


def _expand(*names: str) -> list[tuple[str, str]]:
    return [("expand", name) for name in names]


def _evse_ops(sim: Simulator) -> Iterator[Op]:
    yield Op("GET", "/v2/evses", _expand("user", "model", "model.make", "latest_status_log"))
    yield Op("GET", "/v2/evses", [("page_size", "1")])
    yield Op("GET", "/v2/evse_makes")
    yield Op("GET", "/v2/evse_models", _expand("make"))
    yield Op("GET", "/v2/evse_sites")
    for make_id in sim.state.evse_makes:
        yield Op("GET", f"/v2/evse_makes/{make_id}")
    for model_id in sim.state.evse_models:
        yield Op("GET", f"/v2/evse_models/{model_id}", _expand("make"))
    for site_id in sim.state.evse_sites:
        yield Op("GET", f"/v2/evse_sites/{site_id}")
    for evse_id in sim.evse_ids:
        base = f"/v2/evses/{evse_id}"
        logs = sim.state.evse_logs[evse_id]
        yield Op("GET", base)
        yield Op("GET", base, _expand("user", "model.make", "latest_status_log"))
        yield Op("PATCH", base, json_body={"location": {"latitude": 51.5, "longitude": -0.1}})
        yield Op("GET", f"{base}/status_logs", _expand("evse.model.make", "evse.user"))
        yield Op(
            "GET",
            f"{base}/status_logs",
            [
                ("sampled_at__gte", iso(logs[-6].sampled_at)),
                ("sampled_at__lte", iso(logs[-1].sampled_at)),
                ("page_size", "2"),
            ],
        )
        yield Op("GET", f"{base}/status_logs/{iso(logs[-1].sampled_at)}", _expand("evse"))
        yield Op("GET", f"{base}/connectivity")
        yield Op("GET", f"{base}/connectivity", _expand("latest_status_log"))


def _vehicle_ops(sim: Simulator) -> Iterator[Op]:
    yield Op(
        "GET",
        "/v2/vehicles",
        _expand("user", "trim", "trim.model", "trim.model.make", "latest_status_log"),
    )
    yield Op("GET", "/v2/vehicle_trims", _expand("model.make"))
    yield Op("GET", "/v2/vehicle_models", _expand("make"))
    yield Op("GET", "/v2/vehicle_makes")
    for trim_id in sim.state.vehicle_trims:
        yield Op("GET", f"/v2/vehicle_trims/{trim_id}", _expand("model"))
    for model_id in sim.state.vehicle_models:
        yield Op("GET", f"/v2/vehicle_models/{model_id}")
    for make_id in sim.state.vehicle_makes:
        yield Op("GET", f"/v2/vehicle_makes/{make_id}")
    for vehicle_id, vehicle in sim.state.vehicles.items():
        base = f"/v2/vehicles/{vehicle_id}"
        yield Op("GET", base)
        yield Op("GET", base, _expand("trim.model.make", "latest_status_log", "user"))
        body: dict[str, Any] = {"maximum_charge_limit_percentage": 90, "vehicle_class": None}
        yield Op("PATCH", base, json_body=body)
        yield Op("GET", f"{base}/status_logs", _expand("vehicle.trim.model.make", "vehicle.user"))
        logs = sim.state.vehicle_logs.get(vehicle_id, [])
        if logs:
            yield Op("GET", f"{base}/status_logs/{iso(logs[-1].sampled_at)}", _expand("vehicle"))
        yield from _location_log_ops(sim, vehicle_id)
        yield Op("GET", f"{base}/state_of_charge")
        yield Op("PATCH", f"{base}/state_of_charge", json_body={"state_of_charge_percentage": 55})
        yield Op("PATCH", f"{base}/state_of_charge", json_body={"state_of_charge_percentage": None})
        yield Op("POST", f"{base}/reconnect", status=201)
        assert vehicle.id == vehicle_id


def _location_log_ops(sim: Simulator, vehicle_id: str) -> Iterator[Op]:
    base = f"/v2/vehicles/{vehicle_id}/location_logs"
    yield Op("GET", base, _expand("vehicle.trim.model.make", "vehicle.user"))
    logs = sim.state.vehicle_location_logs.get(vehicle_id, [])
    if logs:
        window = [("sampled_at__gte", iso(logs[-6].sampled_at)), ("page_size", "2")]
        yield Op("GET", base, [*window, ("sampled_at__lte", iso(logs[-1].sampled_at))])
        yield Op("GET", f"{base}/{iso(logs[-1].sampled_at)}", _expand("vehicle"))


def _solar_forecast_ops(sim: Simulator) -> Iterator[Op]:
    yield Op("GET", "/v2/solar_forecasts")
    yield Op("GET", "/v2/solar_forecasts", [("page_size", "1")])
    day = sim.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for forecast_id in sim.state.solar_forecasts:
        base = f"/v2/solar_forecasts/{forecast_id}"
        yield Op("GET", base)
        yield Op("GET", f"{base}/forecast_logs", _expand("solar_forecast"))
        window = [("started_at__gte", iso(day)), ("started_at__lte", iso(day + timedelta(hours=6)))]
        yield Op("GET", f"{base}/forecast_logs", [*window, ("page_size", "5")])
        yield Op("GET", f"{base}/forecast_logs/{iso(day + timedelta(hours=12))}")
        yield Op("GET", f"{base}/forecast_logs/{iso(day)}", _expand("solar_forecast"))


def _home_energy_ops(sim: Simulator) -> Iterator[Op]:
    state = sim.state
    yield Op("GET", "/v2/inverters", _expand("latest_status_log"))
    yield Op("GET", "/v2/inverters", _expand("model.make", "latest_status_log"))
    yield Op("GET", "/v2/solar_arrays", _expand("user", "inverter"))
    yield Op("GET", "/v2/home_batteries", _expand("latest_status_log"))
    yield Op("GET", "/v2/hem_systems")
    yield Op("GET", "/v2/boundary_meters", _expand("latest_status_log"))
    for inverter_id in state.inverters:
        yield Op("GET", f"/v2/inverters/{inverter_id}")
        yield Op("GET", f"/v2/inverters/{inverter_id}", _expand("latest_status_log"))
    for array_id in state.solar_arrays:
        yield Op("GET", f"/v2/solar_arrays/{array_id}")
    for battery_id, logs in state.home_battery_logs.items():
        yield Op("GET", f"/v2/home_batteries/{battery_id}")
        yield Op("GET", f"/v2/home_batteries/{battery_id}/status_logs", _expand("home_battery"))
        yield Op("GET", f"/v2/home_batteries/{battery_id}/status_logs/{iso(logs[-1].sampled_at)}")
    day = sim.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for hem_id in state.hem_systems:
        yield Op("GET", f"/v2/hem_systems/{hem_id}")
        yield Op("GET", f"/v2/hem_systems/{hem_id}/live_power")
        window = [("start", iso(day - timedelta(days=1))), ("end", iso(day + timedelta(days=1)))]
        yield Op("GET", f"/v2/hem_systems/{hem_id}/energy_stats", [*window, ("resolution", "P1D")])
        window = [("start", iso(day)), ("end", iso(day + timedelta(hours=6)))]
        yield Op(
            "GET", f"/v2/hem_systems/{hem_id}/energy_stats", [*window, ("resolution", "PT30M")]
        )
    for meter_id in state.boundary_meters:
        yield Op("GET", f"/v2/boundary_meters/{meter_id}")
        yield Op("GET", f"/v2/boundary_meters/{meter_id}/status_logs")


def _session_ops(sim: Simulator) -> Iterator[Op]:
    yield Op("GET", "/v2/charging_sessions", _expand("vehicle", "evse", "sub_sessions"))
    sub_expand = _expand(
        "evse.model.make",
        "vehicle.trim.model.make",
        "energy_usage",
        "schedules",
        "tariff.supplier",
        "carbon_feed",
        "grid_feeds",
    )
    yield Op("GET", "/v2/charging_sub_sessions", sub_expand)
    yield Op("GET", "/v2/charging_sub_sessions", [("is_finished", "true"), ("mode", "SMART")])
    for session in sim.state.sessions.values():
        yield Op("GET", f"/v2/charging_sessions/{session.id}")
        if session.end is None:
            base = f"/v2/charging_sessions/{session.id}"
            yield Op("POST", f"{base}/boost_start")
            yield Op("POST", f"{base}/boost_start", status=409)
            yield Op("POST", f"{base}/boost_end")
    for sub_id in sim.state.sub_sessions:
        base = f"/v2/charging_sub_sessions/{sub_id}"
        yield Op("GET", base)
        yield Op("GET", f"{base}/energy_usage")
        yield Op("GET", f"{base}/energy_usage", _expand("charging_sub_session"))
        yield Op("GET", f"{base}/schedules")


def _other_ops(sim: Simulator) -> Iterator[Op]:
    user_id = sim.primary_user_id
    tariff_id = next(iter(sim.state.tariffs))
    feed_id = next(iter(sim.state.carbon_feeds))
    yield Op("GET", "/v2/")
    yield Op("GET", "/v2/users")
    yield Op("GET", f"/v2/users/{user_id}")
    yield Op("GET", f"/v2/users/{user_id}", _expand("default_location.tariff.supplier"))
    yield Op("GET", "/v2/users", _expand("default_location.tariff", "default_location.evse_site"))
    tariff_url = f"{sim.api_base}/tariffs/{tariff_id}"
    yield Op(
        "PATCH", f"/v2/users/{user_id}", json_body={"default_location": {"tariff": tariff_url}}
    )
    yield Op("GET", f"/v2/tariffs/{tariff_id}")
    yield Op("GET", f"/v2/tariffs/{tariff_id}", _expand("supplier", "prices"))
    yield Op("GET", f"/v2/tariffs/{tariff_id}/prices")
    yield Op("GET", f"/v2/tariffs/{tariff_id}/prices", [("page", "2"), ("page_size", "10")])
    yield Op("GET", "/v2/carbon_feeds")
    yield Op("GET", f"/v2/carbon_feeds/{feed_id}")
    yield Op("GET", f"/v2/carbon_feeds/{feed_id}/carbon_intensities")
    for grid_id in sim.state.grid_feeds:
        yield Op("GET", "/v2/grid_feeds")
        yield Op("GET", f"/v2/grid_feeds/{grid_id}")
    yield Op("GET", "/v2/webhook_portal")
    yield Op("GET", "/v2/notifications")
    for note_id in sim.state.notifications:
        yield Op("GET", f"/v2/notifications/{note_id}")
        yield Op(
            "PATCH", f"/v2/notifications/{note_id}", json_body={"read_at": iso(sim.clock.now())}
        )


def _error_ops(sim: Simulator) -> Iterator[Op]:
    yield Op("GET", "/v2/evses", [("page_size", "0")], status=400)
    yield Op("GET", "/v2/evses", [("expand", "nonsense")], status=400)
    yield Op("GET", "/v2/evses/evse00000000000000000000000000", status=404)
    yield Op("GET", "/v2/vehicles/vhcl00000000000000000000000000", status=404)
    yield Op("GET", "/v2/solar_forecasts/solf00000000000000000000000000", status=404)
    for vehicle_id in sim.vehicle_ids:
        yield Op("GET", f"/v2/vehicles/{vehicle_id}/location_logs/2020-01-01T00:00:00Z", status=404)
    for vehicle_id in sim.vehicle_ids:
        body = {"maximum_charge_limit_percentage": 30}
        yield Op("PATCH", f"/v2/vehicles/{vehicle_id}", json_body=body, status=400)


def operations(sim: Simulator) -> list[Op]:
    """Return the requests covering every simulated endpoint for ``sim``'s world."""
    return [
        *_other_ops(sim),
        *_evse_ops(sim),
        *_vehicle_ops(sim),
        *_home_energy_ops(sim),
        *_solar_forecast_ops(sim),
        *_session_ops(sim),
        *_error_ops(sim),
    ]


def validate(openapi: Any, op: Op, reply: Reply) -> None:
    """Validate ``reply`` against the spec's response for ``op`` (raises on mismatch)."""
    path = urlsplit(op.path).path
    request = MockRequest(SPEC_HOST, op.method.lower(), path, args=op.params)
    response = MockResponse(
        reply.body, reply.status, headers=reply.headers, content_type=reply.content_type
    )
    openapi.validate_response(request, response)


SCENARIOS = [
    ("home", {}),
    ("home", {"home_battery": True}),
    ("fleet", {"fleet_size": 3}),
    ("unintegrated", {}),
    ("empty", {}),
]


@pytest.mark.parametrize(("scenario", "options"), SCENARIOS)
async def test_every_endpoint_matches_the_spec(
    contract: Contract,
    http: aiohttp.ClientSession,
    simulator_factory: SimulatorFactory,
    scenario: str,
    options: dict[str, Any],
) -> None:
    async with simulator_factory(scenario, **options) as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        failures = []
        ops = operations(sim)
        for op in ops:
            reply = await api.request(op.method, op.path, params=op.params, json_body=op.json_body)
            if reply.status != op.status:
                failures.append(
                    f"{op.method} {op.path} {op.params}: {reply.status} {reply.body[:300]!r}"
                )
                continue
            try:
                validate(contract.openapi, op, reply)
            except Exception as err:  # noqa: BLE001 - collect every mismatch
                cause = getattr(err, "__cause__", None)
                details = [str(e).split("\n")[0] for e in getattr(cause, "schema_errors", [])]
                failures.append(f"{op.method} {op.path} {op.params}: {err} {details}")
            if reply.status < 300:
                schema = response_schema(contract.spec, op.method, op.path, reply.status)
                extra = undeclared_fields(contract.spec, [schema], reply.json())
                if extra:
                    failures.append(f"{op.method} {op.path}: undeclared fields {extra[:5]}")
        assert not failures, "\n".join(failures)
        assert len(ops) > 40


async def test_error_responses_match_the_spec(openapi: Any, api: Api) -> None:
    sim = api.sim
    cases = [
        (Op("GET", "/v2/evses", status=401), None, {}),
        (
            Op("GET", "/v2/evses", status=403),
            sim.issue_token(scopes=["user:read"]).access_token,
            {},
        ),
        (Op("GET", "/v2/evses", status=400), DEFAULT_TOKEN, {"EvEnergy-Version": "3"}),
    ]
    for op, token, headers in cases:
        reply = await api.request(op.method, op.path, token=token, headers=headers)
        assert reply.status == op.status
        validate(openapi, op, reply)
    sim.rate_limiter.limit = 1
    op = Op("GET", "/v2/vehicles", status=429)
    await api.get(op.path)
    reply = await api.get(op.path)
    assert reply.status == 429
    validate(openapi, op, reply)


def test_undeclared_field_check_finds_invented_fields(spec_dict: dict[str, Any]) -> None:
    schema = response_schema(spec_dict, "GET", "/v2/evses/evse01", 200)
    body = {"id": "x", "model": {"id": "y", "colour": "red"}, "online": True}
    assert undeclared_fields(spec_dict, [schema], body) == ["$.model.colour", "$.online"]


async def test_validation_catches_a_broken_response(openapi: Any) -> None:
    """Guard against a validator that accepts anything."""
    op = Op("GET", "/v2/evses")
    broken = Reply(200, {}, [], b'[{"id": "evse1", "url": "x"}]', "application/json")
    with pytest.raises(Exception, match="not valid"):
        validate(openapi, op, broken)
