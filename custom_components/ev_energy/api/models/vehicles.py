"""Vehicles, their catalogue (make/model/trim), status and location logs, state of charge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from .base import EvEnergyModel, expandable
from .enums import (
    ConnectorType,
    CurrentType,
    IntegrationStatus,
    StateOfChargeSource,
    VehicleClass,
    VehicleState,
)
from .users import User


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleMake(EvEnergyModel):
    """A vehicle manufacturer; ``models`` is the URL of its models."""

    id: str
    url: str | None = None
    name: str | None = None
    icon: str | None = None
    onboarding_url: str | None = None
    models: str | None = None
    subscription_name: str | None = None
    subscription_package: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleModel(EvEnergyModel):
    """A vehicle model."""

    id: str
    url: str | None = None
    name: str | None = None
    make: str | VehicleMake | None = field(default=None, metadata=expandable(lambda: VehicleMake))
    onboarding_url: str | None = None
    vehicle_trims: str | None = None
    default_battery_size_watt_hours: int | None = None
    default_connector_type: ConnectorType | None = None
    default_connector_type_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleTrim(EvEnergyModel):
    """A trim (variant) of a vehicle model."""

    id: str
    url: str | None = None
    name: str | None = None
    model: str | VehicleModel | None = field(
        default=None, metadata=expandable(lambda: VehicleModel)
    )
    battery_size_watt_hours: int | None = None
    onboarding_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleStatusLog(EvEnergyModel):
    """One telemetry sample of a vehicle; every reading may be null. There is no range field."""

    url: str | None = None
    logged_at: datetime | None = None
    sampled_at: datetime | None = None
    vehicle: str | Vehicle | None = field(default=None, metadata=expandable(lambda: Vehicle))
    state_of_charge_percentage: int | None = None
    is_charging: bool | None = None
    is_plugged_in: bool | None = None
    charge_rate_watts: int | None = None
    estimated_charge_rate_watts: int | None = None
    charge_level_watt_hours: int | None = None
    target_charge_level_percentage: int | None = None
    target_charge_level_watt_hours: int | None = None
    charge_energy_added_watt_hours: int | None = None
    minutes_to_full_charge: int | None = None
    current_type: CurrentType | None = None
    current_type_raw: str | None = None
    is_complete: bool | None = None
    odometer_meters: int | None = None
    data_source: str | None = None
    state: VehicleState | None = None
    state_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleLocationLog(EvEnergyModel):
    """When a vehicle's position was sampled and whether it was at home (never the position).

    ``at_home`` is None when the user has no home location.
    """

    url: str | None = None
    sampled_at: datetime | None = None
    logged_at: datetime | None = None
    vehicle: str | Vehicle | None = field(default=None, metadata=expandable(lambda: Vehicle))
    at_home: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle(EvEnergyModel):
    """A vehicle.

    ``integrated`` says whether ev.energy can talk to the car's cloud (``INACTIVE``
    means the user must reconnect); ``effective_battery_size_watt_hours`` is the
    degradation-adjusted capacity the scheduler uses.
    """

    id: str
    url: str | None = None
    trim: str | VehicleTrim | None = field(default=None, metadata=expandable(lambda: VehicleTrim))
    user: str | User | None = field(default=None, metadata=expandable(lambda: User))
    latest_status_log: str | VehicleStatusLog | None = field(
        default=None, metadata=expandable(lambda: VehicleStatusLog)
    )
    charging_sub_sessions: str | None = None
    integrated: IntegrationStatus | None = None
    integrated_raw: str | None = None
    battery_size_watt_hours: int | None = None
    effective_battery_size_watt_hours: int | None = None
    maximum_charge_limit_percentage: int | None = None
    description: str | None = None
    disabled: bool | None = None
    smart_charging_enabled: bool | None = None
    vehicle_class: VehicleClass | None = None
    vehicle_class_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateOfCharge(EvEnergyModel):
    """A vehicle's state of charge (%) and whether it was entered manually."""

    url: str | None = None
    vehicle: str | None = None
    state_of_charge_percentage: int | None = None
    source: StateOfChargeSource | None = None
    source_raw: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleReconnection(EvEnergyModel):
    """A link the user opens to reconnect their vehicle's account.

    The spec names the expiry ``expires_at`` but its example says ``expiry``; both are read.
    """

    url: str | None = None
    expires_at: datetime | None = None

    _FIELD_ALIASES: ClassVar[Mapping[str, str]] = {"expiry": "expires_at"}
