"""The official spec's examples and schemas against our models and client.

- Every 2xx example of the operations we implement is served over HTTP and read
  through the matching client method without error.
- Every 4xx/5xx problem+json example becomes the right exception with its details.
- Every property the spec declares for a schema we model is a field of the model,
  and a synthetic object built from the spec's property examples parses with each
  of those fields filled.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from custom_components.ev_energy.api import (
    BoundaryMeter,
    BoundaryMeterStatusLog,
    CarbonFeed,
    CarbonIntensity,
    ChargingSession,
    ChargingSubSession,
    EnergyUsage,
    EvEnergyBadRequestError,
    EvEnergyClient,
    EvEnergyConflictError,
    EvEnergyDeviceUnreachableError,
    EvEnergyError,
    EvEnergyModel,
    EvEnergyRateLimitError,
    Evse,
    EvseConnectivity,
    EvseMake,
    EvseModel,
    EvseSite,
    EvseStatusLog,
    HemEnergyStats,
    HemEnergyStatsBucket,
    HemLivePower,
    HemSystem,
    HomeBattery,
    HomeBatteryStatusLog,
    Inverter,
    InverterMake,
    InverterModel,
    InverterStatusLog,
    Location,
    LocationDetail,
    Notification,
    Schedule,
    Schedules,
    SolarArray,
    SolarForecast,
    SolarForecastLog,
    StateOfCharge,
    Supplier,
    Tariff,
    TariffPrice,
    UsageInterval,
    User,
    Vehicle,
    VehicleLocationLog,
    VehicleMake,
    VehicleModel,
    VehicleReconnection,
    VehicleStatusLog,
    VehicleTrim,
)
from tests.openapi import Spec

from .conftest import FakeApi
from .endpoints import ENDPOINTS, concrete_path

SCHEMA_MODELS: dict[str, type[EvEnergyModel]] = {
    "User": User,
    "Location": Location,
    "LocationDetail": LocationDetail,
    "EVSE": Evse,
    "EVSEStatusLog": EvseStatusLog,
    "EVSEConnectivity": EvseConnectivity,
    "EVSEMake": EvseMake,
    "EVSEModel": EvseModel,
    "EVSESite": EvseSite,
    "Vehicle": Vehicle,
    "VehicleStatusLog": VehicleStatusLog,
    "VehicleLocationLog": VehicleLocationLog,
    "VehicleTrim": VehicleTrim,
    "VehicleModel": VehicleModel,
    "VehicleMake": VehicleMake,
    "VehicleStateOfCharge": StateOfCharge,
    "VehicleReconnectionUrl": VehicleReconnection,
    "Inverter": Inverter,
    "InverterMake": InverterMake,
    "InverterModel": InverterModel,
    "InverterStatusLog": InverterStatusLog,
    "SolarArray": SolarArray,
    "SolarForecast": SolarForecast,
    "SolarForecastLog": SolarForecastLog,
    "ChargingSession": ChargingSession,
    "ChargingSubSession": ChargingSubSession,
    "EnergyUsage": EnergyUsage,
    "UsageInterval": UsageInterval,
    "Schedules": Schedules,
    "ScheduleInterval": Schedule,
    "Supplier": Supplier,
    "Tariff": Tariff,
    "TariffDetail": Tariff,
    "Price": TariffPrice,
    "CarbonFeed": CarbonFeed,
    "CarbonIntensity": CarbonIntensity,
    "HomeBattery": HomeBattery,
    "HomeBatteryStatusLog": HomeBatteryStatusLog,
    "HEMSystem": HemSystem,
    "HEMSystemLivePower": HemLivePower,
    "HEMSystemEnergyStatsBucket": HemEnergyStatsBucket,
    "HEMSystemEnergyStatsResponse": HemEnergyStats,
    "BoundaryMeter": BoundaryMeter,
    "BoundaryMeterStatusLog": BoundaryMeterStatusLog,
    "Notification": Notification,
}

# Which exception each documented error status must become.
ERROR_CLASSES: dict[int, type[EvEnergyError]] = {
    400: EvEnergyBadRequestError,
    409: EvEnergyConflictError,
    429: EvEnergyRateLimitError,
    503: EvEnergyDeviceUnreachableError,
}


@pytest.fixture(scope="module")
def spec(openapi_spec: dict[str, Any]) -> Spec:
    return Spec(openapi_spec)


def test_every_endpoint_is_in_the_spec(spec: Spec) -> None:
    missing = [key for key in ENDPOINTS if key[0] not in spec.document["paths"].get(key[1], {})]
    assert missing == []


async def test_success_examples_parse_through_the_client(
    spec: Spec, fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    served = 0
    for (method, path), call in ENDPOINTS.items():
        for status, example in spec.examples(method, path, success=True):
            fake_api.json(method.upper(), concrete_path(path), example, status=status)
            result = await call(fake_client)
            assert result is not None, (method, path)
            if isinstance(example, list):
                assert len(result) == len(example), (method, path)
            served += 1
    # The spec has 2xx examples for only 9 of our operations (root, EVSE, connectivity,
    # notifications, solar arrays, inverters list and detail, solar forecasts list and
    # detail); make sure we saw them.
    assert served >= 9


async def test_solar_forecast_examples_keep_their_location(
    spec: Spec, fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    examples = spec.examples("get", "/solar_forecasts/{solar_forecast_id}", success=True)
    assert examples
    for _status, example in examples:
        fake_api.json("GET", f"/solar_forecasts/{example['id']}", example)
        forecast = await fake_client.get_solar_forecast(example["id"])
        assert forecast.id == example["id"]
        assert forecast.location is not None
        assert forecast.location.latitude == example["location"]["latitude"]
        assert forecast.location.longitude == example["location"]["longitude"]


async def test_error_examples_become_typed_exceptions(
    spec: Spec, fake_api: FakeApi, fake_client: EvEnergyClient
) -> None:
    checked = 0
    for (method, path), call in ENDPOINTS.items():
        for status, example in spec.examples(method, path, success=False):
            if not isinstance(example, dict):
                continue
            fake_api.json(method.upper(), concrete_path(path), example, status=status)
            with pytest.raises(EvEnergyError) as caught:
                await call(fake_client)
            assert caught.value.status == status
            assert caught.value.title == example.get("title")
            assert caught.value.detail == example.get("detail")
            assert caught.value.problem_type == example.get("type")
            if status in ERROR_CLASSES:
                assert isinstance(caught.value, ERROR_CLASSES[status])
            checked += 1
    assert checked >= 50


@pytest.mark.parametrize("schema_name", sorted(SCHEMA_MODELS))
def test_models_have_every_spec_property(spec: Spec, schema_name: str) -> None:
    model = SCHEMA_MODELS[schema_name]
    declared = set(spec.properties(spec.document["components"]["schemas"][schema_name]))
    ours = {field.name for field in fields(model)}  # type: ignore[arg-type]
    assert declared - ours == set()


@pytest.mark.parametrize("schema_name", sorted(SCHEMA_MODELS))
def test_spec_property_examples_parse_into_filled_fields(spec: Spec, schema_name: str) -> None:
    model = SCHEMA_MODELS[schema_name]
    example = spec.example_of(spec.document["components"]["schemas"][schema_name])
    assert isinstance(example, dict)
    example.setdefault("id", "test0000000000000000000000000")
    parsed = model.from_dict(example)
    empty = [name for name in example if getattr(parsed, name, "absent") is None]
    assert empty == []


@pytest.mark.parametrize("schema_name", sorted(SCHEMA_MODELS))
def test_schema_level_examples_parse(spec: Spec, schema_name: str) -> None:
    schema = spec.document["components"]["schemas"][schema_name]
    examples = list(schema.get("examples", []))
    if "example" in schema:
        examples.append(schema["example"])
    for example in examples:
        SCHEMA_MODELS[schema_name].from_dict({"id": "test0", **example})
