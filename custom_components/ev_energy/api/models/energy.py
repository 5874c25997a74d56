"""Solar inverters and arrays, home batteries, home energy management and boundary meters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import EvEnergyModel, expandable, nested, nested_list
from .enums import (
    BoundaryMeterStatus,
    EnergyStatsResolution,
    HomeBatteryOperationMode,
    HomeBatteryStatus,
    InverterStatus,
)
from .users import User


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterMake(EvEnergyModel):
    """A solar inverter manufacturer."""

    id: str
    url: str | None = None
    name: str | None = None
    icon: str | None = None
    onboarding_url: str | None = None
    inverter_models: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterModel(EvEnergyModel):
    """A solar inverter model."""

    id: str
    url: str | None = None
    name: str | None = None
    make: str | InverterMake | None = field(default=None, metadata=expandable(lambda: InverterMake))
    onboarding_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterStatusLog(EvEnergyModel):
    """One sample of an inverter: solar power in W (>= 0) and status."""

    url: str | None = None
    sampled_at: datetime | None = None
    logged_at: datetime | None = None
    inverter: str | Inverter | None = field(default=None, metadata=expandable(lambda: Inverter))
    solar_power_watts: int | None = None
    status: InverterStatus | None = None
    status_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Inverter(EvEnergyModel):
    """A solar inverter. The API has no inverter log list and no Wh counter."""

    id: str
    url: str | None = None
    model: str | InverterModel | None = field(
        default=None, metadata=expandable(lambda: InverterModel)
    )
    created_at: datetime | None = None
    latest_status_log: str | InverterStatusLog | None = field(
        default=None, metadata=expandable(lambda: InverterStatusLog)
    )
    onboarding_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarForecastSummary(EvEnergyModel):
    """Solar forecast until midnight (the API says: internal users only)."""

    solar_watt_hours_until_midnight: int | None = None
    percent_vehicle_battery_charge_until_midnight: int | None = None
    last_updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarArray(EvEnergyModel):
    """A solar array; capacity in W."""

    id: str
    url: str | None = None
    capacity_watts: int | None = None
    inverter: str | Inverter | None = field(default=None, metadata=expandable(lambda: Inverter))
    forecast: SolarForecastSummary | None = field(
        default=None, metadata=nested(lambda: SolarForecastSummary)
    )
    user: str | User | None = field(default=None, metadata=expandable(lambda: User))


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBatteryMake(EvEnergyModel):
    """A home battery manufacturer."""

    id: str
    url: str | None = None
    name: str | None = None
    icon: str | None = None
    onboarding_url: str | None = None
    models: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBatteryModel(EvEnergyModel):
    """A home battery model."""

    id: str
    url: str | None = None
    name: str | None = None
    make: str | HomeBatteryMake | None = field(
        default=None, metadata=expandable(lambda: HomeBatteryMake)
    )
    onboarding_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBatteryStatusLog(EvEnergyModel):
    """One sample of a home battery: Wh, %, W."""

    url: str | None = None
    sampled_at: datetime | None = None
    home_battery: str | HomeBattery | None = field(
        default=None, metadata=expandable(lambda: HomeBattery)
    )
    capacity_watt_hours: int | None = None
    state_of_charge_percentage: int | None = None
    charge_rate_watts: int | None = None
    discharge_limit_percentage: int | None = None
    status: HomeBatteryStatus | None = None
    status_raw: str | None = None
    operation_mode: HomeBatteryOperationMode | None = None
    operation_mode_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBattery(EvEnergyModel):
    """A home battery."""

    id: str
    url: str | None = None
    model: str | HomeBatteryModel | None = field(
        default=None, metadata=expandable(lambda: HomeBatteryModel)
    )
    created_at: datetime | None = None
    latest_status_log: str | HomeBatteryStatusLog | None = field(
        default=None, metadata=expandable(lambda: HomeBatteryStatusLog)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HemSystem(EvEnergyModel):
    """A home energy management system."""

    id: str
    url: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HemLivePower(EvEnergyModel):
    """Instantaneous power flows of a home, in W, and the battery's state of charge in %."""

    sampled_at: datetime | None = None
    generation_watts: int | None = None
    consumption_watts: int | None = None
    import_watts: int | None = None
    export_watts: int | None = None
    charge_watts: int | None = None
    discharge_watts: int | None = None
    solar_to_home_watts: int | None = None
    solar_to_battery_watts: int | None = None
    solar_to_grid_watts: int | None = None
    battery_to_home_watts: int | None = None
    battery_to_grid_watts: int | None = None
    grid_to_home_watts: int | None = None
    grid_to_battery_watts: int | None = None
    battery_state_of_charge_percentage: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HemEnergyStatsBucket(EvEnergyModel):
    """Energy flows of a home over one period, in Wh."""

    period_start: datetime | None = None
    period_end: datetime | None = None
    generation_wh: int | None = None
    consumption_wh: int | None = None
    import_wh: int | None = None
    export_wh: int | None = None
    charge_wh: int | None = None
    discharge_wh: int | None = None
    avg_battery_state_of_charge_percentage: int | None = None
    solar_to_home_wh: int | None = None
    solar_to_battery_wh: int | None = None
    solar_to_grid_wh: int | None = None
    battery_to_home_wh: int | None = None
    battery_to_grid_wh: int | None = None
    grid_to_home_wh: int | None = None
    grid_to_battery_wh: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HemEnergyStats(EvEnergyModel):
    """Energy statistics of a home between ``start`` and ``end``."""

    resolution: EnergyStatsResolution | None = None
    resolution_raw: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    buckets: list[HemEnergyStatsBucket] | None = field(
        default=None, metadata=nested_list(lambda: HemEnergyStatsBucket)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryMeterMake(EvEnergyModel):
    """A boundary (grid connection) meter manufacturer."""

    id: str
    url: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryMeterModel(EvEnergyModel):
    """A boundary meter model."""

    id: str
    url: str | None = None
    name: str | None = None
    make: str | BoundaryMeterMake | None = field(
        default=None, metadata=expandable(lambda: BoundaryMeterMake)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryMeterStatusLog(EvEnergyModel):
    """One sample of a boundary meter: power in W, positive importing, negative exporting."""

    url: str | None = None
    sampled_at: datetime | None = None
    boundary_meter: str | BoundaryMeter | None = field(
        default=None, metadata=expandable(lambda: BoundaryMeter)
    )
    power_watts: int | None = None
    status: BoundaryMeterStatus | None = None
    status_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryMeter(EvEnergyModel):
    """A meter at the home's grid connection."""

    id: str
    url: str | None = None
    model: str | BoundaryMeterModel | None = field(
        default=None, metadata=expandable(lambda: BoundaryMeterModel)
    )
    created_at: datetime | None = None
    latest_status_log: str | BoundaryMeterStatusLog | None = field(
        default=None, metadata=expandable(lambda: BoundaryMeterStatusLog)
    )
