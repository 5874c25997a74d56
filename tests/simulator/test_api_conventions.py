"""Auth, scopes, ownership, version header, rate limit and request validation on /v2."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.testing import Simulator

from .conftest import Api


async def test_missing_token_is_401_problem(api: Api) -> None:
    reply = await api.get("/v2/evses", token=None)
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"
    assert reply.json()["detail"] == "Authentication credentials were not provided."
    assert reply.headers["EvEnergy-Version"] == "2"
    assert reply.headers["x-ratelimit-limit"] == "1000"
    assert reply.headers["x-ratelimit-remaining"] == "1000"


async def test_non_bearer_scheme_is_401(api: Api) -> None:
    reply = await api.get("/v2/evses", token=None, headers={"Authorization": "Basic abc"})
    assert reply.status == 401


async def test_catalogue_and_root_need_no_token(api: Api) -> None:
    for path in ("/v2/", "/v2/evse_makes", "/v2/vehicle_models"):
        assert (await api.get(path, token=None)).status == 200


async def test_missing_scope_is_403(api: Api) -> None:
    token = api.sim.issue_token(scopes=["evse:read"]).access_token
    reply = await api.get("/v2/vehicles", token=token)
    assert reply.status == 403
    assert "vehicle:read" in reply.json()["detail"]
    assert (await api.get("/v2/evses", token=token)).status == 200


async def test_prices_need_both_tariff_scopes(api: Api) -> None:
    tariff_id = next(iter(api.sim.state.tariffs))
    only_read = api.sim.issue_token(scopes=["tariff:read"]).access_token
    both = api.sim.issue_token(scopes=["tariff:read", "tariff:prices:read"]).access_token
    path = f"/v2/tariffs/{tariff_id}/prices"
    assert (await api.get(path, token=only_read)).status == 403
    assert (await api.get(path, token=both)).status == 200


@pytest.mark.parametrize("scope", ["charging_session:read", "chargingsession:read"])
async def test_schedules_accept_the_proper_and_the_misspelt_scope(api: Api, scope: str) -> None:
    sub_id = next(iter(api.sim.state.sub_sessions))
    token = api.sim.issue_token(scopes=[scope]).access_token
    reply = await api.get(f"/v2/charging_sub_sessions/{sub_id}/schedules", token=token)
    assert reply.status == 200


async def test_someone_elses_resources_are_404(api: Api) -> None:
    other = api.sim.add_user()
    evse = api.sim.faults.add_evse(user_id=other.id)
    for path in (
        f"/v2/evses/{evse.id}",
        f"/v2/evses/{evse.id}/status_logs",
        f"/v2/users/{other.id}",
    ):
        assert (await api.get(path)).status == 404, path
    listed = (await api.get("/v2/evses")).json()
    assert evse.id not in {e["id"] for e in listed}
    mine = api.sim.issue_token(user_id=other.id).access_token
    assert (await api.get(f"/v2/evses/{evse.id}", token=mine)).status == 200


@pytest.mark.parametrize(
    ("sent", "status"), [(None, 200), ("2", 200), ("2.0", 200), ("3", 400), ("x", 400)]
)
async def test_version_header_is_checked_and_echoed(
    api: Api, sent: str | None, status: int
) -> None:
    headers = {"EvEnergy-Version": sent} if sent is not None else {}
    reply = await api.get("/v2/evses", headers=headers)
    assert reply.status == status
    assert reply.headers["EvEnergy-Version"] == "2"
    if status == 400:
        assert reply.json()["detail"] == f"Unsupported version requested: {sent}"


async def test_unknown_route_and_method_are_problems(api: Api) -> None:
    missing = await api.get("/v2/nothing_here")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    wrong = await api.request("DELETE", "/v2/evses")
    assert wrong.status == 405
    assert wrong.json()["status"] == 405


async def test_rate_limit_headers_count_down(api: Api) -> None:
    first = await api.get("/v2/evses")
    second = await api.get("/v2/vehicles")
    assert first.headers["x-ratelimit-limit"] == "1000"
    assert (
        int(first.headers["x-ratelimit-remaining"])
        == int(second.headers["x-ratelimit-remaining"]) + 1
    )
    remaining = api.sim.rate_limiter.remaining("ha-test-client", api.sim.primary_user_id)
    assert remaining == int(second.headers["x-ratelimit-remaining"])


async def test_spent_budget_gives_429_until_a_slot_frees(api: Api) -> None:
    api.sim.rate_limiter.limit = 3
    for _ in range(3):
        assert (await api.get("/v2/evses")).status == 200
        api.sim.clock.advance(600)
    limited = await api.get("/v2/evses")
    assert limited.status == 429
    body = limited.json()
    assert body["type"] == "https://api.ev.energy/v2/problems/rate-limit-exceeded/"
    # The oldest of the 3 requests was 1800 s ago, so a slot frees in 1800 s.
    assert limited.headers["Retry-After"] == "1800"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    api.sim.clock.advance(1799)
    assert (await api.get("/v2/evses")).status == 429
    api.sim.clock.advance(1)
    assert (await api.get("/v2/evses")).status == 200


async def test_each_user_has_their_own_bucket(api: Api) -> None:
    api.sim.rate_limiter.limit = 1
    other = api.sim.add_user()
    assert (await api.get("/v2/evses")).status == 200
    assert (await api.get("/v2/evses")).status == 429
    other_token = api.sim.issue_token(user_id=other.id).access_token
    assert (await api.get("/v2/evses", token=other_token)).status == 200


async def test_rate_limit_is_configurable(simulator_factory: Any, http: Any) -> None:
    async with simulator_factory("empty", rate_limit=2) as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        statuses = [(await api.get("/v2/users")).status for _ in range(3)]
        assert statuses == [200, 200, 429]


async def _patch_vehicle(api: Api, body: Any) -> Any:
    return await api.request("PATCH", f"/v2/vehicles/{api.sim.vehicle_ids[0]}", json_body=body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maximum_charge_limit_percentage": 49}, "maximum_charge_limit_percentage"),
        ({"maximum_charge_limit_percentage": 101}, "maximum_charge_limit_percentage"),
        ({"maximum_charge_limit_percentage": True}, "maximum_charge_limit_percentage"),
        ({"maximum_charge_limit_percentage": "80"}, "maximum_charge_limit_percentage"),
        ({"smart_charging_enabled": "yes"}, "smart_charging_enabled"),
        ({"vehicle_class": "TRUCK"}, "vehicle_class"),
        ({"battery_size_watt_hours": 50000}, "battery_size_watt_hours"),
    ],
)
async def test_vehicle_patch_validation(api: Api, body: dict[str, Any], field: str) -> None:
    before = api.sim.state.vehicles[api.sim.vehicle_ids[0]].maximum_charge_limit_percentage
    reply = await _patch_vehicle(api, body)
    assert reply.status == 400
    assert field in reply.json()["field_errors"]
    assert api.sim.state.vehicles[api.sim.vehicle_ids[0]].maximum_charge_limit_percentage == before


async def test_vehicle_patch_updates_the_truth(api: Api) -> None:
    body = {
        "maximum_charge_limit_percentage": 65,
        "smart_charging_enabled": False,
        "vehicle_class": "COMMERCIAL",
    }
    reply = await _patch_vehicle(api, body)
    assert reply.status == 200
    assert {k: reply.json()[k] for k in body} == body
    vehicle = api.sim.state.vehicles[api.sim.vehicle_ids[0]]
    assert vehicle.maximum_charge_limit_percentage == 65
    assert vehicle.smart_charging_enabled is False
    assert vehicle.vehicle_class == "COMMERCIAL"


async def test_battery_size_of_an_unintegrated_car_is_rounded(
    simulator_factory: Any, http: Any
) -> None:
    async with simulator_factory("unintegrated") as sim:
        api = Api(sim, http, sim.issue_token().access_token)
        reply = await _patch_vehicle(api, {"battery_size_watt_hours": 52_345})
        assert reply.json()["battery_size_watt_hours"] == 52_340
        too_small = await _patch_vehicle(api, {"battery_size_watt_hours": 999})
        assert too_small.status == 400


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
async def test_patch_needs_a_json_object(api: Api, body: bytes) -> None:
    reply = await api.request(
        "PATCH",
        f"/v2/vehicles/{api.sim.vehicle_ids[0]}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400
    assert "non_field_errors" in reply.json()["field_errors"]


async def test_user_tariff_patch(api: Api) -> None:
    user_id = api.sim.primary_user_id
    path = f"/v2/users/{user_id}"
    bad = await api.request(
        "PATCH",
        path,
        json_body={"default_location": {"tariff": f"{api.sim.api_base}/tariffs/nope"}},
    )
    assert bad.status == 400
    cleared = await api.request("PATCH", path, json_body={"default_location": {"tariff": None}})
    assert cleared.json()["default_location"]["tariff"] is None
    assert api.sim.state.users[user_id].tariff_id is None
    wrong_type = await api.request("PATCH", path, json_body={"default_location": "home"})
    assert wrong_type.status == 400


async def test_user_detail_carries_current_carbon_intensity(api: Api) -> None:
    detail = (await api.get(f"/v2/users/{api.sim.primary_user_id}")).json()
    listed = (await api.get("/v2/users")).json()[0]
    assert isinstance(
        detail["default_location"]["current_carbon_intensity_grams_per_kilowatt_hour"], int
    )
    assert "current_carbon_intensity_grams_per_kilowatt_hour" not in listed["default_location"]


async def test_users_email_filter(api: Api) -> None:
    assert len((await api.get("/v2/users", params={"email": "ALEX@example.com"})).json()) == 1
    assert (await api.get("/v2/users", params={"email": "x@example.com"})).json() == []


async def test_manual_state_of_charge(simulator: Simulator, api: Api) -> None:
    path = f"/v2/vehicles/{simulator.vehicle_ids[0]}/state_of_charge"
    connected = (await api.get(path)).json()
    assert connected["source"] == "CONNECTED"
    manual = await api.request("PATCH", path, json_body={"state_of_charge_percentage": 42})
    assert manual.json()["state_of_charge_percentage"] == 42
    assert manual.json()["source"] == "MANUAL"
    invalid = await api.request("PATCH", path, json_body={"state_of_charge_percentage": 120})
    assert invalid.status == 400
    cleared = await api.request("PATCH", path, json_body={"state_of_charge_percentage": None})
    assert cleared.json()["source"] == "CONNECTED"


async def test_evse_location_patch_validation(api: Api) -> None:
    path = f"/v2/evses/{api.sim.evse_ids[0]}"
    reply = await api.request("PATCH", path, json_body={"location": {"latitude": "north"}})
    assert reply.status == 400


async def test_notification_read_at(api: Api) -> None:
    note_id = next(iter(api.sim.state.notifications))
    path = f"/v2/notifications/{note_id}"
    ok = await api.request("PATCH", path, json_body={"read_at": "2026-11-20T17:31:00Z"})
    assert ok.json()["Notification"]["read_at"] == "2026-11-20T17:31:00.000000Z"
    bad = await api.request("PATCH", path, json_body={"read_at": "yesterday"})
    assert bad.status == 400


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/charging_sub_sessions", {"is_finished": "maybe"}),
        ("/v2/charging_sub_sessions", {"energy_delivered_watt_hours__gte": "lots"}),
        ("/v2/charging_sub_sessions", {"mode": "TURBO"}),
        ("/v2/charging_sub_sessions", {"start__gt": "last tuesday"}),
    ],
)
async def test_bad_filters_are_400(api: Api, path: str, params: dict[str, str]) -> None:
    reply = await api.get(path, params=params)
    assert reply.status == 400
    assert reply.json()["field_errors"]


async def test_sub_session_filters(api: Api) -> None:
    sim = api.sim
    subs = list(sim.state.sub_sessions.values())
    finished = (await api.get("/v2/charging_sub_sessions", params={"is_finished": "true"})).json()
    assert {s["id"] for s in finished} == {s.id for s in subs if s.end is not None}
    big = (
        await api.get(
            "/v2/charging_sub_sessions", params={"energy_delivered_watt_hours__gte": "1000"}
        )
    ).json()
    assert all(s["energy_delivered_watt_hours"] >= 1000 for s in big)
    assert big
    open_subs = (
        await api.get(
            "/v2/charging_sub_sessions",
            params={
                "evse_id": sim.evse_ids[0],
                "vehicle_id": sim.vehicle_ids[0],
                "is_finished": "0",
            },
        )
    ).json()
    assert [s["end"] for s in open_subs] == [None]
    window = (
        await api.get(
            "/v2/charging_sub_sessions",
            params={"start__gt": "2026-11-20T00:00:00Z", "end__lt": "2026-11-21T00:00:00Z"},
        )
    ).json()
    assert window == []
    ended = (
        await api.get(
            "/v2/charging_sub_sessions",
            params={"end__gt": "2026-11-20T00:00:00Z", "start__lt": "2026-11-20T00:00:00Z"},
        )
    ).json()
    assert len(ended) == 1


async def test_status_log_detail_is_keyed_by_sampled_at(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    log = api.sim.state.evse_logs[evse_id][-3]
    reply = await api.get(f"/v2/evses/{evse_id}/status_logs/2026-11-20T17:20:00Z")
    assert reply.status == 200
    assert reply.json()["meter_reading_watt_hours"] == log.meter_reading_watt_hours
    assert (await api.get(f"/v2/evses/{evse_id}/status_logs/2026-11-20T17:21:00Z")).status == 404
    assert (await api.get(f"/v2/evses/{evse_id}/status_logs/not-a-time")).status == 404


@pytest.mark.parametrize(
    "params",
    [
        {"resolution": "PT1H", "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z"},
        {"resolution": "PT30M"},
        {"resolution": "PT30M", "start": "2026-11-20T00:10:00Z", "end": "2026-11-20T01:00:00Z"},
        {"resolution": "PT30M", "start": "2026-11-18T00:00:00Z", "end": "2026-11-20T01:00:00Z"},
        {"resolution": "P1D", "start": "2026-11-19T12:00:00Z", "end": "2026-11-20T12:00:00Z"},
    ],
)
async def test_energy_stats_window_validation(api: Api, params: dict[str, str]) -> None:
    hem_id = next(iter(api.sim.state.hem_systems))
    reply = await api.get(f"/v2/hem_systems/{hem_id}/energy_stats", params=params)
    assert reply.status == 400


async def test_energy_stats_month_buckets(api: Api) -> None:
    hem_id = next(iter(api.sim.state.hem_systems))
    params = {"resolution": "P1M", "start": "2026-11-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
    body = (await api.get(f"/v2/hem_systems/{hem_id}/energy_stats", params=params)).json()
    assert [b["period_start"][:10] for b in body["buckets"]] == ["2026-11-01", "2026-12-01"]
    assert all(b["generation_wh"] is None for b in body["buckets"])  # not over yet


async def test_reconnect_link_reactivates_an_inactive_car(api: Api) -> None:
    vehicle = api.sim.state.vehicles[api.sim.vehicle_ids[0]]
    vehicle.integrated = "INACTIVE"
    link = (await api.request("POST", f"/v2/vehicles/{vehicle.id}/reconnect")).json()
    assert (await api.get(link["url"], token=None)).status == 200
    assert vehicle.integrated == "ACTIVE"
    assert (await api.get(f"{api.sim.origin}/_reconnect/vhcl0", token=None)).status == 404
