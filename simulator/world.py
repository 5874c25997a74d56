"""The simulated world as typed objects: what tests read as the truth.

Field names follow the ev.energy v2 spec wherever a field is served as-is, so that the
JSON renderer can copy them; fields that only drive the physics are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

JOULES_PER_WH = 3600


@dataclass
class User:
    """An ev.energy account holder."""

    id: str
    email: str
    full_name: str
    joined_at: datetime
    terms_consent_datetime: datetime | None
    address_1: str
    city: str
    postal_code: str
    country_code: str
    latitude: float
    longitude: float
    tariff_id: str | None
    carbon_feed_id: str
    evse_site_id: str | None = None

    @property
    def user_id(self) -> str:
        """Return the user's own ID (a user owns itself, for visibility checks)."""
        return self.id


@dataclass
class EvseMake:
    """A charger manufacturer."""

    id: str
    name: str
    display_name: str | None
    is_beta: bool = False


@dataclass
class EvseModel:
    """A charger model."""

    id: str
    name: str
    make_id: str
    display_name: str | None


@dataclass
class EvseSite:
    """A group of chargers (spec: EVSESite)."""

    id: str
    user_id: str
    evse_ids: list[str] = field(default_factory=list)


@dataclass
class VehicleMake:
    """A car manufacturer."""

    id: str
    name: str


@dataclass
class VehicleModel:
    """A car model."""

    id: str
    name: str
    make_id: str
    default_battery_size_watt_hours: int
    default_connector_type: str | None = "CCS"


@dataclass
class VehicleTrim:
    """A car trim (variant of a model)."""

    id: str
    name: str
    model_id: str
    battery_size_watt_hours: int | None


@dataclass
class Evse:
    """A charger (EVSE) and its physical state."""

    id: str
    cpid: str
    user_id: str
    model_id: str
    latitude: float
    longitude: float
    lock_mode: str | None = "UNLOCKED"
    lifecycle_state: str | None = "COMMISSIONED"
    max_power_watts: int = 7360
    max_current_rating_milliamps: int = 32000
    firmware_version: str = "3.2.1"
    ip_address: str = "10.0.0.20"
    iccid: str | None = None
    signal_strength_rssi_dbm: int = -61
    meter_offset_watt_hours: int = 0
    delivered_watt_hours: int = 0
    site_id: str | None = None
    # Physics: the car that parks here, whether the charger answers commands, and the
    # energy (J) delivered but not yet a whole Wh on the meter.
    vehicle_id: str | None = None
    reachable: bool = True
    carry_joules: int = 0


@dataclass
class Vehicle:
    """A car and its physical state."""

    id: str
    user_id: str
    trim_id: str
    integrated: str
    battery_size_watt_hours: int
    maximum_charge_limit_percentage: int
    description: str
    smart_charging_enabled: bool = True
    disabled: bool = False
    vehicle_class: str | None = "PASSENGER"
    manual_state_of_charge_percentage: int | None = None
    manual_state_of_charge_updated_at: datetime | None = None
    # Physics.
    charge_level_watt_hours: float = 0.0
    odometer_meters: float = 0.0
    home_evse_id: str | None = None
    at_home: bool = True
    plugged_in: bool = False
    departure_minute: int = 7 * 60 + 40
    arrival_minute: int = 17 * 60 + 20
    trip_start_level_watt_hours: float = 0.0
    trip_end_level_watt_hours: float = 0.0
    trip_start: datetime | None = None
    trip_end: datetime | None = None
    # The demo's "stay home": the routine does not drive the car away (a plug-in test is not undone).
    stay_home: bool = False

    @property
    def effective_battery_size_watt_hours(self) -> int:
        """Return the degradation-adjusted capacity the scheduler plans with."""
        return round(self.battery_size_watt_hours * 0.97)

    @property
    def state_of_charge_percentage(self) -> float:
        """Return the true state of charge (0..100)."""
        return 100 * self.charge_level_watt_hours / self.battery_size_watt_hours

    @property
    def limit_watt_hours(self) -> float:
        """Return the energy level at which charging stops."""
        return self.battery_size_watt_hours * self.maximum_charge_limit_percentage / 100

    @property
    def is_full(self) -> bool:
        """Return whether less than a whole Wh fits below the charge limit."""
        return self.limit_watt_hours - self.charge_level_watt_hours < 1


@dataclass
class InverterMake:
    """A solar inverter manufacturer."""

    id: str
    name: str


@dataclass
class InverterModel:
    """A solar inverter model."""

    id: str
    name: str
    make_id: str | None = None


@dataclass
class Inverter:
    """A solar inverter."""

    id: str
    user_id: str
    model_id: str
    created_at: datetime


@dataclass
class SolarArray:
    """Solar panels behind an inverter."""

    id: str
    user_id: str
    inverter_id: str | None
    capacity_watts: int


@dataclass
class SolarForecast:
    """A solar forecast for a place: predicted output per kW of panels (see ``Engine``)."""

    id: str
    user_id: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class SolarForecastLog:
    """One forecast period: the output per kW of capacity predicted at ``sampled_at``."""

    solar_forecast_id: str
    started_at: datetime
    sampled_at: datetime
    interval_seconds: int
    forecast_watts_per_kilowatt: int


@dataclass
class HomeBatteryMake:
    """A home battery manufacturer."""

    id: str
    name: str


@dataclass
class HomeBatteryModel:
    """A home battery model."""

    id: str
    name: str
    make_id: str


@dataclass
class HomeBattery:
    """A stationary home battery and its state."""

    id: str
    user_id: str
    model_id: str
    created_at: datetime
    capacity_watt_hours: int = 10000
    charge_level_watt_hours: float = 5000.0
    max_power_watts: int = 3000


@dataclass
class HemSystem:
    """A home energy management system (aggregates the home's flows)."""

    id: str
    user_id: str
    created_at: datetime


@dataclass
class BoundaryMeter:
    """The grid connection meter of a home."""

    id: str
    user_id: str
    model_id: str
    created_at: datetime


@dataclass
class Supplier:
    """An energy supplier."""

    id: str
    name: str


@dataclass
class Tariff:
    """A time-of-use tariff (prices come from ``environment.tariff_price_pence``)."""

    id: str
    name: str
    supplier_id: str
    currency: str = "GBP"
    timezone_name: str = "Europe/London"


@dataclass
class CarbonFeed:
    """A regional grid carbon intensity feed."""

    id: str
    name: str


@dataclass
class GridFeed:
    """A grid signal feed used by the scheduler."""

    id: str
    name: str
    reference_code: str
    priority: int = 5


@dataclass
class Notification:
    """An in-app notification."""

    id: str
    user_id: str
    message_id: str
    category: str
    event_time: datetime
    short_text_title: str
    short_text_body: str
    detail_page_title: str
    detail_page_body: str
    external_link: str | None
    external_button_label: str
    read_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class EvseStatusLog:
    """A charger sample; telemetry fields are named as in the spec."""

    evse_id: str
    sampled_at: datetime
    logged_at: datetime
    is_plugged_in: bool | None
    is_charging: bool | None
    charge_rate_watts: int | None
    export_power_watts: int | None
    control_pilot_status: str | None
    meter_reading_watt_hours: int | None
    is_enabled: bool | None
    max_current_rating_milliamps: int | None
    cable_current_rating_milliamps: int | None
    signal_strength_rssi_dbm: int | None
    inlet_power_watts: int | None
    voltage_millivolts: int | None
    state_of_charge_percentage: int | None
    mode: str | None


@dataclass(frozen=True)
class VehicleStatusLog:
    """A car sample; telemetry fields are named as in the spec."""

    vehicle_id: str
    sampled_at: datetime
    logged_at: datetime
    state_of_charge_percentage: int | None
    is_charging: bool | None
    is_plugged_in: bool | None
    charge_rate_watts: int | None
    estimated_charge_rate_watts: int | None
    charge_level_watt_hours: int | None
    target_charge_level_percentage: int | None
    target_charge_level_watt_hours: int | None
    charge_energy_added_watt_hours: int | None
    minutes_to_full_charge: int | None
    current_type: str | None
    is_complete: bool | None
    odometer_meters: int | None
    data_source: str | None
    state: str | None


@dataclass(frozen=True)
class VehicleLocationLog:
    """When a car's position was sampled; the API tells only whether it was at home."""

    vehicle_id: str
    sampled_at: datetime
    logged_at: datetime
    # None when the user has no home location (the spec's null).
    at_home: bool | None


@dataclass(frozen=True)
class InverterStatusLog:
    """A solar inverter sample."""

    inverter_id: str
    sampled_at: datetime
    logged_at: datetime
    solar_power_watts: int
    status: str


@dataclass(frozen=True)
class HomeBatteryStatusLog:
    """A home battery sample."""

    home_battery_id: str
    sampled_at: datetime
    logged_at: datetime
    capacity_watt_hours: int | None
    state_of_charge_percentage: int | None
    charge_rate_watts: int | None
    discharge_limit_percentage: int | None
    status: str
    operation_mode: str


@dataclass(frozen=True)
class BoundaryMeterStatusLog:
    """A grid meter sample (+ import, - export)."""

    boundary_meter_id: str
    sampled_at: datetime
    logged_at: datetime
    power_watts: int | None
    status: str


@dataclass
class ScheduleSlot:
    """One interval of a smart-charging schedule (spec: ScheduleInterval)."""

    started_at: datetime
    interval_seconds: int | None
    current_milliamps: int
    schedule_type: str
    created_at: datetime
    dispatched_at: datetime | None


@dataclass
class IntervalUsage:
    """Energy that flowed in one half-hour slot of a sub-session."""

    started_at: datetime
    watt_hours: int = 0
    solar_watt_hours: int = 0
    price_pence_per_kwh: int = 0

    @property
    def percentage_import(self) -> int:
        """Return the grid's share in whole percent, as ev.energy reports it (no energy: all grid)."""
        if not self.watt_hours:
            return 100
        return round(100 * (self.watt_hours - self.solar_watt_hours) / self.watt_hours)

    @property
    def reported_cost_pence(self) -> float:
        """Return what the reported figures say the interval cost: its grid share at the interval's rate."""
        return self.price_pence_per_kwh * self.watt_hours / 1000 * self.percentage_import / 100


@dataclass
class ChargingSubSession:
    """One contiguous mode period of a charging session."""

    id: str
    session_id: str
    user_id: str
    evse_id: str | None
    vehicle_id: str | None
    mode: str
    start: datetime
    tariff_id: str | None
    carbon_feed_id: str | None
    end: datetime | None = None
    currency: str = "GBP"
    energy_delivered_watt_hours: int = 0
    solar_energy_delivered_watt_hours: int = 0
    cost_pence: float = 0.0
    co2_grams: float = 0.0
    charging_seconds: int = 0
    start_level_watt_hours: float | None = None
    intervals: dict[datetime, IntervalUsage] = field(default_factory=dict)
    schedule: list[ScheduleSlot] = field(default_factory=list)


@dataclass
class ChargingSession:
    """One plug-in episode."""

    id: str
    user_id: str
    evse_id: str | None
    vehicle_id: str | None
    start: datetime
    end: datetime | None = None
    sub_session_ids: list[str] = field(default_factory=list)


@dataclass
class World:
    """Everything the simulator knows; the HTTP layer only reads and PATCHes this."""

    users: dict[str, User] = field(default_factory=dict)
    evse_makes: dict[str, EvseMake] = field(default_factory=dict)
    evse_models: dict[str, EvseModel] = field(default_factory=dict)
    evse_sites: dict[str, EvseSite] = field(default_factory=dict)
    vehicle_makes: dict[str, VehicleMake] = field(default_factory=dict)
    vehicle_models: dict[str, VehicleModel] = field(default_factory=dict)
    vehicle_trims: dict[str, VehicleTrim] = field(default_factory=dict)
    evses: dict[str, Evse] = field(default_factory=dict)
    vehicles: dict[str, Vehicle] = field(default_factory=dict)
    inverter_makes: dict[str, InverterMake] = field(default_factory=dict)
    inverter_models: dict[str, InverterModel] = field(default_factory=dict)
    inverters: dict[str, Inverter] = field(default_factory=dict)
    solar_arrays: dict[str, SolarArray] = field(default_factory=dict)
    solar_forecasts: dict[str, SolarForecast] = field(default_factory=dict)
    home_battery_makes: dict[str, HomeBatteryMake] = field(default_factory=dict)
    home_battery_models: dict[str, HomeBatteryModel] = field(default_factory=dict)
    home_batteries: dict[str, HomeBattery] = field(default_factory=dict)
    hem_systems: dict[str, HemSystem] = field(default_factory=dict)
    boundary_meters: dict[str, BoundaryMeter] = field(default_factory=dict)
    suppliers: dict[str, Supplier] = field(default_factory=dict)
    tariffs: dict[str, Tariff] = field(default_factory=dict)
    carbon_feeds: dict[str, CarbonFeed] = field(default_factory=dict)
    grid_feeds: dict[str, GridFeed] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)
    sessions: dict[str, ChargingSession] = field(default_factory=dict)
    sub_sessions: dict[str, ChargingSubSession] = field(default_factory=dict)
    evse_logs: dict[str, list[EvseStatusLog]] = field(default_factory=dict)
    vehicle_logs: dict[str, list[VehicleStatusLog]] = field(default_factory=dict)
    vehicle_location_logs: dict[str, list[VehicleLocationLog]] = field(default_factory=dict)
    inverter_logs: dict[str, list[InverterStatusLog]] = field(default_factory=dict)
    home_battery_logs: dict[str, list[HomeBatteryStatusLog]] = field(default_factory=dict)
    boundary_meter_logs: dict[str, list[BoundaryMeterStatusLog]] = field(default_factory=dict)

    def open_session_for_evse(self, evse_id: str) -> ChargingSession | None:
        """Return the session in progress on a charger, if any."""
        for session in reversed(self.sessions.values()):
            if session.evse_id == evse_id and session.end is None:
                return session
        return None

    def current_sub_session(self, session: ChargingSession) -> ChargingSubSession | None:
        """Return the open sub-session of a session, if any."""
        if not session.sub_session_ids:
            return None
        sub = self.sub_sessions[session.sub_session_ids[-1]]
        return sub if sub.end is None else None

    def evse_meter_watt_hours(self, evse_id: str) -> int:
        """Return the charger's meter: its offset plus all energy it delivered."""
        evse = self.evses[evse_id]
        return evse.meter_offset_watt_hours + evse.delivered_watt_hours
