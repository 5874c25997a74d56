"""Every client endpoint, keyed by the spec operation it implements.

Shared by the spec-example, fuzz and simulator tests so that each walks the
same table; IDs are placeholders the FakeApi ignores.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from custom_components.ev_energy.api import EvEnergyClient

ID = "X1"
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 2, tzinfo=UTC)

Call = Callable[[EvEnergyClient], Awaitable[Any]]

ENDPOINTS: dict[tuple[str, str], Call] = {
    ("get", "/"): lambda c: c.get_root(),
    ("get", "/users"): lambda c: c.list_users(),
    ("get", "/users/{user_id}"): lambda c: c.get_user(ID),
    ("patch", "/users/{user_id}"): lambda c: c.update_user_tariff(ID, "https://t/tariffs/tari1"),
    ("get", "/evses"): lambda c: c.list_evses(expand=["model"]),
    ("get", "/evses/{evse_id}"): lambda c: c.get_evse(ID),
    ("get", "/evses/{evse_id}/status_logs"): lambda c: c.list_evse_status_logs(ID),
    ("get", "/evses/{evse_id}/connectivity"): lambda c: c.get_evse_connectivity(ID),
    ("get", "/evse_makes"): lambda c: c.list_evse_makes(),
    ("get", "/evse_makes/{evse_make_id}"): lambda c: c.get_evse_make(ID),
    ("get", "/evse_models"): lambda c: c.list_evse_models(),
    ("get", "/evse_models/{evse_model_id}"): lambda c: c.get_evse_model(ID),
    ("get", "/evse_sites"): lambda c: c.list_evse_sites(),
    ("get", "/evse_sites/{evse_site_id}"): lambda c: c.get_evse_site(ID),
    ("get", "/vehicles"): lambda c: c.list_vehicles(),
    ("get", "/vehicles/{vehicle_id}"): lambda c: c.get_vehicle(ID),
    ("patch", "/vehicles/{vehicle_id}"): lambda c: c.update_vehicle(
        ID, maximum_charge_limit_percentage=80
    ),
    ("get", "/vehicles/{vehicle_id}/status_logs"): lambda c: c.list_vehicle_status_logs(ID),
    ("get", "/vehicles/{vehicle_id}/location_logs"): lambda c: c.list_vehicle_location_logs(ID),
    ("get", "/vehicles/{vehicle_id}/state_of_charge"): lambda c: c.get_state_of_charge(ID),
    ("patch", "/vehicles/{vehicle_id}/state_of_charge"): lambda c: c.set_state_of_charge(ID, 40),
    ("post", "/vehicles/{vehicle_id}/reconnect"): lambda c: c.reconnect_vehicle(ID),
    ("get", "/vehicle_trims"): lambda c: c.list_vehicle_trims(),
    ("get", "/vehicle_trims/{vehicle_trim_id}"): lambda c: c.get_vehicle_trim(ID),
    ("get", "/vehicle_models"): lambda c: c.list_vehicle_models(),
    ("get", "/vehicle_models/{vehicle_model_id}"): lambda c: c.get_vehicle_model(ID),
    ("get", "/vehicle_makes"): lambda c: c.list_vehicle_makes(),
    ("get", "/vehicle_makes/{vehicle_make_id}"): lambda c: c.get_vehicle_make(ID),
    ("get", "/inverters"): lambda c: c.list_inverters(),
    ("get", "/inverters/{inverter_id}"): lambda c: c.get_inverter(ID),
    ("get", "/solar_arrays"): lambda c: c.list_solar_arrays(),
    ("get", "/solar_forecasts"): lambda c: c.list_solar_forecasts(),
    ("get", "/solar_forecasts/{solar_forecast_id}"): lambda c: c.get_solar_forecast(ID),
    ("get", "/solar_forecasts/{solar_forecast_id}/forecast_logs"): lambda c: (
        c.list_solar_forecast_logs(ID)
    ),
    ("get", "/charging_sessions"): lambda c: c.list_charging_sessions(),
    ("get", "/charging_sessions/{charging_session_id}"): lambda c: c.get_charging_session(ID),
    ("post", "/charging_sessions/{charging_session_id}/boost_start"): lambda c: c.boost_start(ID),
    ("post", "/charging_sessions/{charging_session_id}/boost_end"): lambda c: c.boost_end(ID),
    ("get", "/charging_sub_sessions"): lambda c: c.list_charging_sub_sessions(),
    ("get", "/charging_sub_sessions/{charging_sub_session_id}"): lambda c: (
        c.get_charging_sub_session(ID)
    ),
    ("get", "/charging_sub_sessions/{charging_sub_session_id}/energy_usage"): lambda c: (
        c.get_energy_usage(ID)
    ),
    ("get", "/charging_sub_sessions/{charging_sub_session_id}/schedules"): lambda c: (
        c.get_schedules(ID)
    ),
    ("get", "/tariffs/{tariff_id}"): lambda c: c.get_tariff(ID),
    ("get", "/tariffs/{tariff_id}/prices"): lambda c: c.list_tariff_prices(ID),
    ("get", "/carbon_feeds"): lambda c: c.list_carbon_feeds(),
    ("get", "/carbon_feeds/{carbon_feed_id}/carbon_intensities"): lambda c: (
        c.list_carbon_intensities(ID)
    ),
    ("get", "/home_batteries"): lambda c: c.list_home_batteries(),
    ("get", "/home_batteries/{home_battery_id}"): lambda c: c.get_home_battery(ID),
    ("get", "/home_batteries/{home_battery_id}/status_logs"): lambda c: (
        c.list_home_battery_status_logs(ID)
    ),
    ("get", "/hem_systems"): lambda c: c.list_hem_systems(),
    ("get", "/hem_systems/{hem_system_id}/live_power"): lambda c: c.get_hem_live_power(ID),
    ("get", "/hem_systems/{hem_system_id}/energy_stats"): lambda c: c.get_hem_energy_stats(
        ID, START, END, "PT30M"
    ),
    ("get", "/boundary_meters"): lambda c: c.list_boundary_meters(),
    ("get", "/webhook_portal"): lambda c: c.get_webhook_portal(),
    ("get", "/notifications"): lambda c: c.list_notifications(),
    ("patch", "/notifications/{notification_id}"): lambda c: c.mark_notification_read(ID),
}


def concrete_path(spec_path: str) -> str:
    """The spec path with every ``{parameter}`` replaced by the placeholder ID."""
    parts = [ID if part.startswith("{") else part for part in spec_path.split("/")]
    return "/".join(parts) or "/"
