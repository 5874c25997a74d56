"""Typed models of the ev.energy v2 API.

Contract of every model:
- built with ``Model.from_dict(data)`` (mashumaro); unknown fields are ignored;
- only ``id`` is required (status logs and sub-objects have none); every other
  field may be missing or null and is then ``None``;
- scalar fields must have the spec's JSON type, and nested objects and lists must
  parse, or the whole parse fails (the client raises ``EvEnergyInvalidResponseError``)
  rather than silently dropping data; for the items of a collection the client uses
  ``Model.from_dict_salvaging``, where a nested object that fails becomes None and is
  reported instead of failing the item;
- timestamps are aware datetimes; naive ones are read as UTC;
- units are the API's and appear in the field names (``_watts``, ``_watt_hours``,
  ``_percentage``, ``_grams_per_kilowatt_hour``, ``_milliamps``...);
- an enum field ``x`` never fails: an unknown value becomes ``X.UNKNOWN`` and the
  string the API sent is kept in ``x_raw`` (``None`` when the field was null);
- an expandable reference is ``str`` (the URL) or the nested model; use
  `resource_id` to get the ID from either.
"""

from .base import ApiEnum, EvEnergyModel, parse_datetime, resource_id
from .carbon import CarbonFeed, CarbonIntensity
from .energy import (
    BoundaryMeter,
    BoundaryMeterMake,
    BoundaryMeterModel,
    BoundaryMeterStatusLog,
    HemEnergyStats,
    HemEnergyStatsBucket,
    HemLivePower,
    HemSystem,
    HomeBattery,
    HomeBatteryMake,
    HomeBatteryModel,
    HomeBatteryStatusLog,
    Inverter,
    InverterMake,
    InverterModel,
    InverterStatusLog,
    SolarArray,
    SolarForecastSummary,
)
from .enums import (
    BoundaryMeterStatus,
    Co2IntensityClassification,
    ConnectorType,
    ControlPilotStatus,
    CpmsConnection,
    CurrentType,
    EnergyStatsResolution,
    EvseLifecycleState,
    EvseMode,
    HomeBatteryOperationMode,
    HomeBatteryStatus,
    IntegrationStatus,
    InverterStatus,
    LockMode,
    NotificationCategory,
    ScheduleType,
    SolarModeType,
    StateOfChargeSource,
    SubSessionMode,
    TariffType,
    VehicleClass,
    VehicleState,
)
from .evses import CtClamp, Evse, EvseConnectivity, EvseMake, EvseModel, EvseStatusLog
from .notifications import Notification
from .sessions import (
    ChargingSession,
    ChargingSubSession,
    EnergyDeliveredByPrice,
    EnergyUsage,
    Schedule,
    Schedules,
    SubSessionLocation,
    UsageInterval,
)
from .sites import EvseSite
from .solar_forecasts import SolarForecast, SolarForecastLog
from .tariffs import (
    DailyPrices,
    PriceSummary,
    PriceTimes,
    SchedulerTariff,
    Supplier,
    Tariff,
    TariffPrice,
)
from .users import Coordinates, Location, LocationDetail, User, UserDetail
from .vehicles import (
    StateOfCharge,
    Vehicle,
    VehicleLocationLog,
    VehicleMake,
    VehicleModel,
    VehicleReconnection,
    VehicleStatusLog,
    VehicleTrim,
)

__all__ = [
    "ApiEnum",
    "BoundaryMeter",
    "BoundaryMeterMake",
    "BoundaryMeterModel",
    "BoundaryMeterStatus",
    "BoundaryMeterStatusLog",
    "CarbonFeed",
    "CarbonIntensity",
    "ChargingSession",
    "ChargingSubSession",
    "Co2IntensityClassification",
    "ConnectorType",
    "ControlPilotStatus",
    "Coordinates",
    "CpmsConnection",
    "CtClamp",
    "CurrentType",
    "DailyPrices",
    "EnergyDeliveredByPrice",
    "EnergyStatsResolution",
    "EnergyUsage",
    "EvEnergyModel",
    "Evse",
    "EvseConnectivity",
    "EvseLifecycleState",
    "EvseMake",
    "EvseMode",
    "EvseModel",
    "EvseSite",
    "EvseStatusLog",
    "HemEnergyStats",
    "HemEnergyStatsBucket",
    "HemLivePower",
    "HemSystem",
    "HomeBattery",
    "HomeBatteryMake",
    "HomeBatteryModel",
    "HomeBatteryOperationMode",
    "HomeBatteryStatus",
    "HomeBatteryStatusLog",
    "IntegrationStatus",
    "Inverter",
    "InverterMake",
    "InverterModel",
    "InverterStatus",
    "InverterStatusLog",
    "Location",
    "LocationDetail",
    "LockMode",
    "Notification",
    "NotificationCategory",
    "PriceSummary",
    "PriceTimes",
    "Schedule",
    "ScheduleType",
    "SchedulerTariff",
    "Schedules",
    "SolarArray",
    "SolarForecast",
    "SolarForecastLog",
    "SolarForecastSummary",
    "SolarModeType",
    "StateOfCharge",
    "StateOfChargeSource",
    "SubSessionLocation",
    "SubSessionMode",
    "Supplier",
    "Tariff",
    "TariffPrice",
    "TariffType",
    "UsageInterval",
    "User",
    "UserDetail",
    "Vehicle",
    "VehicleClass",
    "VehicleLocationLog",
    "VehicleMake",
    "VehicleModel",
    "VehicleReconnection",
    "VehicleState",
    "VehicleStatusLog",
    "VehicleTrim",
    "parse_datetime",
    "resource_id",
]
