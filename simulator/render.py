"""World objects to API JSON, with ``expand`` and absolute URLs on the simulator's origin."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from . import environment as env
from .timeutil import iso
from .world import (
    BoundaryMeter,
    BoundaryMeterStatusLog,
    CarbonFeed,
    ChargingSession,
    ChargingSubSession,
    Evse,
    EvseMake,
    EvseModel,
    EvseSite,
    EvseStatusLog,
    GridFeed,
    HemSystem,
    HomeBattery,
    HomeBatteryModel,
    HomeBatteryStatusLog,
    Inverter,
    InverterModel,
    InverterStatusLog,
    Notification,
    SolarArray,
    SolarForecast,
    SolarForecastLog,
    Supplier,
    Tariff,
    User,
    Vehicle,
    VehicleLocationLog,
    VehicleMake,
    VehicleModel,
    VehicleStatusLog,
    VehicleTrim,
    World,
)

type Json = dict[str, Any]
type Expand = frozenset[str]
NO_EXPAND: Expand = frozenset()

_LOG_KEYS = {"evse_id", "vehicle_id", "inverter_id", "home_battery_id", "boundary_meter_id"}


def child(expand: Expand, name: str) -> Expand:
    """Return the expansions below ``name`` (``model.make`` -> ``make`` for ``model``)."""
    prefix = name + "."
    return frozenset(e[len(prefix) :] for e in expand if e.startswith(prefix))


def normalize_expand(values: list[str]) -> Expand:
    """Split comma lists and add parents: ``model.make`` also expands ``model``."""
    result: set[str] = set()
    for value in values:
        for item in value.split(","):
            parts = item.strip().split(".")
            for depth in range(1, len(parts) + 1):
                result.add(".".join(parts[:depth]))
    result.discard("")
    return frozenset(result)


def _telemetry(log: object) -> Json:
    return {
        f.name: getattr(log, f.name)
        for f in fields(log)  # type: ignore[arg-type]
        if f.name not in _LOG_KEYS and f.name not in {"sampled_at", "logged_at"}
    }


class Renderer:
    """Renders world objects for one request (origin, time and world fixed)."""

    def __init__(self, world: World, origin: str, now: datetime, seed: int) -> None:
        """Render for requests served at ``origin`` at simulated time ``now``."""
        self.world = world
        self.base = origin + "/v2"
        self.now = now
        self.seed = seed

    def url(self, *parts: str) -> str:
        """Return an absolute API URL such as ``http://127.0.0.1:8099/v2/evses/evse...``."""
        return "/".join([self.base, *parts])

    # ---------------------------------------------------------------- users
    def user(self, user: User, expand: Expand = NO_EXPAND, *, detail: bool = False) -> Json:
        """Render a User (``detail`` adds the LocationDetail carbon intensity)."""
        location_expand = child(expand, "default_location")
        tariff: Any = None
        if user.tariff_id is not None:
            tariff = self.url("tariffs", user.tariff_id)
            if "tariff" in location_expand:
                tariff = self.tariff(
                    self.world.tariffs[user.tariff_id], child(location_expand, "tariff")
                )
        site: Any = None
        if user.evse_site_id is not None:
            site = self.url("evse_sites", user.evse_site_id)
            if "evse_site" in location_expand:
                site = self.evse_site(self.world.evse_sites[user.evse_site_id])
        location: Json = {
            "address_1": user.address_1,
            "address_2": None,
            "postal_code": user.postal_code,
            "country_code": user.country_code,
            "coordinates": {"latitude": user.latitude, "longitude": user.longitude},
            "tariff": tariff,
            "city": user.city,
            "state": None,
            "evse_site": site,
        }
        if detail:
            location["current_carbon_intensity_grams_per_kilowatt_hour"] = env.carbon_intensity(
                self.seed, self.now
            )
        return {
            "id": user.id,
            "url": self.url("users", user.id),
            "email": user.email,
            "full_name": user.full_name,
            "joined_at": iso(user.joined_at),
            "terms_consent_datetime": (
                iso(user.terms_consent_datetime) if user.terms_consent_datetime else None
            ),
            "default_location": location,
            "vehicles": [
                self.url("vehicles", v.id)
                for v in self.world.vehicles.values()
                if v.user_id == user.id
            ],
            "evses": [
                self.url("evses", e.id) for e in self.world.evses.values() if e.user_id == user.id
            ],
        }

    def _user_ref(self, user_id: str, expand: Expand) -> Any:
        if "user" in expand:
            return self.user(self.world.users[user_id], child(expand, "user"))
        return self.url("users", user_id)

    # ---------------------------------------------------------------- evses
    def evse(self, evse: Evse, expand: Expand = NO_EXPAND) -> Json:
        """Render an EVSE."""
        model: Any = self.url("evse_models", evse.model_id)
        if "model" in expand:
            model = self.evse_model(self.world.evse_models[evse.model_id], child(expand, "model"))
        logs = self.world.evse_logs.get(evse.id) or []
        latest: Any = None
        if logs:
            latest = (
                self.evse_log(logs[-1])
                if "latest_status_log" in expand
                else self.evse_log_url(logs[-1])
            )
        return {
            "id": evse.id,
            "url": self.url("evses", evse.id),
            "cpid": evse.cpid,
            "model": model,
            "user": self._user_ref(evse.user_id, expand),
            "latest_status_log": latest,
            "ct_clamp": None,
            "lock_mode": evse.lock_mode,
            "location": {"latitude": evse.latitude, "longitude": evse.longitude},
            "lifecycle_state": evse.lifecycle_state,
            "charging_sub_sessions": self.url("charging_sub_sessions") + f"?evse_id={evse.id}",
        }

    def evse_log_url(self, log: EvseStatusLog) -> str:
        """Return the detail URL of a charger status log (keyed by ``sampled_at``)."""
        return self.url("evses", log.evse_id, "status_logs", iso(log.sampled_at))

    def evse_log(self, log: EvseStatusLog, expand: Expand = NO_EXPAND) -> Json:
        """Render an EVSEStatusLog."""
        evse: Any = self.url("evses", log.evse_id)
        if "evse" in expand and log.evse_id in self.world.evses:
            evse = self.evse(self.world.evses[log.evse_id], child(expand, "evse"))
        return {
            "url": self.evse_log_url(log),
            "sampled_at": iso(log.sampled_at),
            "logged_at": iso(log.logged_at),
            "evse": evse,
            **_telemetry(log),
        }

    def evse_make(self, make: EvseMake) -> Json:
        """Render an EVSEMake."""
        return {
            "id": make.id,
            "url": self.url("evse_makes", make.id),
            "name": make.name,
            "display_name": make.display_name,
            "icon": None,
            "onboarding_url": None,
            "is_beta": make.is_beta,
            "evse_models": self.url("evse_models") + f"?make_id={make.id}",
        }

    def evse_model(self, model: EvseModel, expand: Expand = NO_EXPAND) -> Json:
        """Render an EVSEModel."""
        make: Any = self.url("evse_makes", model.make_id)
        if "make" in expand:
            make = self.evse_make(self.world.evse_makes[model.make_id])
        return {
            "id": model.id,
            "url": self.url("evse_models", model.id),
            "name": model.name,
            "make": make,
            "display_name": model.display_name,
            "onboarding_url": None,
        }

    def evse_site(self, site: EvseSite) -> Json:
        """Render an EVSESite."""
        return {
            "id": site.id,
            "url": self.url("evse_sites", site.id),
            "evses": [self.url("evses", e) for e in site.evse_ids if e in self.world.evses],
            "cpms_connection": None,
            "cpms_connection_display_name": None,
            "user_connected": None,
        }

    # ------------------------------------------------------------- vehicles
    def vehicle(self, vehicle: Vehicle, expand: Expand = NO_EXPAND) -> Json:
        """Render a Vehicle."""
        trim: Any = self.url("vehicle_trims", vehicle.trim_id)
        if "trim" in expand:
            trim = self.vehicle_trim(
                self.world.vehicle_trims[vehicle.trim_id], child(expand, "trim")
            )
        logs = self.world.vehicle_logs.get(vehicle.id) or []
        latest: Any = None
        if logs:
            latest = (
                self.vehicle_log(logs[-1])
                if "latest_status_log" in expand
                else self.vehicle_log_url(logs[-1])
            )
        return {
            "id": vehicle.id,
            "url": self.url("vehicles", vehicle.id),
            "trim": trim,
            "user": self._user_ref(vehicle.user_id, expand),
            "latest_status_log": latest,
            "charging_sub_sessions": self.url("charging_sub_sessions")
            + f"?vehicle_id={vehicle.id}",
            "integrated": vehicle.integrated,
            "battery_size_watt_hours": vehicle.battery_size_watt_hours,
            "effective_battery_size_watt_hours": vehicle.effective_battery_size_watt_hours,
            "maximum_charge_limit_percentage": vehicle.maximum_charge_limit_percentage,
            "description": vehicle.description,
            "disabled": vehicle.disabled,
            "smart_charging_enabled": vehicle.smart_charging_enabled,
            "vehicle_class": vehicle.vehicle_class,
        }

    def vehicle_log_url(self, log: VehicleStatusLog) -> str:
        """Return the detail URL of a car status log."""
        return self.url("vehicles", log.vehicle_id, "status_logs", iso(log.sampled_at))

    def _vehicle_ref(self, vehicle_id: str, expand: Expand) -> Any:
        if "vehicle" in expand and vehicle_id in self.world.vehicles:
            return self.vehicle(self.world.vehicles[vehicle_id], child(expand, "vehicle"))
        return self.url("vehicles", vehicle_id)

    def vehicle_log(self, log: VehicleStatusLog, expand: Expand = NO_EXPAND) -> Json:
        """Render a VehicleStatusLog."""
        return {
            "url": self.vehicle_log_url(log),
            "logged_at": iso(log.logged_at),
            "sampled_at": iso(log.sampled_at),
            "vehicle": self._vehicle_ref(log.vehicle_id, expand),
            **_telemetry(log),
        }

    def vehicle_location_log(self, log: VehicleLocationLog, expand: Expand = NO_EXPAND) -> Json:
        """Render a VehicleLocationLog: when, and whether at home (never the position)."""
        return {
            "url": self.url("vehicles", log.vehicle_id, "location_logs", iso(log.sampled_at)),
            "sampled_at": iso(log.sampled_at),
            "logged_at": iso(log.logged_at),
            "vehicle": self._vehicle_ref(log.vehicle_id, expand),
            "at_home": log.at_home,
        }

    def state_of_charge(self, vehicle: Vehicle) -> Json:
        """Render a VehicleStateOfCharge (manual value wins, else the connected car's)."""
        percentage: int | None = vehicle.manual_state_of_charge_percentage
        source: str | None = "MANUAL" if percentage is not None else None
        updated: datetime | None = vehicle.manual_state_of_charge_updated_at
        logs = self.world.vehicle_logs.get(vehicle.id) or []
        if percentage is None and logs:
            percentage, source, updated = (
                logs[-1].state_of_charge_percentage,
                "CONNECTED",
                logs[-1].sampled_at,
            )
        return {
            "url": self.url("vehicles", vehicle.id, "state_of_charge"),
            "vehicle": self.url("vehicles", vehicle.id),
            "state_of_charge_percentage": percentage,
            "source": source,
            "updated_at": iso(updated) if updated else None,
        }

    def vehicle_trim(self, trim: VehicleTrim, expand: Expand = NO_EXPAND) -> Json:
        """Render a VehicleTrim."""
        model: Any = self.url("vehicle_models", trim.model_id)
        if "model" in expand:
            model = self.vehicle_model(
                self.world.vehicle_models[trim.model_id], child(expand, "model")
            )
        return {
            "id": trim.id,
            "url": self.url("vehicle_trims", trim.id),
            "name": trim.name,
            "model": model,
            "battery_size_watt_hours": trim.battery_size_watt_hours,
            "onboarding_url": None,
        }

    def vehicle_model(self, model: VehicleModel, expand: Expand = NO_EXPAND) -> Json:
        """Render a VehicleModel."""
        make: Any = self.url("vehicle_makes", model.make_id)
        if "make" in expand:
            make = self.vehicle_make(self.world.vehicle_makes[model.make_id])
        return {
            "id": model.id,
            "url": self.url("vehicle_models", model.id),
            "name": model.name,
            "make": make,
            "onboarding_url": None,
            "vehicle_trims": self.url("vehicle_trims") + f"?model_id={model.id}",
            "default_battery_size_watt_hours": model.default_battery_size_watt_hours,
            "default_connector_type": model.default_connector_type,
        }

    def vehicle_make(self, make: VehicleMake) -> Json:
        """Render a VehicleMake."""
        return {
            "id": make.id,
            "url": self.url("vehicle_makes", make.id),
            "name": make.name,
            "icon": None,
            "onboarding_url": None,
            "models": self.url("vehicle_models") + f"?make_id={make.id}",
            "subscription_name": None,
            "subscription_package": None,
        }

    # --------------------------------------------------------- solar, home
    def inverter(self, inverter: Inverter, expand: Expand = NO_EXPAND) -> Json:
        """Render an Inverter."""
        logs = self.world.inverter_logs.get(inverter.id) or []
        latest: Any = None
        if logs:
            latest = (
                self.inverter_log(logs[-1])
                if "latest_status_log" in expand
                else self.url("inverters", inverter.id)
            )
        model: Any = self.url("inverter_models", inverter.model_id)
        if "model" in expand:
            model = self.inverter_model(
                self.world.inverter_models[inverter.model_id], child(expand, "model")
            )
        return {
            "id": inverter.id,
            "url": self.url("inverters", inverter.id),
            "model": model,
            "created_at": iso(inverter.created_at),
            "latest_status_log": latest,
            "onboarding_url": None,
        }

    def inverter_model(self, model: InverterModel, expand: Expand = NO_EXPAND) -> Json:
        """Render an InverterModel (and its make when expanded)."""
        make: Any = self.url("inverter_makes", model.make_id) if model.make_id else None
        if "make" in expand and model.make_id in self.world.inverter_makes:
            brand = self.world.inverter_makes[model.make_id]
            make = {
                "id": brand.id,
                "url": self.url("inverter_makes", brand.id),
                "name": brand.name,
                "icon": None,
                "onboarding_url": None,
                "inverter_models": self.url("inverter_models") + f"?make_id={brand.id}",
            }
        return {
            "id": model.id,
            "url": self.url("inverter_models", model.id),
            "name": model.name,
            "make": make,
            "onboarding_url": None,
        }

    def inverter_log(self, log: InverterStatusLog) -> Json:
        """Render an InverterStatusLog (there is no inverter log endpoint, so no ``url``)."""
        return {
            "sampled_at": iso(log.sampled_at),
            "logged_at": iso(log.logged_at),
            "inverter": self.url("inverters", log.inverter_id),
            **_telemetry(log),
        }

    def solar_array(self, array: SolarArray, expand: Expand = NO_EXPAND) -> Json:
        """Render a SolarArray."""
        inverter: Any = self.url("inverters", array.inverter_id) if array.inverter_id else None
        if "inverter" in expand and array.inverter_id in self.world.inverters:
            inverter = self.inverter(self.world.inverters[array.inverter_id])
        return {
            "id": array.id,
            "url": self.url("solar_arrays", array.id),
            "capacity_watts": array.capacity_watts,
            "inverter": inverter,
            "forecast": None,
            "user": self._user_ref(array.user_id, expand),
        }

    def solar_forecast(self, forecast: SolarForecast) -> Json:
        """Render a SolarForecast."""
        return {
            "id": forecast.id,
            "url": self.url("solar_forecasts", forecast.id),
            "location": {"latitude": forecast.latitude, "longitude": forecast.longitude},
        }

    def solar_forecast_log(self, log: SolarForecastLog, expand: Expand = NO_EXPAND) -> Json:
        """Render a SolarForecastLog (keyed by the start of its period)."""
        parent: Any = self.url("solar_forecasts", log.solar_forecast_id)
        if "solar_forecast" in expand and log.solar_forecast_id in self.world.solar_forecasts:
            parent = self.solar_forecast(self.world.solar_forecasts[log.solar_forecast_id])
        return {
            "url": self.url(
                "solar_forecasts", log.solar_forecast_id, "forecast_logs", iso(log.started_at)
            ),
            "started_at": iso(log.started_at),
            "sampled_at": iso(log.sampled_at),
            "interval_seconds": log.interval_seconds,
            "forecast_watts_per_kilowatt": log.forecast_watts_per_kilowatt,
            "solar_forecast": parent,
        }

    def home_battery(self, battery: HomeBattery, expand: Expand = NO_EXPAND) -> Json:
        """Render a HomeBattery."""
        logs = self.world.home_battery_logs.get(battery.id) or []
        latest: Any = None
        if logs:
            latest = (
                self.home_battery_log(logs[-1])
                if "latest_status_log" in expand
                else self.home_battery_log_url(logs[-1])
            )
        model: Any = self.url("home_battery_models", battery.model_id)
        if "model" in expand and battery.model_id in self.world.home_battery_models:
            model = self.home_battery_model(
                self.world.home_battery_models[battery.model_id], child(expand, "model")
            )
        return {
            "id": battery.id,
            "url": self.url("home_batteries", battery.id),
            "model": model,
            "created_at": iso(battery.created_at),
            "latest_status_log": latest,
        }

    def home_battery_model(self, model: HomeBatteryModel, expand: Expand = NO_EXPAND) -> Json:
        """Render a HomeBatteryModel (and its make when expanded)."""
        make: Any = self.url("home_battery_makes", model.make_id)
        if "make" in expand and model.make_id in self.world.home_battery_makes:
            brand = self.world.home_battery_makes[model.make_id]
            make = {
                "id": brand.id,
                "url": self.url("home_battery_makes", brand.id),
                "name": brand.name,
                "icon": None,
                "onboarding_url": None,
                "models": self.url("home_battery_models") + f"?make_id={brand.id}",
            }
        return {
            "id": model.id,
            "url": self.url("home_battery_models", model.id),
            "name": model.name,
            "make": make,
            "onboarding_url": None,
        }

    def home_battery_log_url(self, log: HomeBatteryStatusLog) -> str:
        """Return the detail URL of a home battery status log."""
        return self.url("home_batteries", log.home_battery_id, "status_logs", iso(log.sampled_at))

    def home_battery_log(self, log: HomeBatteryStatusLog, expand: Expand = NO_EXPAND) -> Json:
        """Render a HomeBatteryStatusLog."""
        battery: Any = self.url("home_batteries", log.home_battery_id)
        if "home_battery" in expand and log.home_battery_id in self.world.home_batteries:
            battery = self.home_battery(self.world.home_batteries[log.home_battery_id])
        return {
            "url": self.home_battery_log_url(log),
            "sampled_at": iso(log.sampled_at),
            "home_battery": battery,
            **_telemetry(log),
        }

    def hem_system(self, hem: HemSystem) -> Json:
        """Render a HEMSystem."""
        return {
            "id": hem.id,
            "url": self.url("hem_systems", hem.id),
            "created_at": iso(hem.created_at),
        }

    def boundary_meter(self, meter: BoundaryMeter, expand: Expand = NO_EXPAND) -> Json:
        """Render a BoundaryMeter."""
        logs = self.world.boundary_meter_logs.get(meter.id) or []
        latest: Any = None
        if logs:
            latest = (
                self.boundary_meter_log(logs[-1])
                if "latest_status_log" in expand
                else self.boundary_meter_log_url(logs[-1])
            )
        return {
            "id": meter.id,
            "url": self.url("boundary_meters", meter.id),
            "model": self.url("boundary_meter_models", meter.model_id),
            "created_at": iso(meter.created_at),
            "latest_status_log": latest,
        }

    def boundary_meter_log_url(self, log: BoundaryMeterStatusLog) -> str:
        """Return the detail URL of a boundary meter status log."""
        return self.url(
            "boundary_meters", log.boundary_meter_id, "status_logs", iso(log.sampled_at)
        )

    def boundary_meter_log(self, log: BoundaryMeterStatusLog) -> Json:
        """Render a BoundaryMeterStatusLog."""
        return {
            "url": self.boundary_meter_log_url(log),
            "sampled_at": iso(log.sampled_at),
            "boundary_meter": self.url("boundary_meters", log.boundary_meter_id),
            **_telemetry(log),
        }

    # -------------------------------------------------------------- tariffs
    def supplier(self, supplier: Supplier) -> Json:
        """Render a Supplier."""
        return {
            "id": supplier.id,
            "url": self.url("suppliers", supplier.id),
            "name": supplier.name,
            "icon": None,
            "highlighted": False,
        }

    def tariff(self, tariff: Tariff, expand: Expand = NO_EXPAND) -> Json:
        """Render a Tariff (three-rate, prices in major units as strings)."""
        supplier: Any = self.url("suppliers", tariff.supplier_id)
        if "supplier" in expand:
            supplier = self.supplier(self.world.suppliers[tariff.supplier_id])

        def summary(pence: int, times: list[tuple[str, str]]) -> Json:
            return {
                "price": f"{pence / 100:.2f}",
                "times": [{"start": start, "end": end} for start, end in times],
            }

        return {
            "id": tariff.id,
            "url": self.url("tariffs", tariff.id),
            "supplier": supplier,
            "name": tariff.name,
            "currency": tariff.currency,
            "highlighted": False,
            "type": "THREE_RATE",
            "daily_prices": {
                "peak": summary(env.PEAK_PENCE, [("16:00:00", "19:00:00")]),
                "mid_peak": summary(
                    env.MID_PEAK_PENCE,
                    [("00:00:00", "00:30:00"), ("04:30:00", "16:00:00"), ("19:00:00", "00:00:00")],
                ),
                "off_peak": summary(env.OFF_PEAK_PENCE, [("00:30:00", "04:30:00")]),
            },
            "timezone_name": tariff.timezone_name,
            "price_chart_url": None,
            "gsp_group": "_J",
            "valid_from": "2026-01-01",
            "valid_until": None,
            "scheduler_tariff": None,
        }

    def tariff_detail(self, tariff: Tariff, expand: Expand = NO_EXPAND) -> Json:
        """Render a TariffDetail (adds ``current_price`` and ``prices``)."""
        body = self.tariff(tariff, expand)
        body["current_price"] = env.tariff_price_pence(self.now)
        body["prices"] = self.url("tariffs", tariff.id, "prices")
        return body

    def price(self, started_at: datetime) -> Json:
        """Render a Price for the half hour starting at ``started_at``."""
        return {
            "started_at": iso(started_at),
            "interval_seconds": env.SLOT_SECONDS,
            "price_minor_units": env.tariff_price_pence(started_at),
        }

    def carbon_intensity(self, started_at: datetime) -> Json:
        """Render a CarbonIntensity for the half hour starting at ``started_at``."""
        created = min(started_at, self.now)
        return {
            "started_at": iso(started_at),
            "interval_seconds": env.SLOT_SECONDS,
            "co2_intensity_grams_per_kilowatt_hour": env.carbon_intensity(self.seed, started_at),
            "created_at": iso(created),
        }

    # ------------------------------------------------------------- sessions
    def session(self, session: ChargingSession, expand: Expand = NO_EXPAND) -> Json:
        """Render a ChargingSession."""
        vehicle: Any = self.url("vehicles", session.vehicle_id) if session.vehicle_id else None
        if "vehicle" in expand and session.vehicle_id in self.world.vehicles:
            vehicle = self.vehicle(self.world.vehicles[session.vehicle_id])
        evse: Any = self.url("evses", session.evse_id) if session.evse_id else None
        if "evse" in expand and session.evse_id in self.world.evses:
            evse = self.evse(self.world.evses[session.evse_id])
        subs: list[Any]
        if "sub_sessions" in expand:
            subs = [self.sub_session(self.world.sub_sessions[s]) for s in session.sub_session_ids]
        else:
            subs = [self.url("charging_sub_sessions", s) for s in session.sub_session_ids]
        return {
            "id": session.id,
            "url": self.url("charging_sessions", session.id),
            "start": iso(session.start),
            "end": iso(session.end) if session.end else None,
            "vehicle": vehicle,
            "evse": evse,
            "sub_sessions": subs,
        }

    def sub_session(self, sub: ChargingSubSession, expand: Expand = NO_EXPAND) -> Json:
        """Render a ChargingSubSession."""
        user = self.world.users.get(sub.user_id)
        energy = sub.energy_delivered_watt_hours
        solar = sub.solar_energy_delivered_watt_hours
        grid_kwh = (energy - solar) / 1000
        intensity = round(sub.co2_grams / grid_kwh) if grid_kwh > 0 else None
        vehicle = self.world.vehicles.get(sub.vehicle_id or "")
        percentage_added = None
        if vehicle is not None and sub.start_level_watt_hours is not None:
            percentage_added = round(100 * energy / vehicle.battery_size_watt_hours, 1)
        body: Json = {
            "id": sub.id,
            "url": self.url("charging_sub_sessions", sub.id),
            "start": iso(sub.start),
            "end": iso(sub.end) if sub.end else None,
            "mode": sub.mode,
            "vehicle": self._sub_ref("vehicle", sub.vehicle_id, expand),
            "evse": self._sub_ref("evse", sub.evse_id, expand),
            "energy_delivered_watt_hours": energy,
            "cost": round(sub.cost_pence),
            "location": {
                "name": "Home",
                "coordinates": {
                    "latitude": user.latitude if user else 0.0,
                    "longitude": user.longitude if user else 0.0,
                },
                "postal_code": user.postal_code if user else None,
                "address_1": user.address_1 if user else None,
                "timezone": "Europe/London",
            },
            "percentage_added": percentage_added,
            "currency": sub.currency,
            "savings_cost": None,
            "savings_co2_grams": None,
            "incentive_earned": None,
            "total_co2_grams": round(sub.co2_grams),
            "co2_intensity_grams_per_kilowatt_hour": intensity,
            "co2_intensity_classification": (
                env.carbon_classification(intensity) if intensity is not None else None
            ),
            "cost_per_kilowatt_hour": round(sub.cost_pence / grid_kwh) if grid_kwh > 0 else None,
            "total_points": 0,
            "total_points_missed": None,
            "duration_minutes": sub.charging_seconds // 60,
            "grid_energy_delivered_watt_hours": energy - solar,
            "solar_energy_delivered_watt_hours": solar,
            "labels": ["PRIMARY"],
            "energy_usage": self.url("charging_sub_sessions", sub.id, "energy_usage"),
            "schedules": self.url("charging_sub_sessions", sub.id, "schedules"),
            "assessment": self.url("charging_sub_sessions", sub.id, "assessment"),
            "flags": self.url("charging_sub_sessions", sub.id, "flags"),
            "debug_metadata": self.url("charging_sub_sessions", sub.id, "debug_metadata"),
            "tariff": self.url("tariffs", sub.tariff_id) if sub.tariff_id else None,
            "carbon_feed": self.url("carbon_feeds", sub.carbon_feed_id)
            if sub.carbon_feed_id
            else None,
            "grid_feeds": [self.url("grid_feeds", g) for g in self.world.grid_feeds],
            "solar_mode_type": "OFF",
        }
        if "energy_usage" in expand:
            body["energy_usage"] = self.energy_usage(sub)
        if "schedules" in expand:
            body["schedules"] = self.schedules(sub)
        if "tariff" in expand and sub.tariff_id in self.world.tariffs:
            body["tariff"] = self.tariff(self.world.tariffs[sub.tariff_id], child(expand, "tariff"))
        if "carbon_feed" in expand and sub.carbon_feed_id in self.world.carbon_feeds:
            body["carbon_feed"] = self.carbon_feed(self.world.carbon_feeds[sub.carbon_feed_id])
        if "grid_feeds" in expand:
            body["grid_feeds"] = [self.grid_feed(g) for g in self.world.grid_feeds.values()]
        return body

    def carbon_feed(self, feed: CarbonFeed) -> Json:
        """Render a CarbonFeed."""
        return {"id": feed.id, "url": self.url("carbon_feeds", feed.id), "name": feed.name}

    def grid_feed(self, feed: GridFeed) -> Json:
        """Render a GridFeed."""
        return {
            "id": feed.id,
            "url": self.url("grid_feeds", feed.id),
            "name": feed.name,
            "reference_code": feed.reference_code,
            "priority": feed.priority,
        }

    def _sub_ref(self, kind: str, object_id: str | None, expand: Expand) -> Any:
        if object_id is None:
            return None
        if kind in expand:
            if kind == "evse" and object_id in self.world.evses:
                return self.evse(self.world.evses[object_id], child(expand, kind))
            if kind == "vehicle" and object_id in self.world.vehicles:
                return self.vehicle(self.world.vehicles[object_id], child(expand, kind))
        return self.url(kind + "s", object_id)

    def energy_usage(self, sub: ChargingSubSession, min_wh: int | None = None) -> Json:
        """Render the EnergyUsage of a sub-session: when the energy flowed, per half hour."""
        intervals = []
        for usage in sorted(sub.intervals.values(), key=lambda u: u.started_at):
            watt_hours = usage.watt_hours
            if min_wh is not None and watt_hours <= min_wh:
                continue
            intervals.append(
                {
                    "interval_seconds": env.SLOT_SECONDS,
                    "started_at": iso(usage.started_at),
                    "total_energy_delivered_watt_hours": watt_hours,
                    "meter_usage_watt_hours": watt_hours,
                    "alt_usage_watt_hours": 0,
                    "percentage_import": usage.percentage_import,
                    # A rate (minor units per kWh), as the spec says, not the interval's cost.
                    "electricity_cost_sub_unit": str(usage.price_pence_per_kwh),
                    "energy_delivered_by_price": {
                        "price": str(usage.price_pence_per_kwh),
                        "energy_delivered_watt_hours": watt_hours,
                    },
                }
            )
        return {
            "url": self.url("charging_sub_sessions", sub.id, "energy_usage"),
            "currency": sub.currency,
            "charging_sub_session": self.url("charging_sub_sessions", sub.id),
            "intervals": intervals,
            "last_updated_at": iso(self.now),
        }

    def schedules(
        self,
        sub: ChargingSubSession,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
    ) -> Json:
        """Render the Schedules of a sub-session."""
        slots = [
            s
            for s in sub.schedule
            if (started_after is None or s.started_at >= started_after)
            and (started_before is None or s.started_at <= started_before)
        ]
        return {
            "url": self.url("charging_sub_sessions", sub.id, "schedules"),
            "charging_sub_session": self.url("charging_sub_sessions", sub.id),
            "schedules": [
                {
                    "started_at": iso(s.started_at),
                    "interval_seconds": s.interval_seconds,
                    "current_milliamps": s.current_milliamps,
                    "schedule_type": s.schedule_type,
                    "dispatched_at": iso(s.dispatched_at) if s.dispatched_at else None,
                    "created_at": iso(s.created_at),
                }
                for s in slots
            ],
        }

    # -------------------------------------------------------- notifications
    def notification(self, note: Notification) -> Json:
        """Render a Notification (``read_at``/``resolved_at`` only once set)."""
        body: Json = {
            "id": note.id,
            "url": self.url("notifications", note.id),
            "message_id": note.message_id,
            "category": note.category,
            "event_time": iso(note.event_time),
            "short_text_title": note.short_text_title,
            "short_text_body": note.short_text_body,
            "detail_page_title": note.detail_page_title,
            "detail_page_body": note.detail_page_body,
            "external_link": note.external_link,
            "external_button_label": note.external_button_label,
        }
        if note.read_at is not None:
            body["read_at"] = iso(note.read_at)
        if note.resolved_at is not None:
            body["resolved_at"] = iso(note.resolved_at)
        return body
