"""Property: whatever the server answers, only EvEnergyError subclasses escape the client.

Bodies are arbitrary JSON, arbitrary bytes, or shaped like the spec's schema for
the endpoint with nulls, wrong types and unknown enum values mixed in; statuses,
content types, Link and rate-limit headers vary too. They are served over HTTP
by the FakeApi, so the whole path (transport, decoding, parsing) is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st
import orjson
import pytest

from custom_components.ev_energy.api import EvEnergyClient, EvEnergyError

from .conftest import FakeApi
from .endpoints import ENDPOINTS
from .test_spec_examples import Spec

MAX_JSON_INT = 2**53
ENDPOINT_KEYS = sorted(ENDPOINTS)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_JSON_INT, MAX_JSON_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
)
any_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
odd_values = st.sampled_from(
    [None, "NEW_UNDOCUMENTED_VALUE", "", 0, -1, True, [], {}, "2024-13-45T99:99:99Z"]
)
timestamps = st.sampled_from(
    [
        "2024-04-17T09:39:45.984584Z",
        "2024-04-17T09:39:45Z",
        "2024-04-17T09:39:45",
        "2024-04-17T10:39:45+01:00",
    ]
)


def schema_shaped(spec: Spec, schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like ``schema``, with odd values (null, wrong type, new enum) mixed in."""
    return st.one_of(_typed(spec, spec.resolve(schema), depth), odd_values)


def _typed(spec: Spec, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from([*schema["enum"], "NEW_UNDOCUMENTED_VALUE"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return st.one_of([schema_shaped(spec, option, depth) for option in schema[key]])
    if "allOf" in schema or "properties" in schema:
        if depth > 3:  # deep enough: answer with a URL, as an unexpanded reference would
            return st.just("https://api.ev.energy/v2/things/thng01")
        properties = spec.properties(schema)
        required = {
            name: schema_shaped(spec, properties[name], depth + 1)
            for name in ("id",)
            if name in properties
        }
        optional = {
            name: schema_shaped(spec, sub, depth + 1)
            for name, sub in properties.items()
            if name not in required
        }
        return st.fixed_dictionaries(required, optional=optional)
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    options: list[st.SearchStrategy[Any]] = []
    for kind in types:
        if kind == "null":
            options.append(st.none())
        elif kind == "array":
            options.append(
                st.lists(schema_shaped(spec, schema.get("items", {}), depth + 1), max_size=3)
            )
        elif kind == "integer":
            options.append(st.integers(-MAX_JSON_INT, MAX_JSON_INT))
        elif kind == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "boolean":
            options.append(st.booleans())
        elif schema.get("format") == "date-time":
            options.append(timestamps)
        else:
            options.append(st.text(max_size=12))
    return st.one_of(options)


@dataclass(frozen=True)
class Answer:
    """One scripted HTTP response."""

    status: int
    body: bytes
    content_type: str | None
    headers: dict[str, str]


@st.composite
def answers(draw: st.DrawFn, spec: Spec, method: str, path: str) -> Answer:
    operation = spec.document["paths"][path][method]
    success_schemas = [
        content["schema"]
        for code, response in operation["responses"].items()
        if str(code).startswith("2")
        for content in spec.resolve(response).get("content", {}).values()
        if "schema" in content
    ]
    body_value = draw(st.one_of([any_json, *(schema_shaped(spec, s) for s in success_schemas)]))
    body = draw(st.one_of(st.just(orjson.dumps(body_value)), st.binary(max_size=40)))
    headers: dict[str, str] = {}
    link = draw(
        st.sampled_from(
            [
                None,
                "about:blank",
                "/v2/next?page=2",
                "http://elsewhere.invalid/v2/x",
                "not a url",
                "http://[::1/bad",
            ]
        )
    )
    if link is not None:
        headers["Link"] = f'<{link}>; rel="next"'
    for name in ("x-ratelimit-remaining", "Retry-After", "RetryAfter"):
        value = draw(
            st.one_of(
                st.none(),
                st.sampled_from(["1", "-5", "1e309", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]),
            )
        )
        if value is not None:
            headers[name] = value
    return Answer(
        status=draw(
            st.sampled_from(
                [200, 200, 200, 201, 204, 400, 401, 403, 404, 405, 409, 418, 429, 500, 503]
            )
        ),
        body=body,
        content_type=draw(
            st.sampled_from(["application/json", "application/problem+json", "text/html", None])
        ),
        headers=headers,
    )


@pytest.fixture(scope="module")
def spec_helper(openapi_spec: dict[str, Any]) -> Spec:
    return Spec(openapi_spec)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINT_KEYS))
async def test_only_ev_energy_errors_escape(
    fake_api: FakeApi,
    fake_client: EvEnergyClient,
    spec_helper: Spec,
    data: st.DataObject,
    endpoint: tuple[str, str],
) -> None:
    answer = data.draw(answers(spec_helper, *endpoint))

    async def respond(_request: web.Request) -> web.StreamResponse:
        response = web.Response(status=answer.status, body=answer.body, headers=answer.headers)
        if answer.content_type is not None:
            response.content_type = answer.content_type
        return response

    fake_api.fallback = respond
    failure: EvEnergyError | None = None
    try:
        await ENDPOINTS[endpoint](fake_client)
    except EvEnergyError as err:
        failure = err
    # Every error response must surface as an error carrying its status.
    if answer.status >= 400:
        assert failure is not None
        assert failure.status == answer.status
