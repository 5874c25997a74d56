"""Parsing rules of the models, on hand-written payloads the spec does not cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from mashumaro.exceptions import InvalidFieldValue
import pytest

from custom_components.ev_energy.api import (
    ChargingSession,
    ChargingSubSession,
    EnergyUsage,
    EvseMake,
    EvseMode,
    EvseModel,
    EvseStatusLog,
    IntegrationStatus,
    LockMode,
    SolarForecast,
    SolarForecastLog,
    Tariff,
    UsageInterval,
    UserDetail,
    Vehicle,
    VehicleLocationLog,
    VehicleReconnection,
    parse_datetime,
    resource_id,
)
from custom_components.ev_energy.api.models.base import describe_parse_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-17T09:39:45.984584Z", datetime(2024, 4, 17, 9, 39, 45, 984584, tzinfo=UTC)),
        ("2024-04-17T09:39:45Z", datetime(2024, 4, 17, 9, 39, 45, tzinfo=UTC)),
        ("2024-04-17T09:39:45", datetime(2024, 4, 17, 9, 39, 45, tzinfo=UTC)),
        ("2024-04-17T09:39:45.5Z", datetime(2024, 4, 17, 9, 39, 45, 500000, tzinfo=UTC)),
        (
            "2024-04-17T10:39:45+01:00",
            datetime(2024, 4, 17, 10, 39, 45, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_timestamps_become_aware_datetimes(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert EvseStatusLog.from_dict({"sampled_at": text}).sampled_at == expected


def test_unknown_enum_value_maps_to_unknown_and_keeps_the_raw_string() -> None:
    log = EvseStatusLog.from_dict({"mode": "Hyperdrive", "url": "u"})
    assert log.mode is EvseMode.UNKNOWN
    assert log.mode_raw == "Hyperdrive"
    vehicle = Vehicle.from_dict({"id": "v", "integrated": "SUSPENDED", "lock": 1})
    assert vehicle.integrated is IntegrationStatus.UNKNOWN
    assert vehicle.integrated_raw == "SUSPENDED"


def test_known_and_null_enum_values() -> None:
    log = EvseStatusLog.from_dict({"mode": "Load match", "control_pilot_status": None})
    assert log.mode is EvseMode.LOAD_MATCH
    assert log.mode_raw == "Load match"
    assert log.control_pilot_status is None
    assert log.control_pilot_status_raw is None
    # A non-string value is not a known member either; there is no string to keep.
    assert EvseStatusLog.from_dict({"mode": 3}).mode is EvseMode.UNKNOWN


def test_only_id_is_required_and_unknown_fields_are_ignored() -> None:
    vehicle = Vehicle.from_dict({"id": "vhcl1", "brand_new_field": {"x": 1}})
    assert vehicle.id == "vhcl1"
    assert vehicle.url is None
    assert vehicle.maximum_charge_limit_percentage is None
    with pytest.raises(Exception, match="id"):
        Vehicle.from_dict({"url": "https://api.ev.energy/v2/vehicles/vhcl1"})


def test_expandable_fields_accept_url_or_object() -> None:
    as_url = EvseModel.from_dict(
        {"id": "emod1", "make": "https://api.ev.energy/v2/evse_makes/emak1"}
    )
    as_object = EvseModel.from_dict({"id": "emod1", "make": {"id": "emak1", "name": "Zappi"}})
    assert as_url.make == "https://api.ev.energy/v2/evse_makes/emak1"
    assert isinstance(as_object.make, EvseMake)
    assert as_object.make.name == "Zappi"
    assert resource_id(as_url.make) == resource_id(as_object.make) == "emak1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "https://api.ev.energy/v2/evses/evse01HSH04KDEWF6Z4DB2J77J74K5",
            "evse01HSH04KDEWF6Z4DB2J77J74K5",
        ),
        ("https://api.ev.energy/v2/evse/evse01/", "evse01"),
        ("https://api.ev.energy/v2/evses/evse01?expand=model#x", "evse01"),
        ("evse01", "evse01"),
        ("https://api.ev.energy", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_resource_id(value: object, expected: str | None) -> None:
    assert resource_id(value) == expected


def test_older_field_spellings_are_read() -> None:
    assert EvseMake.from_dict({"id": "emak1", "models": "https://m"}).evse_models == "https://m"
    newer_wins = EvseMake.from_dict({"id": "emak1", "models": "old", "evse_models": "new"})
    assert newer_wins.evse_models == "new"
    link = VehicleReconnection.from_dict({"url": "https://x", "expiry": "2022-11-03T20:26:10Z"})
    assert link.expires_at == datetime(2022, 11, 3, 20, 26, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "v", "battery_size_watt_hours": "75000"},
        {"id": "v", "smart_charging_enabled": "yes"},
        {"id": "v", "maximum_charge_limit_percentage": True},
        {"id": 7},
        {"id": "v", "integrated": "ACTIVE", "latest_status_log": {"sampled_at": 17}},
    ],
)
def test_wrong_scalar_types_fail_the_parse(payload: dict[str, object]) -> None:
    # Mashumaro's InvalidFieldValue is a ValueError naming the field.
    with pytest.raises(ValueError, match="Field"):
        Vehicle.from_dict(payload)


def test_a_string_where_a_list_belongs_fails_instead_of_splitting_into_characters() -> None:
    with pytest.raises(TypeError, match="expected a list"):
        UserDetail.from_dict({"id": "u", "vehicles": "https://v"})
    # Where the spec allows URL-or-list, a string is fine.
    assert Tariff.from_dict({"id": "t", "prices": "https://p"}).prices == "https://p"


def test_user_detail_has_the_location_carbon_intensity() -> None:
    user = UserDetail.from_dict(
        {
            "id": "user1",
            "default_location": {
                "country_code": "GB",
                "coordinates": {"latitude": 51.5, "longitude": -0.1},
                "current_carbon_intensity_grams_per_kilowatt_hour": 123,
                "tariff": "https://api.ev.energy/v2/tariffs/tari1",
            },
        }
    )
    assert user.default_location is not None
    assert user.default_location.current_carbon_intensity_grams_per_kilowatt_hour == 123
    assert user.default_location.coordinates is not None
    assert user.default_location.coordinates.longitude == -0.1


def test_decimals_and_session_shapes() -> None:
    interval = UsageInterval.from_dict(
        {"electricity_cost_sub_unit": "12.3456", "energy_delivered_by_price": {"price": "0.25"}}
    )
    assert interval.electricity_cost_sub_unit == Decimal("12.3456")
    assert interval.energy_delivered_by_price is not None
    assert interval.energy_delivered_by_price[0].price == Decimal("0.25")
    # The spec's description has one entry per price: a list is read as well.
    tiers = UsageInterval.from_dict(
        {"energy_delivered_by_price": [{"price": "20"}, {"price": "50"}]}
    ).energy_delivered_by_price
    assert tiers is not None
    assert [tier.price for tier in tiers] == [Decimal(20), Decimal(50)]
    with pytest.raises(ValueError, match="electricity_cost_sub_unit"):
        UsageInterval.from_dict({"electricity_cost_sub_unit": "NaN"})
    session = ChargingSession.from_dict(
        {
            "id": "cses1",
            "end": None,
            "sub_sessions": ["https://s/csub1", {"id": "csub2", "mode": "BOOST"}],
        }
    )
    assert session.end is None
    assert session.sub_sessions is not None
    assert session.sub_sessions[0] == "https://s/csub1"
    assert isinstance(session.sub_sessions[1], ChargingSubSession)
    assert session.sub_sessions[1].mode == "BOOST"


def test_models_are_immutable() -> None:
    evse_log = EvseStatusLog.from_dict({"is_charging": True})
    with pytest.raises(AttributeError):
        evse_log.is_charging = False  # type: ignore[misc]
    assert LockMode("LOCKED") is LockMode.LOCKED


@pytest.mark.parametrize(
    ("model", "payload", "message"),
    [
        (EvseStatusLog, {"sampled_at": 1700000000}, "ISO 8601 string"),
        (Tariff, {"id": "t", "valid_from": 20240101}, "date string"),
        (
            UserDetail,
            {"id": "u", "default_location": {"coordinates": {"latitude": "51.5"}}},
            "number",
        ),
        (UsageInterval, {"electricity_cost_sub_unit": [1]}, "decimal string"),
        (UserDetail, {"id": "u", "default_location": "https://somewhere"}, "JSON object"),
        (ChargingSession, {"id": "c", "sub_sessions": "https://s"}, "list"),
        (ChargingSession, {"id": "c", "sub_sessions": [7]}, "JSON object"),
        (Tariff, {"id": "t", "prices": {"started_at": "2024-01-01T00:00:00Z"}}, "URL or a list"),
        (Tariff, {"id": "t", "daily_prices": {"peak": {"times": {"start": "x"}}}}, "list"),
        (ChargingSubSession, {"id": "c", "flags": 3}, "URL or an object"),
        (ChargingSubSession, {"id": "c", "grid_feeds": "https://g"}, "list"),
        (ChargingSubSession, {"id": "c", "grid_feeds": [1]}, "URL or an object"),
    ],
)
def test_malformed_values_fail_with_a_reason(
    model: type[Vehicle], payload: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="Field") as caught:
        model.from_dict(payload)
    # Mashumaro names the field; our deserializer's reason is in the chain.
    reasons = []
    error: BaseException | None = caught.value
    while error is not None:
        reasons.append(str(error))
        error = error.__cause__ or error.__context__
    assert any(message in reason for reason in reasons), reasons


def test_a_model_needs_an_object() -> None:
    with pytest.raises(TypeError, match="expected a JSON object"):
        Vehicle.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_url_or_list_and_raw_expansions() -> None:
    tariff = Tariff.from_dict(
        {"id": "t", "prices": [{"started_at": "2026-11-21T00:00:00Z", "price_minor_units": 25}]}
    )
    assert isinstance(tariff.prices, list)
    assert tariff.prices[0].price_minor_units == 25
    sub = ChargingSubSession.from_dict(
        {"id": "c", "flags": {"flags": []}, "grid_feeds": ["https://g/1", {"id": "grfd1"}, None]}
    )
    assert sub.flags == {"flags": []}
    assert sub.grid_feeds == ["https://g/1", {"id": "grfd1"}]


def test_null_lists_of_objects_stay_null() -> None:
    assert ChargingSession.from_dict({"id": "c", "sub_sessions": None}).sub_sessions is None
    tariff = Tariff.from_dict(
        {"id": "t", "daily_prices": {"peak": {"price": "0.3", "times": None}}}
    )
    assert tariff.daily_prices is not None
    assert tariff.daily_prices.peak is not None
    assert tariff.daily_prices.peak.times is None


def test_salvaging_gives_up_only_the_nested_object_that_fails() -> None:
    vehicle, dropped = Vehicle.from_dict_salvaging(
        {
            "id": "vhcl1",
            "maximum_charge_limit_percentage": 80,
            "latest_status_log": {"sampled_at": "yesterday", "state_of_charge_percentage": 5},
            "trim": {"id": "vtrm1"},
        }
    )
    assert vehicle.id == "vhcl1"
    assert vehicle.maximum_charge_limit_percentage == 80
    assert vehicle.latest_status_log is None
    assert resource_id(vehicle.trim) == "vtrm1"  # the nested object that parsed is kept
    assert dropped == {
        "latest_status_log": "VehicleStatusLog.sampled_at: invalid value (ValueError)"
    }


def test_salvaging_a_model_that_parses_drops_nothing() -> None:
    vehicle, dropped = Vehicle.from_dict_salvaging({"id": "vhcl1", "trim": "https://t/vtrm1"})
    assert vehicle == Vehicle.from_dict({"id": "vhcl1", "trim": "https://t/vtrm1"})
    assert dropped == {}


@pytest.mark.parametrize(
    ("model", "payload", "field", "reason"),
    [
        (
            ChargingSession,
            {"id": "c", "sub_sessions": {"id": "s"}},
            "sub_sessions",
            "expected a list, got dict",
        ),
        (
            EnergyUsage,
            {"url": "https://u", "intervals": {"start": "x"}},
            "intervals",
            "expected a list, got dict",
        ),
        (
            ChargingSession,
            {"id": "c", "sub_sessions": ["https://s/1", {"mode": "SMART"}]},
            "sub_sessions",
            "ChargingSubSession.id: missing",
        ),
    ],
)
def test_salvaging_drops_a_nested_list_whole(
    model: type[ChargingSession], payload: dict[str, object], field: str, reason: str
) -> None:
    parsed, dropped = model.from_dict_salvaging(payload)
    assert getattr(parsed, field) is None
    assert dropped == {field: reason}


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "vhcl1", "maximum_charge_limit_percentage": "80"},  # the item's own field
        {"latest_status_log": {"sampled_at": "yesterday"}},  # no id: nothing to salvage
        {"id": "vhcl1", "trim": 7},  # not nested JSON: not a nested object to give up
    ],
)
def test_salvaging_still_fails_for_the_item_itself(payload: dict[str, object]) -> None:
    with pytest.raises((ValueError, LookupError), match="Field"):
        Vehicle.from_dict_salvaging(payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"maximum_charge_limit_percentage": "secret"}, "Vehicle.id: missing"),
        (
            {"id": "v", "maximum_charge_limit_percentage": "secret"},
            "Vehicle.maximum_charge_limit_percentage: expected an integer, got str",
        ),
        (
            {"id": "v", "latest_status_log": {"sampled_at": "secret"}},
            "Vehicle.latest_status_log.sampled_at: invalid value (ValueError)",
        ),
    ],
)
def test_parse_errors_are_described_without_values(payload: dict[str, object], reason: str) -> None:
    with pytest.raises((ValueError, LookupError), match="Field") as caught:
        Vehicle.from_dict(payload)
    assert describe_parse_error(caught.value) == reason


def test_parse_errors_without_a_field_or_a_cause() -> None:
    assert describe_parse_error(ValueError("secret")) == "invalid value (ValueError)"
    bare = InvalidFieldValue("cpid", str, "secret", EvseModel)
    assert describe_parse_error(bare) == "EvseModel.cpid: invalid value"


def test_location_log_at_home_may_be_null_or_missing() -> None:
    sampled = "2026-11-20T17:30:00Z"
    home = VehicleLocationLog.from_dict({"sampled_at": sampled, "at_home": True, "lat": 51.0})
    assert home.at_home is True
    assert home.sampled_at == datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    # null: the user has no home location; a log without the field says nothing either.
    assert VehicleLocationLog.from_dict({"at_home": None}).at_home is None
    assert VehicleLocationLog.from_dict({"sampled_at": sampled}).at_home is None
    expanded = VehicleLocationLog.from_dict({"vehicle": {"id": "vhcl1"}, "at_home": False})
    assert isinstance(expanded.vehicle, Vehicle)
    assert expanded.at_home is False
    with pytest.raises(ValueError, match="at_home"):
        VehicleLocationLog.from_dict({"at_home": "yes"})


def test_solar_forecast_and_its_logs_tolerate_nulls_and_expansion() -> None:
    forecast = SolarForecast.from_dict(
        {"id": "solf1", "location": {"latitude": 51.5, "longitude": -1}, "capacity": 4}
    )
    assert forecast.location is not None
    assert (forecast.location.latitude, forecast.location.longitude) == (51.5, -1.0)
    assert SolarForecast.from_dict({"id": "solf1", "location": None}).location is None
    log = SolarForecastLog.from_dict(
        {
            "started_at": "2026-11-20T12:00:00Z",
            "interval_seconds": 1800,
            "forecast_watts_per_kilowatt": 420,
            "solar_forecast": {"id": "solf1"},
        }
    )
    assert log.forecast_watts_per_kilowatt == 420
    assert log.sampled_at is None
    assert resource_id(log.solar_forecast) == "solf1"
    by_url = SolarForecastLog.from_dict({"solar_forecast": "https://x/v2/solar_forecasts/solf1"})
    assert resource_id(by_url.solar_forecast) == "solf1"
    with pytest.raises(ValueError, match="forecast_watts_per_kilowatt"):
        SolarForecastLog.from_dict({"forecast_watts_per_kilowatt": "420"})
