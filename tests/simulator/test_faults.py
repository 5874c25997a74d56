"""Fault injection from Python and its effect on the wire."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from simulator.faults import RETRY_HEADER_SPELLINGS

from .conftest import Api


async def test_server_error_burst_then_recovery(api: Api) -> None:
    api.sim.faults.server_errors(2, status=503)
    statuses = [(await api.get("/v2/evses")).status for _ in range(3)]
    assert statuses == [503, 503, 200]


async def test_server_errors_only_for_a_path_prefix(api: Api) -> None:
    api.sim.faults.server_errors(1, path_prefix="vehicles")
    assert (await api.get("/v2/evses")).status == 200
    failed = await api.get("/v2/vehicles")
    assert failed.status == 500
    assert failed.content_type == "application/problem+json"
    assert (await api.get("/v2/vehicles")).status == 200


async def test_token_endpoint_can_fail_too(api: Api) -> None:
    api.sim.faults.server_errors(1, status=502, path_prefix="/o/token/")
    reply = await api.request("POST", "/o/token/", data={"grant_type": "client_credentials"})
    assert reply.status == 502


async def test_slow_response(api: Api) -> None:
    api.sim.faults.delay(0.3)
    started = time.perf_counter()
    assert (await api.get("/v2/evses")).status == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    await api.get("/v2/evses")
    assert time.perf_counter() - started < 0.3


async def test_timeout_is_released_when_the_simulator_stops(
    simulator_factory: object, http: aiohttp.ClientSession
) -> None:
    async with simulator_factory("empty") as sim:  # type: ignore[operator]
        sim.faults.timeout(seconds=300)
        api = Api(sim, http, sim.issue_token().access_token)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await api.get("/v2/users")
        started = time.perf_counter()
    assert time.perf_counter() - started < 2


async def test_malformed_json(api: Api) -> None:
    api.sim.faults.malformed_json()
    reply = await api.get("/v2/evses")
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert isinstance((await api.get("/v2/evses")).json(), list)


async def test_html_error_page(api: Api) -> None:
    api.sim.faults.html_error(1, status=502)
    reply = await api.get("/v2/evses")
    assert reply.status == 502
    assert reply.content_type == "text/html"
    assert b"502 Bad Gateway" in reply.body


@pytest.mark.parametrize("header", RETRY_HEADER_SPELLINGS)
async def test_rate_limit_now_with_each_header_spelling(api: Api, header: str) -> None:
    api.sim.faults.rate_limit_now(retry_after=7, header=header)
    reply = await api.get("/v2/evses")
    assert reply.status == 429
    assert (header, "7") in reply.raw_headers
    assert reply.json()["type"] == "https://api.ev.energy/v2/problems/rate-limit-exceeded/"
    assert (await api.get("/v2/evses")).status == 200


async def test_null_field_in_lists_and_details(api: Api) -> None:
    api.sim.faults.null_field("evses.*.latest_status_log.charge_rate_watts")
    evse_id = api.sim.evse_ids[0]
    listed = (await api.get("/v2/evses", params={"expand": "latest_status_log"})).json()
    detail = (await api.get(f"/v2/evses/{evse_id}", params={"expand": "latest_status_log"})).json()
    assert listed[0]["latest_status_log"]["charge_rate_watts"] is None
    assert detail["latest_status_log"]["charge_rate_watts"] is None
    assert detail["latest_status_log"]["is_plugged_in"] is True
    plain = (await api.get(f"/v2/evses/{evse_id}")).json()
    assert isinstance(plain["latest_status_log"], str)
    logs = (await api.get(f"/v2/evses/{evse_id}/status_logs")).json()
    assert logs[0]["charge_rate_watts"] == 0  # a different path: untouched


async def test_null_field_in_status_log_lists_and_by_index(api: Api) -> None:
    vehicle_id = api.sim.vehicle_ids[0]
    api.sim.faults.null_field("vehicles.*.status_logs.*.state_of_charge_percentage")
    api.sim.faults.null_field("evses.0.cpid")
    logs = (await api.get(f"/v2/vehicles/{vehicle_id}/status_logs")).json()
    assert {log["state_of_charge_percentage"] for log in logs} == {None}
    assert (await api.get("/v2/evses")).json()[0]["cpid"] is None


async def test_unknown_enum_value(api: Api) -> None:
    api.sim.faults.unknown_enum("vehicles.*.latest_status_log.state", "TELEPORTING")
    vehicle = (await api.get("/v2/vehicles", params={"expand": "latest_status_log"})).json()[0]
    assert vehicle["latest_status_log"]["state"] == "TELEPORTING"
    api.sim.faults.unknown_enum("vehicles.*.integrated")
    assert (await api.get("/v2/vehicles")).json()[0]["integrated"] == "SOMETHING_NEW"


async def test_bad_value_serves_the_wrong_json_type(api: Api) -> None:
    api.sim.faults.bad_value("vehicles.0.latest_status_log.state_of_charge_percentage")
    vehicle = (await api.get("/v2/vehicles", params={"expand": "latest_status_log"})).json()[0]
    assert vehicle["latest_status_log"]["state_of_charge_percentage"] == "abc"
    reply = await api.request(
        "POST", "/_admin/faults/bad_value", json_body={"path": "evses.*.cpid", "value": 7}
    )
    assert reply.status == 200
    assert (await api.get("/v2/evses")).json()[0]["cpid"] == 7


async def test_field_fault_on_a_missing_field_changes_nothing(api: Api) -> None:
    api.sim.faults.null_field("evses.*.no_such_field")
    api.sim.faults.null_field("evses.*.latest_status_log.charge_rate_watts")
    reply = await api.get("/v2/evses")  # latest_status_log is a URL string here
    assert "no_such_field" not in reply.json()[0]
    assert isinstance(reply.json()[0]["latest_status_log"], str)


async def test_endless_pagination_never_ends(api: Api) -> None:
    api.sim.faults.endless_pagination("/v2/evses")
    seen = set()
    url = "/v2/evses"
    for _ in range(20):
        reply = await api.get(url)
        assert reply.status == 200
        next_url = reply.headers["Link"].split("<")[2].split(">")[0]
        assert next_url != "about:blank"
        assert next_url.startswith(api.sim.origin + "/v2/evses")
        assert next_url not in seen
        seen.add(next_url)
        url = next_url


async def test_endless_pagination_can_loop(api: Api) -> None:
    api.sim.faults.endless_pagination("evses", loop=True)
    first = await api.get("/v2/evses")
    second_url = first.headers["Link"].split("<")[2].split(">")[0]
    second = await api.get(second_url)
    back_url = second.headers["Link"].split("<")[2].split(">")[0]
    assert back_url == api.sim.origin + "/v2/evses"


async def test_foreign_next_link_points_to_another_server(api: Api) -> None:
    api.sim.faults.foreign_next_link("vehicles")
    reply = await api.get("/v2/vehicles", params={"page_size": "100"})
    assert reply.status == 200
    assert reply.json()  # the page itself is served as usual
    next_url = reply.headers["Link"].split("<")[2].split(">")[0]
    assert next_url == "https://elsewhere.example/v2/vehicles?page_size=100"
    assert (await api.get("/v2/evses")).headers["Link"].endswith('<about:blank>; rel="next"')


async def test_foreign_next_link_also_on_numbered_pages(api: Api) -> None:
    tariff_id = next(iter(api.sim.state.tariffs))
    api.sim.faults.foreign_next_link("/v2/tariffs", origin="http://other.example:8080/")
    reply = await api.get(f"/v2/tariffs/{tariff_id}/prices")
    assert reply.status == 200
    assert (
        f'<http://other.example:8080/v2/tariffs/{tariff_id}/prices>; rel="next"'
        in (reply.headers["Link"])
    )


async def test_malformed_next_link_is_not_a_url(api: Api) -> None:
    api.sim.faults.malformed_next_link("evses")
    reply = await api.get("/v2/evses")
    assert reply.status == 200
    assert reply.headers["Link"].endswith('<http://[/v2/evses>; rel="next"')


async def test_malformed_next_link_header_is_not_rfc_8288(api: Api) -> None:
    api.sim.faults.malformed_next_link("evses", header=True)
    reply = await api.get("/v2/evses", params={"page_size": "5"})
    assert reply.headers["Link"] == (
        '<about:blank>; rel="previous", /v2/evses?page_size=5; rel="next"'
    )


async def test_broken_next_link_faults_over_the_admin_endpoint(api: Api) -> None:
    reply = await api.request(
        "POST", "/_admin/faults/malformed_next_link", json_body={"path_prefix": "/v2/vehicles"}
    )
    assert reply.status == 200
    assert "http://[" in (await api.get("/v2/vehicles")).headers["Link"]
    reply = await api.request(
        "POST", "/_admin/faults/foreign_next_link", json_body={"path_prefix": "evses"}
    )
    assert reply.status == 200
    assert "<https://elsewhere.example/v2/evses>" in (await api.get("/v2/evses")).headers["Link"]


async def test_devices_added_and_removed_show_on_the_api(api: Api) -> None:
    evse = api.sim.faults.add_evse()
    vehicle = api.sim.faults.add_vehicle(evse_id=evse.id)
    assert len((await api.get("/v2/evses")).json()) == 2
    assert len((await api.get("/v2/vehicles")).json()) == 2
    api.sim.faults.remove_evse(evse.id)
    api.sim.faults.remove_vehicle(vehicle.id)
    assert (await api.get(f"/v2/evses/{evse.id}")).status == 404
    assert (await api.get(f"/v2/vehicles/{vehicle.id}")).status == 404


async def test_clear_switches_everything_off(api: Api) -> None:
    api.sim.faults.server_errors(5)
    api.sim.faults.null_field("evses.*.cpid")
    api.sim.faults.endless_pagination("/v2/evses")
    api.sim.faults.foreign_next_link("/v2/evses")
    api.sim.faults.device_unreachable()
    api.sim.faults.clear()
    reply = await api.get("/v2/evses")
    assert reply.status == 200
    assert reply.json()[0]["cpid"]
    assert reply.headers["Link"].endswith('<about:blank>; rel="next"')
    assert all(e.reachable for e in api.sim.state.evses.values())


async def test_boost_over_http_conflict_and_unavailable(api: Api) -> None:
    session_id = next(s.id for s in api.sim.state.sessions.values() if s.end is None)
    base = f"/v2/charging_sessions/{session_id}"
    api.sim.faults.device_unreachable()
    unavailable = await api.request("POST", f"{base}/boost_start")
    assert unavailable.status == 503
    api.sim.faults.device_unreachable(unreachable=False)
    not_boosting = await api.request("POST", f"{base}/boost_end")
    assert not_boosting.status == 409
    assert not_boosting.json()["detail"] == "The charging session is not boosting."
    started = await api.request("POST", f"{base}/boost_start")
    assert started.status == 200
    assert len(started.json()["sub_sessions"]) == 2
    sub = (await api.get(started.json()["sub_sessions"][-1])).json()
    assert sub["mode"] == "BOOST"
    assert (await api.request("POST", f"{base}/boost_start")).status == 409
