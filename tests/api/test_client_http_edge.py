"""Client behaviour at the HTTP edge, for answers the simulator does not produce.

A tiny aiohttp server on 127.0.0.1 (FakeApi) scripts the odd responses: foreign
or looping next links, HTTP-date Retry-After, odd content types, empty bodies.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime as http_date
import logging
import socket

import aiohttp
from aiohttp import web
import pytest

from custom_components.ev_energy.api import (
    DEFAULT_MAX_PAGES,
    MAX_RETRY_AFTER_SECONDS,
    AbstractAuth,
    EvEnergyAuthError,
    EvEnergyBadRequestError,
    EvEnergyClient,
    EvEnergyConnectionError,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyIncompleteListError,
    EvEnergyInvalidResponseError,
    EvEnergyNotFoundError,
    EvEnergyRateLimitError,
    EvEnergyServerError,
    EvEnergyTimeoutError,
    IncompleteListReason,
    RateLimitState,
    StaticTokenAuth,
    Vehicle,
    format_datetime,
)

from .conftest import FakeApi


def _page(api: FakeApi, path: str, items: list[dict[str, object]], next_link: str | None) -> None:
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else {}

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.json_response(items, headers=headers)

    api.route("GET", path, handler)


async def test_next_links_to_another_origin_are_not_followed(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    # Another port on the same host is another origin: the token must not go there.
    other_origin = fake_api.origin.rsplit(":", 1)[0] + ":1"
    _page(fake_api, "/evses", [{"id": "evse1"}], f"{other_origin}/v2/evses?page_after=evse1")
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_evses()
    assert caught.value.reason == "foreign_origin"
    assert [evse.id for evse in caught.value.items] == ["evse1"]
    assert fake_client.request_count == 1
    assert str(caught.value) == (
        "The evses list is incomplete: reading stopped after 1 page"
        " because the next page is on another server"
    )


@pytest.mark.parametrize("scheme", ["https", "ftp"])
async def test_another_scheme_on_the_same_host_is_another_origin(
    fake_api: FakeApi, fake_client: EvEnergyClient, scheme: str
) -> None:
    other_link = fake_api.base_url.replace("http", scheme, 1) + "/evses?page=2"
    _page(fake_api, "/evses", [{"id": "evse1"}], other_link)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_evses()
    assert caught.value.reason == IncompleteListReason.FOREIGN_ORIGIN
    assert fake_client.request_count == 1


async def test_pagination_follows_relative_links_and_fails_at_a_loop(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("page", "1"))
        # Page 3 links back to page 2: a loop the client must notice.
        next_page = 2 if page == 3 else page + 1
        return web.json_response(
            [{"id": f"vhcl{page}"}],
            headers={"Link": f'</v2/vehicles?page={next_page}>; rel="next"'},
        )

    fake_api.route("GET", "/vehicles", handler)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_vehicles(max_pages=50)
    assert caught.value.reason == "loop"
    assert [vehicle.id for vehicle in caught.value.items] == ["vhcl1", "vhcl2", "vhcl3"]
    assert "points back to a page already read" in str(caught.value)
    first = fake_api.requests[0]
    assert first.query["page_size"] == "100"
    # Later pages use the link as given, without our query added again.
    assert fake_api.requests[1].query_string == "page=2"


async def test_a_link_back_to_the_first_page_is_a_loop(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [{"id": "evse1"}], headers={"Link": f'<{request.url}>; rel="next"'}
        )

    fake_api.route("GET", "/evses", handler)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_evses(expand=["model"])
    assert caught.value.reason == "loop"
    assert fake_client.request_count == 1  # the first page's own URL, query included


async def test_pagination_ends_at_about_blank_or_without_a_next_link(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    _page(fake_api, "/carbon_feeds", [{"id": "cabf1"}], "about:blank")
    assert len(await fake_client.list_carbon_feeds(max_pages=1)) == 1
    _page(fake_api, "/hem_systems", [{"id": "hems1"}], None)
    assert len(await fake_client.list_hem_systems(max_pages=1)) == 1


async def test_reaching_the_page_cap_fails_and_warns_once(
    fake_api: FakeApi, fake_client: EvEnergyClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("page", "1"))
        link = f'</v2/hem_systems?page={page + 1}>; rel="next"'
        return web.json_response([{"id": f"hems{page}"}], headers={"Link": link})

    fake_api.route("GET", "/hem_systems", endless)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_hem_systems(max_pages=4)
    assert caught.value.reason == "page_cap"
    assert [hem.id for hem in caught.value.items] == ["hems1", "hems2", "hems3", "hems4"]
    assert fake_client.request_count == 4
    assert str(caught.value) == (
        "The hem systems list is incomplete: reading stopped after 4 pages"
        " because the page limit was reached before the end of the list"
    )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "Stopped reading hem systems at the limit of 4 pages; the list is longer"
    ]


async def test_the_default_page_cap_reads_a_fleet_of_5000(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def fleet(request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("page", "1"))
        last = page == DEFAULT_MAX_PAGES
        link = "about:blank" if last else f"/v2/evses?page={page + 1}"
        evses = [{"id": f"evse{page:02d}{n:02d}"} for n in range(100)]
        return web.json_response(evses, headers={"Link": f'<{link}>; rel="next"'})

    fake_api.route("GET", "/evses", fleet)
    evses = await fake_client.list_evses()
    assert len(evses) == len({evse.id for evse in evses}) == DEFAULT_MAX_PAGES * 100 >= 5000


async def test_an_incomplete_list_reports_the_items_it_dropped(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    other_origin = fake_api.origin.replace("127.0.0.1", "localhost")
    _page(
        fake_api,
        "/vehicles",
        [{"id": "vhcl1"}, {"id": "vhcl2", "smart_charging_enabled": "yes"}],
        f"{other_origin}/v2/vehicles?page=2",
    )
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_vehicles()
    assert isinstance(caught.value, EvEnergyError)
    assert [vehicle.id for vehicle in caught.value.items] == ["vhcl1"]
    assert [item.id for item in caught.value.items.dropped] == ["vhcl2"]


async def test_items_that_are_not_objects_are_dropped_without_an_id(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    fake_api.json("GET", "/evses", [{"id": "evse1"}, "evse2", {"id": 3}, None])
    evses = await fake_client.list_evses()
    assert [evse.id for evse in evses] == ["evse1"]
    assert [(item.id, item.field) for item in evses.dropped] == [(None, None)] * 3
    assert evses.dropped[0].reason == "Expected a JSON object for Evse, got str"


@pytest.mark.parametrize(
    "link",
    [
        '<http://[::1/broken>; rel="next"',  # a URL yarl cannot parse
        "http://127.0.0.1/v2/notifications?page=2; rel=next",  # no <...>: not RFC 8288
        '<about:blank>; rel="previous", /v2/notifications?page=2; rel="next"',
    ],
)
async def test_a_malformed_next_link_fails_the_list(
    fake_api: FakeApi, fake_client: EvEnergyClient, link: str
) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.json_response([{"id": "notf1"}], headers={"Link": link})

    fake_api.route("GET", "/notifications", handler)
    with pytest.raises(EvEnergyIncompleteListError) as caught:
        await fake_client.list_notifications()
    assert caught.value.reason == "malformed_link"
    assert [item.id for item in caught.value.items] == ["notf1"]
    assert str(caught.value).endswith("because the next page link could not be read")


async def test_a_link_header_without_a_next_page_ends_the_list(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        link = '<http://127.0.0.1/v2/notifications?page=0>; rel="previous", garbage'
        return web.json_response([{"id": "notf1"}], headers={"Link": link})

    fake_api.route("GET", "/notifications", handler)
    assert [item.id for item in await fake_client.list_notifications()] == ["notf1"]


async def test_one_page_that_is_not_a_list_fails_the_whole_read(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    fake_api.json("GET", "/evses", {"results": []})
    with pytest.raises(EvEnergyInvalidResponseError, match="Expected a JSON list of Evse"):
        await fake_client.list_evses()


async def test_retry_after_as_http_date(fake_api: FakeApi, fake_client: EvEnergyClient) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    fake_api.json(
        "GET",
        "/vehicles",
        {"title": "Too Many Requests"},
        429,
        RetryAfter=http_date(when, usegmt=True),
    )
    with pytest.raises(EvEnergyRateLimitError) as caught:
        await fake_client.list_vehicles()
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("soon", None),
        ("nan", None),
        # Not a number of seconds: the default wait, as for "soon" (an endless wait must not stall polling).
        ("inf", None),
        ("-inf", None),
        ("Infinity", None),
        ("1e400", None),  # past a float's range
        ("1e12", MAX_RETRY_AFTER_SECONDS),  # would overflow timedelta uncapped
        ("1e300", MAX_RETRY_AFTER_SECONDS),
        ("86401", MAX_RETRY_AFTER_SECONDS),
        ("86399.5", 86399.5),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),  # a date in the past: no wait
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
        ("Fri, 31 Dec 9999 23:59:59 -2359", MAX_RETRY_AFTER_SECONDS),  # past datetime.max in UTC
        ("Sat, 01 Jan 99999 00:00:00 GMT", None),  # beyond the calendar: unreadable
    ],
)
async def test_retry_after_values(
    fake_api: FakeApi, fake_client: EvEnergyClient, value: str, expected: float | None
) -> None:
    fake_api.json("GET", "/vehicles", {}, 429, **{"retry-after": value})
    with pytest.raises(EvEnergyRateLimitError) as caught:
        await fake_client.list_vehicles()
    assert caught.value.retry_after == expected
    assert caught.value.status == 429
    assert timedelta(seconds=caught.value.retry_after or 0) <= timedelta(days=1)  # no overflow


async def test_problem_details_and_field_errors_of_a_400(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    problem = {
        "type": "https://api.ev.energy/v2/problems/validation-error/",
        "title": "Request failed validation",
        "detail": "See field_errors",
        "instance": "https://api.ev.energy/v2/vehicles/vhcl1",
        "field_errors": {
            "maximum_charge_limit_percentage": ["Must be at least 50."],
            "x": "bare",
            "ignored": 5,
        },
    }
    fake_api.json("PATCH", "/vehicles/vhcl1", problem, 400)
    with pytest.raises(EvEnergyBadRequestError) as caught:
        await fake_client.update_vehicle("vhcl1", maximum_charge_limit_percentage=10)
    error = caught.value
    assert isinstance(error, EvEnergyInvalidResponseError)
    assert error.field_errors == {
        "maximum_charge_limit_percentage": ["Must be at least 50."],
        "x": ["bare"],
    }
    assert error.instance == problem["instance"]
    assert "Request failed validation" in str(error)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, EvEnergyAuthError),
        (403, EvEnergyForbiddenError),
        (404, EvEnergyNotFoundError),
        (405, EvEnergyInvalidResponseError),
        (406, EvEnergyInvalidResponseError),
        (500, EvEnergyServerError),
        (502, EvEnergyServerError),
    ],
)
async def test_status_codes_without_problem_bodies(
    fake_api: FakeApi, fake_client: EvEnergyClient, status: int, error_class: type[Exception]
) -> None:
    async def html(_request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>nope</html>", status=status, content_type="text/html")

    fake_api.route("GET", "/evses", html)
    with pytest.raises(error_class) as caught:
        await fake_client.list_evses()
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.title is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>maintenance</html>", "text/html"),
        (b"{not json", "application/json"),
        (b'{"id": "vhcl1"}', "text/plain"),
        (b"[1, 2]", "application/json"),
        (b'"just a string"', "application/json"),
    ],
)
async def test_unusable_success_bodies(
    fake_api: FakeApi, fake_client: EvEnergyClient, body: bytes, content_type: str
) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type=content_type)

    fake_api.route("GET", "/vehicles/vhcl1", handler)
    with pytest.raises(EvEnergyInvalidResponseError):
        await fake_client.get_vehicle("vhcl1")


async def test_problem_json_content_type_is_json(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b'{"id": "vhcl1"}', content_type="application/vnd.ev+json")

    fake_api.route("GET", "/vehicles/vhcl1", handler)
    assert (await fake_client.get_vehicle("vhcl1")).id == "vhcl1"


async def test_wrapped_and_plain_notification_patch_responses(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    read_at = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    notification = {"id": "notf1", "read_at": "2026-11-21T16:00:00Z", "category": "SERVICE"}
    fake_api.json("PATCH", "/notifications/notf1", {"Notification": notification})
    assert (await fake_client.mark_notification_read("notf1", read_at)).read_at == read_at
    fake_api.json("PATCH", "/notifications/notf1", notification)
    assert (await fake_client.mark_notification_read("notf1", read_at)).id == "notf1"
    assert await fake_api.requests[0].json() == {"read_at": "2026-11-21T16:00:00Z"}


async def test_object_members_of_the_wrong_type(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    fake_api.json("GET", "/webhook_portal", {"url": 5})
    with pytest.raises(EvEnergyInvalidResponseError):
        await fake_client.get_webhook_portal()
    fake_api.json("GET", "/", ["not", "an", "object"])
    with pytest.raises(EvEnergyInvalidResponseError):
        await fake_client.get_root()
    fake_api.json("GET", "/charging_sub_sessions/csub1/schedules", [])
    with pytest.raises(EvEnergyInvalidResponseError):
        await fake_client.get_schedules("csub1")


async def test_empty_success_body_is_not_a_model(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def no_content(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    fake_api.route("POST", "/charging_sessions/cses1/boost_start", no_content)
    with pytest.raises(EvEnergyInvalidResponseError):
        await fake_client.boost_start("cses1")


async def test_ids_cannot_change_the_requested_path(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    with pytest.raises(EvEnergyNotFoundError):
        await fake_client.get_vehicle("../users/user1?x=1#y")
    assert fake_api.requests[0].raw_path == "/v2/vehicles/..%2Fusers%2Fuser1%3Fx%3D1%23y"
    with pytest.raises(EvEnergyNotFoundError):
        await fake_client.get_vehicle("..")
    assert fake_api.requests[1].raw_path == "/v2/vehicles/%2E%2E"


async def test_query_parameters(fake_api: FakeApi, fake_client: EvEnergyClient) -> None:
    fake_api.json("GET", "/charging_sub_sessions", [])
    since = datetime(2026, 11, 21, 17, 30, tzinfo=UTC) + timedelta(microseconds=5)
    await fake_client.list_charging_sub_sessions(
        vehicle_id="vhcl1",
        is_finished=False,
        mode="SMART",
        start_gt=since,
        end_lt=datetime(2026, 11, 21, 18, 0),  # noqa: DTZ001 - naive is taken as UTC
        expand="evse",  # a lone string is one field, not five letters
    )
    query = fake_api.requests[0].query
    assert query.getall("expand") == ["evse"]
    assert query["vehicle_id"] == "vhcl1"
    assert query["is_finished"] == "false"
    assert query["mode"] == "SMART"
    assert query["start__gt"] == "2026-11-21T17:30:00.000005Z"
    assert query["end__lt"] == "2026-11-21T18:00:00Z"
    assert "evse_id" not in query


def test_format_datetime_converts_to_utc() -> None:
    paris = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(paris) == "2026-07-01T10:00:00Z"


async def test_update_vehicle_needs_a_field(fake_client: EvEnergyClient) -> None:
    with pytest.raises(ValueError, match="at least one field"):
        await fake_client.update_vehicle("vhcl1")
    assert fake_client.request_count == 0


async def test_rate_limit_state_and_callback(
    fake_api: FakeApi, http_session: aiohttp.ClientSession
) -> None:
    seen: list[RateLimitState] = []
    client = EvEnergyClient(
        http_session, StaticTokenAuth("t"), base_url=fake_api.base_url, on_response=seen.append
    )
    assert client.rate_limit is None
    fake_api.json(
        "GET",
        "/vehicles/v1",
        {"id": "v1"},
        **{"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "998"},
    )
    fake_api.json("GET", "/vehicles/v2", {"id": "v2"})  # a response without the headers
    fake_api.json(
        "GET",
        "/vehicles/v3",
        {},
        404,
        **{"x-ratelimit-remaining": "oops", "x-ratelimit-limit": "1000"},
    )
    before = datetime.now(UTC)
    await client.get_vehicle("v1")
    first = client.rate_limit
    assert first is not None
    assert (first.limit, first.remaining) == (1000, 998)
    assert before <= first.observed_at <= datetime.now(UTC)
    await client.get_vehicle("v2")
    assert client.rate_limit is first  # kept: the latest response said nothing
    with pytest.raises(EvEnergyNotFoundError):
        await client.get_vehicle("v3")
    assert client.rate_limit is not None
    assert (client.rate_limit.limit, client.rate_limit.remaining) == (1000, None)
    assert seen == [first, client.rate_limit]
    assert client.request_count == 3


async def test_a_failing_callback_does_not_fail_the_request(
    fake_api: FakeApi, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_state: RateLimitState) -> None:
        raise RuntimeError("observer bug")

    client = EvEnergyClient(
        http_session, StaticTokenAuth("t"), base_url=fake_api.base_url, on_response=broken
    )
    fake_api.json("GET", "/vehicles/v1", {"id": "v1"}, **{"x-ratelimit-remaining": "5"})
    assert isinstance(await client.get_vehicle("v1"), Vehicle)
    assert "on_response callback failed" in caplog.text


async def test_auth_errors_propagate_unchanged(
    fake_api: FakeApi, http_session: aiohttp.ClientSession
) -> None:
    class RefreshFailedError(Exception):
        pass

    class BrokenAuth(AbstractAuth):
        async def async_get_access_token(self) -> str:
            raise RefreshFailedError

    client = EvEnergyClient(http_session, BrokenAuth(), base_url=fake_api.base_url)
    with pytest.raises(RefreshFailedError):
        await client.list_vehicles()
    assert fake_api.requests == []


async def test_timeout(fake_api: FakeApi, http_session: aiohttp.ClientSession) -> None:
    async def slow(_request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(2)
        return web.json_response([])

    fake_api.route("GET", "/vehicles", slow)
    client = EvEnergyClient(
        http_session, StaticTokenAuth("t"), base_url=fake_api.base_url, request_timeout=0.2
    )
    with pytest.raises(EvEnergyTimeoutError):
        await client.list_vehicles()


async def test_connection_refused(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = EvEnergyClient(
        http_session, StaticTokenAuth("t"), base_url=f"http://127.0.0.1:{port}/v2"
    )
    with pytest.raises(EvEnergyConnectionError) as caught:
        await client.get_root()
    assert not isinstance(caught.value, EvEnergyTimeoutError)
    assert client.request_count == 1


async def test_connection_dropped_mid_response(
    fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Length": "100", "Content-Type": "application/json"}
        )
        await response.prepare(request)
        await response.write(b'[{"id": "ev')
        request.transport.close()  # type: ignore[union-attr]
        return response

    fake_api.route("GET", "/evses", drop)
    with pytest.raises(EvEnergyConnectionError):
        await fake_client.list_evses()


async def test_headers_sent_with_every_request(
    fake_api: FakeApi, http_session: aiohttp.ClientSession
) -> None:
    client = EvEnergyClient(
        http_session,
        StaticTokenAuth("secret-token"),
        base_url=fake_api.base_url + "/",  # a trailing slash must not double up
        user_agent_suffix="HomeAssistant/2025.4.4",
    )
    assert client.base_url == fake_api.base_url
    fake_api.json("GET", "/vehicles", [])
    fake_api.json("PATCH", "/vehicles/vhcl1", {"id": "vhcl1"})
    await client.list_vehicles()
    await client.update_vehicle("vhcl1", smart_charging_enabled=True)
    for request in fake_api.requests:
        assert request.headers["Authorization"] == "Bearer secret-token"
        assert request.headers["EvEnergy-Version"] == "2"
        assert request.headers["Accept"] == "application/json"
        user_agent = request.headers["User-Agent"]
        assert user_agent == client.user_agent
        assert user_agent.startswith(f"ev-energy-python/0.1.0 aiohttp/{aiohttp.__version__} ")
        assert user_agent.endswith(" HomeAssistant/2025.4.4")
    patch = fake_api.requests[1]
    assert patch.path == "/v2/vehicles/vhcl1"
    assert patch.headers["Content-Type"] == "application/json"
    assert await patch.json() == {"smart_charging_enabled": True}
