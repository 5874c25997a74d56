"""Charging sessions (one plug-in), sub-sessions (one mode period), energy usage and schedules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .base import (
    EvEnergyModel,
    expandable,
    expandable_list,
    nested,
    nested_list,
    nested_one_or_list,
    url_or_raw,
)
from .carbon import CarbonFeed
from .enums import Co2IntensityClassification, ScheduleType, SolarModeType, SubSessionMode
from .evses import Evse
from .tariffs import Tariff
from .users import Coordinates
from .vehicles import Vehicle


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyDeliveredByPrice(EvEnergyModel):
    """Energy (Wh) delivered at one price (decimal, minor units per kWh)."""

    price: Decimal | None = None
    energy_delivered_watt_hours: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageInterval(EvEnergyModel):
    """Energy delivered in one interval; the only source of *when* energy flowed."""

    started_at: datetime | None = None
    interval_seconds: int | None = None
    total_energy_delivered_watt_hours: int | None = None
    meter_usage_watt_hours: int | None = None
    alt_usage_watt_hours: int | None = None
    percentage_import: int | None = None
    electricity_cost_sub_unit: Decimal | None = None
    # The spec types it as one object but describes one entry per price: both shapes are read as a list.
    energy_delivered_by_price: list[EnergyDeliveredByPrice] | None = field(
        default=None, metadata=nested_one_or_list(lambda: EnergyDeliveredByPrice)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyUsage(EvEnergyModel):
    """Energy usage of a sub-session, interval by interval."""

    url: str | None = None
    currency: str | None = None
    charging_sub_session: str | None = None
    intervals: list[UsageInterval] | None = field(
        default=None, metadata=nested_list(lambda: UsageInterval)
    )
    last_updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule(EvEnergyModel):
    """One interval of a charging schedule; ``current_milliamps == 0`` means off.

    ``interval_seconds`` is null for boost.
    """

    started_at: datetime | None = None
    interval_seconds: int | None = None
    current_milliamps: int | None = None
    schedule_type: ScheduleType | None = None
    schedule_type_raw: str | None = None
    dispatched_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedules(EvEnergyModel):
    """The schedules of a sub-session, as an expanded ``ChargingSubSession.schedules``."""

    url: str | None = None
    charging_sub_session: str | ChargingSubSession | None = field(
        default=None, metadata=expandable(lambda: ChargingSubSession)
    )
    schedules: list[Schedule] | None = field(default=None, metadata=nested_list(lambda: Schedule))


@dataclass(frozen=True, slots=True, kw_only=True)
class SubSessionLocation(EvEnergyModel):
    """Where a sub-session happened."""

    name: str | None = None
    coordinates: Coordinates | None = field(default=None, metadata=nested(lambda: Coordinates))
    postal_code: str | None = None
    address_1: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargingSubSession(EvEnergyModel):
    """A contiguous period of one charging mode within a session.

    ``start``/``end`` are mode boundaries, not when energy flowed; ``end`` is null
    while running. Energy in Wh, CO2 in g and gCO2/kWh; ``cost`` has no documented
    unit (minor units assumed), ``savings_cost`` and ``incentive_earned`` are minor units.
    Debug-only expansions (``assessment``, ``flags``, ``debug_metadata``) stay raw.
    """

    id: str
    url: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    mode: SubSessionMode | None = None
    mode_raw: str | None = None
    vehicle: str | Vehicle | None = field(default=None, metadata=expandable(lambda: Vehicle))
    evse: str | Evse | None = field(default=None, metadata=expandable(lambda: Evse))
    energy_delivered_watt_hours: int | None = None
    cost: int | None = None
    location: SubSessionLocation | None = field(
        default=None, metadata=nested(lambda: SubSessionLocation)
    )
    percentage_added: float | None = None
    currency: str | None = None
    savings_cost: int | None = None
    savings_co2_grams: int | None = None
    incentive_earned: int | None = None
    total_co2_grams: int | None = None
    co2_intensity_grams_per_kilowatt_hour: int | None = None
    co2_intensity_classification: Co2IntensityClassification | None = None
    co2_intensity_classification_raw: str | None = None
    cost_per_kilowatt_hour: int | None = None
    total_points: int | None = None
    total_points_missed: int | None = None
    duration_minutes: int | None = None
    grid_energy_delivered_watt_hours: int | None = None
    solar_energy_delivered_watt_hours: int | None = None
    labels: list[str] | None = None
    energy_usage: str | EnergyUsage | None = field(
        default=None, metadata=expandable(lambda: EnergyUsage)
    )
    schedules: str | Schedules | None = field(default=None, metadata=expandable(lambda: Schedules))
    assessment: str | dict[str, Any] | None = field(default=None, metadata=url_or_raw())
    flags: str | dict[str, Any] | None = field(default=None, metadata=url_or_raw())
    debug_metadata: str | dict[str, Any] | None = field(default=None, metadata=url_or_raw())
    tariff: str | Tariff | None = field(default=None, metadata=expandable(lambda: Tariff))
    carbon_feed: str | CarbonFeed | None = field(
        default=None, metadata=expandable(lambda: CarbonFeed)
    )
    grid_feeds: list[str | dict[str, Any]] | None = field(
        default=None, metadata=url_or_raw(is_list=True)
    )
    solar_mode_type: SolarModeType | None = None
    solar_mode_type_raw: str | None = None
    grid_energy_delivered: Decimal | None = None
    solar_energy_delivered: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargingSession(EvEnergyModel):
    """One plug-in episode (recorded since July 2026); ``end`` is null while plugged in."""

    id: str
    url: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    vehicle: str | Vehicle | None = field(default=None, metadata=expandable(lambda: Vehicle))
    evse: str | Evse | None = field(default=None, metadata=expandable(lambda: Evse))
    sub_sessions: list[str | ChargingSubSession] | None = field(
        default=None, metadata=expandable_list(lambda: ChargingSubSession)
    )
