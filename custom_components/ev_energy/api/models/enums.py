"""Enumerations of the ev.energy API.

Every enum has an ``UNKNOWN`` member that absorbs values this client does not
know (the API is beta and adds values); models keep the string the API sent in
the matching ``*_raw`` field. Where the API itself has an ``UNKNOWN`` value, the
member is shared.
"""

from __future__ import annotations

from .base import ApiEnum

# Sentinel for enums whose API value set has no "unknown" of its own.
_UNKNOWN = "unknown"


class EvseMode(ApiEnum):
    """What the charger reports it is doing (``EVSEStatusLog.mode``)."""

    UNKNOWN = "Unknown"
    IDLE = "Idle"
    DELAY = "Delay"
    CHARGE = "Charge"
    DISCHARGE = "Discharge"
    FFR = "FFR"
    LOAD_MATCH = "Load match"
    EXPORT_MATCH = "Export match"
    PEAK_TIME = "Peak time"
    DEEP_SLEEP = "Deep sleep"


class LockMode(ApiEnum):
    """Charger lock mode (read-only in the API)."""

    UNLOCKED = "UNLOCKED"
    SMART = "SMART"
    LOCKED = "LOCKED"
    UNKNOWN = _UNKNOWN


class EvseLifecycleState(ApiEnum):
    """Where a charger is in its installation lifecycle."""

    CREATED_LINKED = "CREATED_LINKED"
    INSTALLED = "INSTALLED"
    COMMISSIONED = "COMMISSIONED"
    DECOMMISSIONED = "DECOMMISSIONED"
    UNKNOWN = "UNKNOWN"
    PROBABLY_INSTALLED = "PROBABLY_INSTALLED"
    UNPAIRED = "UNPAIRED"
    PENDING = "PENDING"
    ENROLLED = "ENROLLED"


class ControlPilotStatus(ApiEnum):
    """IEC 61851 / J1772 control pilot state A to F."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    UNKNOWN = _UNKNOWN


class CpmsConnection(ApiEnum):
    """Charge point management system an EVSE site is connected through."""

    CHARGEPOINT = "CHARGEPOINT"
    SWTCH = "SWTCH"
    UNKNOWN = _UNKNOWN


class IntegrationStatus(ApiEnum):
    """State of the link between ev.energy and the vehicle's cloud (``Vehicle.integrated``)."""

    UNINTEGRATED = "UNINTEGRATED"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    UNKNOWN = _UNKNOWN


class VehicleClass(ApiEnum):
    """Kind of vehicle."""

    PASSENGER = "PASSENGER"
    COMMERCIAL = "COMMERCIAL"
    UNKNOWN = _UNKNOWN


class VehicleState(ApiEnum):
    """What the vehicle is doing (``VehicleStatusLog.state``)."""

    DRIVING = "DRIVING"
    RECENTLY_FINISHED_DRIVING = "RECENTLY_FINISHED_DRIVING"
    STATIONARY = "STATIONARY"
    IN_SERVICE = "IN_SERVICE"
    PLUGGED_IN_NOT_CHARGING = "PLUGGED_IN_NOT_CHARGING"
    PLUGGED_IN_CHARGING = "PLUGGED_IN_CHARGING"
    PLUGGED_IN_COMPLETE = "PLUGGED_IN_COMPLETE"
    PLUGGED_IN_NEAR_READY_BY_TIME = "PLUGGED_IN_NEAR_READY_BY_TIME"
    PLUGGED_IN_ALMOST_COMPLETE = "PLUGGED_IN_ALMOST_COMPLETE"
    UNKNOWN = "UNKNOWN"


class CurrentType(ApiEnum):
    """AC or DC charging (the API sends these long literal strings)."""

    AC = "AC - Typically home chargers"
    DC = "DC - Typically OTG chargers"
    UNKNOWN = _UNKNOWN


class ConnectorType(ApiEnum):
    """DC fast-charging connector of a vehicle model."""

    CCS = "CCS"
    NACS = "NACS"
    CHADEMO = "CHADEMO"
    UNKNOWN = _UNKNOWN


class StateOfChargeSource(ApiEnum):
    """Where a vehicle's state of charge comes from."""

    MANUAL = "MANUAL"
    CONNECTED = "CONNECTED"
    UNKNOWN = _UNKNOWN


class InverterStatus(ApiEnum):
    """What a solar inverter is doing."""

    PRODUCING = "PRODUCING"
    CONSUMING = "CONSUMING"
    IDLE = "IDLE"
    UNKNOWN = "UNKNOWN"


class SubSessionMode(ApiEnum):
    """How a charging sub-session was managed."""

    SMART = "SMART"
    BOOST = "BOOST"
    UNMANAGED_HOME = "UNMANAGED_HOME"
    UNMANAGED_OTG = "UNMANAGED_OTG"
    MANAGED_OTG = "MANAGED_OTG"
    UNKNOWN = _UNKNOWN


class Co2IntensityClassification(ApiEnum):
    """Carbon intensity band of a sub-session."""

    VERY_LOW = "very low"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very high"
    UNKNOWN = _UNKNOWN


class SolarModeType(ApiEnum):
    """Solar charging mode of a sub-session."""

    OFF = "OFF"
    SOLAR_ONLY = "SOLAR_ONLY"
    SOLAR_AND_GRID = "SOLAR_AND_GRID"
    SOLAR_SMART = "SOLAR_SMART"
    UNKNOWN = _UNKNOWN


class ScheduleType(ApiEnum):
    """Why a schedule interval exists."""

    INITIAL_CHARGE_TIME = "INITIAL_CHARGE_TIME"
    BATTERY_WARMING = "BATTERY_WARMING"
    SMART = "SMART"
    BOOST = "BOOST"
    SOLAR_ONLY = "SOLAR_ONLY"
    SOLAR_SMART = "SOLAR_SMART"
    V2G_DISCHARGE = "V2G_DISCHARGE"
    V2G_CHARGEBACK = "V2G_CHARGEBACK"
    LEGACY = "LEGACY"
    UNKNOWN = _UNKNOWN


class TariffType(ApiEnum):
    """Structure of a tariff."""

    FLAT_RATE = "FLAT_RATE"
    DUAL_RATE = "DUAL_RATE"
    THREE_RATE = "THREE_RATE"
    DYNAMIC = "DYNAMIC"
    EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED"
    OTHER = "OTHER"
    UNKNOWN = _UNKNOWN


class HomeBatteryStatus(ApiEnum):
    """What a home battery is doing."""

    CHARGING = "CHARGING"
    DISCHARGING = "DISCHARGING"
    IDLE = "IDLE"
    FAULT = "FAULT"
    UNKNOWN = "UNKNOWN"


class HomeBatteryOperationMode(ApiEnum):
    """Operating strategy of a home battery."""

    EXPORT_FOCUS = "EXPORT_FOCUS"
    IMPORT_FOCUS = "IMPORT_FOCUS"
    TIME_OF_USE = "TIME_OF_USE"
    SELF_RELIANCE = "SELF_RELIANCE"
    IDLE = "IDLE"
    UNKNOWN = "UNKNOWN"


class BoundaryMeterStatus(ApiEnum):
    """Direction of power at the grid boundary."""

    IMPORTING = "IMPORTING"
    EXPORTING = "EXPORTING"
    IDLE = "IDLE"
    UNKNOWN = "UNKNOWN"


class EnergyStatsResolution(ApiEnum):
    """Bucket size of HEM energy statistics (ISO 8601 durations)."""

    HALF_HOUR = "PT30M"
    DAY = "P1D"
    MONTH = "P1M"
    UNKNOWN = _UNKNOWN


class NotificationCategory(ApiEnum):
    """Kind of user notification."""

    ACTIONABLE = "ACTIONABLE"
    SERVICE = "SERVICE"
    RETRY = "RETRY"
    MARKETING = "MARKETING"
    INTERNAL = "INTERNAL"
    UNKNOWN = _UNKNOWN
