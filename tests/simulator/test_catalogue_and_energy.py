"""Catalogue filters, tariffs, carbon, and the home energy endpoints."""

from __future__ import annotations

import pytest

from .conftest import Api


@pytest.mark.parametrize(
    "path",
    [
        "/v2/evse_makes/emak0",
        "/v2/evse_models/emod0",
        "/v2/vehicle_trims/trim0",
        "/v2/vehicle_models/vmod0",
        "/v2/vehicle_makes/vmak0",
        "/v2/tariffs/tari0",
        "/v2/tariffs/tari0/prices",
        "/v2/carbon_feeds/cabf0",
        "/v2/carbon_feeds/cabf0/carbon_intensities",
        "/v2/grid_feeds/grfd0",
        "/v2/charging_sessions/cses0",
        "/v2/charging_sub_sessions/csub0",
        "/v2/notifications/notf0",
        "/v2/hem_systems/hems0/live_power",
    ],
)
async def test_unknown_ids_are_404(api: Api, path: str) -> None:
    reply = await api.get(path)
    assert reply.status == 404
    assert reply.json()["type"] == "https://api.ev.energy/v2/problems/not-found/"


async def test_catalogue_filters(api: Api) -> None:
    state = api.sim.state
    make_id = next(iter(state.evse_makes))
    models = (await api.get("/v2/evse_models", params={"make_id": make_id})).json()
    assert {m["make"] for m in models} == {f"{api.sim.api_base}/evse_makes/{make_id}"}
    vmake_id = next(iter(state.vehicle_makes))
    vmodels = (await api.get("/v2/vehicle_models", params={"make_id": vmake_id})).json()
    assert [m["name"] for m in vmodels] == ["EV6"]
    vmodel_id = vmodels[0]["id"]
    trims = (await api.get("/v2/vehicle_trims", params={"model_id": vmodel_id})).json()
    assert [t["name"] for t in trims] == ["GT-Line 77.4 kWh"]
    ordered = (await api.get("/v2/vehicle_trims", params={"ordering": "-name"})).json()
    assert [t["name"] for t in ordered] == sorted((t["name"] for t in ordered), reverse=True)


async def test_evse_cpid_filter(api: Api) -> None:
    cpid = api.sim.state.evses[api.sim.evse_ids[0]].cpid
    assert len((await api.get("/v2/evses", params={"cpid": cpid})).json()) == 1
    assert (await api.get("/v2/evses", params={"cpid": "nope"})).json() == []


async def test_tariff_current_price_and_prices_window(api: Api) -> None:
    tariff_id = next(iter(api.sim.state.tariffs))
    tariff = (await api.get(f"/v2/tariffs/{tariff_id}")).json()
    assert tariff["current_price"] == 35  # 17:30 is peak time
    assert tariff["daily_prices"]["off_peak"]["price"] == "0.08"
    window = await api.get(
        f"/v2/tariffs/{tariff_id}/prices",
        params={
            "started_at__gte": "2026-11-21T00:10:00Z",
            "started_at__lte": "2026-11-21T01:00:00Z",
        },
    )
    assert [(p["started_at"], p["price_minor_units"]) for p in window.json()] == [
        ("2026-11-21T01:00:00.000000Z", 8),
        ("2026-11-21T00:30:00.000000Z", 8),
    ]


async def test_carbon_intensities_newest_first_with_forecast(api: Api) -> None:
    feed_id = next(iter(api.sim.state.carbon_feeds))
    body = (
        await api.get(f"/v2/carbon_feeds/{feed_id}/carbon_intensities", params={"page_size": "100"})
    ).json()
    stamps = [c["started_at"] for c in body["carbon_intensities"]]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] == "2026-11-21T17:30:00.000000Z"  # a day of forecast
    user = (await api.get(f"/v2/users/{api.sim.primary_user_id}")).json()
    now = next(
        c for c in body["carbon_intensities"] if c["started_at"] == "2026-11-20T17:30:00.000000Z"
    )
    current = user["default_location"]["current_carbon_intensity_grams_per_kilowatt_hour"]
    assert now["co2_intensity_grams_per_kilowatt_hour"] == current


async def test_live_power_balances(api: Api) -> None:
    hem_id = next(iter(api.sim.state.hem_systems))
    api.sim.engine.boost_start(next(s.id for s in api.sim.state.sessions.values() if s.end is None))
    power = (await api.get(f"/v2/hem_systems/{hem_id}/live_power")).json()
    assert power["generation_watts"] == 0  # 17:30 in November: dark
    assert power["consumption_watts"] > 7360  # the house plus the boosting car
    assert power["import_watts"] == power["consumption_watts"]
    assert power["battery_state_of_charge_percentage"] is None


async def test_energy_stats_add_up(api: Api) -> None:
    hem_id = next(iter(api.sim.state.hem_systems))
    params = {"resolution": "PT30M", "start": "2026-11-20T11:00:00Z", "end": "2026-11-20T13:00:00Z"}
    buckets = (await api.get(f"/v2/hem_systems/{hem_id}/energy_stats", params=params)).json()[
        "buckets"
    ]
    assert len(buckets) == 4
    for bucket in buckets:
        assert bucket["generation_wh"] > 0
        assert bucket["generation_wh"] == pytest.approx(
            bucket["solar_to_home_wh"] + bucket["solar_to_battery_wh"] + bucket["solar_to_grid_wh"],
            abs=2,
        )
        assert bucket["consumption_wh"] == pytest.approx(
            bucket["solar_to_home_wh"] + bucket["battery_to_home_wh"] + bucket["grid_to_home_wh"],
            abs=2,
        )


async def test_home_battery_and_meter_logs(simulator_factory: object, http: object) -> None:
    async with simulator_factory("home", home_battery=True) as sim:  # type: ignore[operator]
        api = Api(sim, http, sim.issue_token().access_token)  # type: ignore[arg-type]
        battery_id = next(iter(sim.state.home_batteries))
        meter_id = next(iter(sim.state.boundary_meters))
        logs = (
            await api.get(f"/v2/home_batteries/{battery_id}/status_logs", params={"page_size": "3"})
        ).json()
        assert len(logs) == 3
        detail = await api.get(logs[0]["url"])
        assert detail.json() == logs[0]
        power = (
            await api.get(f"/v2/hem_systems/{next(iter(sim.state.hem_systems))}/live_power")
        ).json()
        assert isinstance(power["battery_state_of_charge_percentage"], int)
        meter_logs = (await api.get(f"/v2/boundary_meters/{meter_id}/status_logs")).json()
        # Evening: the battery covers the house, so the meter sits at zero.
        assert (meter_logs[0]["status"], meter_logs[0]["power_watts"]) == ("IDLE", 0)
        signs = {"IMPORTING": 1, "EXPORTING": -1, "IDLE": 0}
        for log in meter_logs:
            assert signs[log["status"]] == (log["power_watts"] > 0) - (log["power_watts"] < 0)


async def test_a_home_without_home_energy_has_no_hem_system_or_meter(
    simulator_factory: object, http: object
) -> None:
    async with simulator_factory("home", home_energy=False) as sim:  # type: ignore[operator]
        api = Api(sim, http, sim.issue_token().access_token)  # type: ignore[arg-type]
        assert (await api.get("/v2/hem_systems")).json() == []
        assert (await api.get("/v2/boundary_meters")).json() == []
        # The rest of the home is there: its charger, car and solar.
        assert (len(sim.state.evses), len(sim.state.vehicles)) == (1, 1)
        assert len((await api.get("/v2/solar_arrays")).json()) == 1


async def test_malformed_json_on_the_token_endpoint(api: Api) -> None:
    api.sim.faults.malformed_json(path_prefix="/o/token/")
    reply = await api.request("POST", "/o/token/", data={"grant_type": "client_credentials"})
    assert reply.status == 401
    assert reply.body.startswith(b'{"err')
    assert not reply.body.endswith(b"}")


async def test_live_power_follows_the_engine_and_every_flow_adds_up(
    simulator_factory: object, http: object
) -> None:
    """Over a day with a battery: the engine's solar, house and car load and battery, split into flows.

    Generation and consumption each split into their flows; the grid balances what is left.
    """
    async with simulator_factory("home", home_battery=True, routine_start_minute=0) as sim:  # type: ignore[operator]
        api = Api(sim, http, sim.issue_token().access_token)  # type: ignore[arg-type]
        hem_id = next(iter(sim.state.hem_systems))
        user_id = sim.primary_user_id
        seen_solar = seen_charge = seen_discharge = False
        for _ in range(24):
            sim.clock.advance(3600)
            api.token = sim.issue_token().access_token  # a day outlives one token
            reply = await api.get(f"/v2/hem_systems/{hem_id}/live_power")
            assert reply.status == 200
            body = reply.json()
            flows = {
                key.removesuffix("_watts"): value
                for key, value in body.items()
                if key.endswith("_watts")
            }
            engine = sim.engine.live_power(user_id, sim.clock.now())
            assert flows["generation"] == engine["generation"]
            assert flows["consumption"] == engine["consumption"]
            assert flows["charge"] - flows["discharge"] == engine["battery"]
            assert (flows["import"], flows["export"]) == (engine["import"], engine["export"])
            assert all(value >= 0 for value in flows.values()), flows
            assert flows["generation"] == (
                flows["consumption"]
                + flows["export"]
                + flows["charge"]
                - flows["import"]
                - flows["discharge"]
            )
            assert (
                flows["generation"]
                == flows["solar_to_home"] + flows["solar_to_battery"] + flows["solar_to_grid"]
            )
            assert (
                flows["consumption"]
                == flows["solar_to_home"] + flows["battery_to_home"] + flows["grid_to_home"]
            )
            assert flows["import"] == flows["grid_to_home"] + flows["grid_to_battery"]
            assert flows["export"] == flows["solar_to_grid"] + flows["battery_to_grid"]
            assert flows["charge"] == flows["solar_to_battery"] + flows["grid_to_battery"]
            assert flows["discharge"] == flows["battery_to_home"] + flows["battery_to_grid"]
            seen_solar |= flows["generation"] > 0
            seen_charge |= flows["charge"] > 0
            seen_discharge |= flows["discharge"] > 0
        assert seen_solar, "the day had sun"
        assert seen_charge, "the battery charged"
        assert seen_discharge, "the battery discharged"
