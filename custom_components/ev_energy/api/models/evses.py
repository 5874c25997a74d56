"""Chargers (EVSEs), their catalogue, status logs and connectivity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from .base import EvEnergyModel, expandable, nested
from .enums import ControlPilotStatus, EvseLifecycleState, EvseMode, LockMode
from .users import Coordinates, User


@dataclass(frozen=True, slots=True, kw_only=True)
class EvseMake(EvEnergyModel):
    """A charger manufacturer.

    ``evse_models`` is the URL of its models (older docs call the field ``models``;
    both are read, into ``evse_models``).
    """

    id: str
    url: str | None = None
    name: str | None = None
    display_name: str | None = None
    icon: str | None = None
    onboarding_url: str | None = None
    is_beta: bool | None = None
    evse_models: str | None = None

    _FIELD_ALIASES: ClassVar[Mapping[str, str]] = {"models": "evse_models"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EvseModel(EvEnergyModel):
    """A charger model."""

    id: str
    url: str | None = None
    name: str | None = None
    make: str | EvseMake | None = field(default=None, metadata=expandable(lambda: EvseMake))
    display_name: str | None = None
    onboarding_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CtClamp(EvEnergyModel):
    """A current transformer clamp attached to a charger."""

    id: str
    url: str | None = None
    evse: str | Evse | None = field(default=None, metadata=expandable(lambda: Evse))
    calibration_factor: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvseStatusLog(EvEnergyModel):
    """One telemetry sample of a charger; every reading may be null.

    ``sampled_at`` is the device's time, ``logged_at`` the server's (later).
    Units: W, Wh, mA, mV, dBm, %.
    """

    url: str | None = None
    sampled_at: datetime | None = None
    logged_at: datetime | None = None
    evse: str | Evse | None = field(default=None, metadata=expandable(lambda: Evse))
    is_plugged_in: bool | None = None
    is_charging: bool | None = None
    charge_rate_watts: int | None = None
    export_power_watts: int | None = None
    control_pilot_status: ControlPilotStatus | None = None
    control_pilot_status_raw: str | None = None
    meter_reading_watt_hours: int | None = None
    is_enabled: bool | None = None
    max_current_rating_milliamps: int | None = None
    cable_current_rating_milliamps: int | None = None
    signal_strength_rssi_dbm: int | None = None
    inlet_power_watts: int | None = None
    voltage_millivolts: int | None = None
    state_of_charge_percentage: int | None = None
    mode: EvseMode | None = None
    mode_raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evse(EvEnergyModel):
    """A charger. There is no online flag: compare ``latest_status_log.sampled_at`` to now."""

    id: str
    url: str | None = None
    cpid: str | None = None
    model: str | EvseModel | None = field(default=None, metadata=expandable(lambda: EvseModel))
    user: str | User | None = field(default=None, metadata=expandable(lambda: User))
    latest_status_log: str | EvseStatusLog | None = field(
        default=None, metadata=expandable(lambda: EvseStatusLog)
    )
    ct_clamp: str | CtClamp | None = field(default=None, metadata=expandable(lambda: CtClamp))
    lock_mode: LockMode | None = None
    lock_mode_raw: str | None = None
    location: Coordinates | None = field(default=None, metadata=nested(lambda: Coordinates))
    lifecycle_state: EvseLifecycleState | None = None
    lifecycle_state_raw: str | None = None
    charging_sub_sessions: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvseConnectivity(EvEnergyModel):
    """Connectivity of a charger: RSSI in dBm, reliability in % over 30 days."""

    signal_strength_rssi_dbm: int | None = None
    lowest_signal_strength_rssi_dbm_7d: int | None = None
    highest_signal_strength_rssi_dbm_7d: int | None = None
    connection_reliability_30d: int | None = None
    ip_address: str | None = None
    iccid: str | None = None
    firmware_version: str | None = None
    latest_status_log: str | EvseStatusLog | None = field(
        default=None, metadata=expandable(lambda: EvseStatusLog)
    )
