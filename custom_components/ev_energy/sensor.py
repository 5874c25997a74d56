"""Sensors of ev.energy chargers, vehicles, inverters, home batteries and the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
import sys
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .api import (
    ControlPilotStatus,
    Evse,
    EvseMode,
    EvseStatusLog,
    HemLivePower,
    HomeBattery,
    HomeBatteryOperationMode,
    HomeBatteryStatus,
    HomeBatteryStatusLog,
    IntegrationStatus,
    Inverter,
    InverterStatus,
    InverterStatusLog,
    LockMode,
    Vehicle,
    VehicleState,
    VehicleStatusLog,
)
from .carbon import GREENEST_WINDOW, CarbonCoordinator
from .coordinator import EvEnergyCoordinator
from .device_info import account_device_info
from .entity import (
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
    enum_options,
    enum_state,
    for_every_kind,
    from_sample,
    within,
)
from .kinds import EVSE, HOME_BATTERY, INVERTER, VEHICLE, AnyKind, Device, DeviceKind, Sample
from .live_power import LivePowerCoordinator
from .runtime import EvEnergyConfigEntry
from .session_entity import add_charger_and_car_entities, session_sensors
from .tariff_entity import tariff_sensors

# Coordinator-fed: nothing to limit.
PARALLEL_UPDATES = 0

CARBON_INTENSITY_UNIT = "gCO2/kWh"


@dataclass(frozen=True, kw_only=True)
class EvEnergySensorDescription[DeviceT: Device, SampleT: Sample](
    EvEnergyEntityDescription, SensorEntityDescription
):
    """A sensor read from a device and its latest sample."""

    value_fn: Callable[[DeviceT, SampleT | None], StateType | datetime]
    has_fn: Callable[[DeviceT], bool] = lambda _device: True


EvseSensorDescription = EvEnergySensorDescription[Evse, EvseStatusLog]
VehicleSensorDescription = EvEnergySensorDescription[Vehicle, VehicleStatusLog]
InverterSensorDescription = EvEnergySensorDescription[Inverter, InverterStatusLog]
HomeBatterySensorDescription = EvEnergySensorDescription[HomeBattery, HomeBatteryStatusLog]

PERCENT_RANGE = (0, 100)
# Charge times beyond a year are no estimate; `timedelta` would overflow long before the API's int does.
MAX_MINUTES_TO_FULL = 365 * 24 * 60
# No home charger, car or rooftop reaches a megawatt: anything larger (or negative) is a glitch.
MAX_POWER_WATTS = 1_000_000


def _non_negative(value: int | None) -> int | None:
    return within(value, 0, sys.maxsize)


def _full_at(log: VehicleStatusLog) -> datetime | None:
    minutes = within(log.minutes_to_full_charge, 0, MAX_MINUTES_TO_FULL)
    if minutes is None or log.sampled_at is None:
        return None
    return log.sampled_at + timedelta(minutes=minutes)


def _enum_description[DeviceT: Device, SampleT: Sample](
    kind: DeviceKind[DeviceT, SampleT],
    key: str,
    enum: type[StrEnum],
    value_fn: Callable[[DeviceT, SampleT | None], Enum | str | None],
    *,
    needs_fresh_sample: bool = True,
    entity_category: EntityCategory | None = None,
) -> EvEnergySensorDescription[DeviceT, SampleT]:
    del kind  # pins the device and sample types of value_fn
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENUM,
        options=enum_options(enum),
        unavailable_when_none=False,
        needs_fresh_sample=needs_fresh_sample,
        entity_category=entity_category,
        value_fn=lambda device, sample: enum_state(value_fn(device, sample)),
    )


def _power[DeviceT: Device, SampleT: Sample](
    kind: DeviceKind[DeviceT, SampleT], key: str, watts: Callable[[SampleT], int | None]
) -> EvEnergySensorDescription[DeviceT, SampleT]:
    del kind  # pins the sample type of watts
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=from_sample(lambda sample: within(watts(sample), 0, MAX_POWER_WATTS)),
    )


def _state_of_charge[DeviceT: Device, SampleT: VehicleStatusLog | HomeBatteryStatusLog](
    kind: DeviceKind[DeviceT, SampleT], key: str
) -> EvEnergySensorDescription[DeviceT, SampleT]:
    """A battery's level (a car's, a home battery's), from its sample's state of charge."""
    del kind  # pins the device and sample types
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=from_sample(lambda log: within(log.state_of_charge_percentage, *PERCENT_RANGE)),
    )


def _rating(key: str, milliamps: Callable[[EvseStatusLog], int | None]) -> EvseSensorDescription:
    return EvseSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.MILLIAMPERE,
        suggested_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=from_sample(lambda log: _non_negative(milliamps(log))),
    )


# Timestamps that change at every report would fill the logbook, which hides only sensors with a unit or a
# state class (neither fits a timestamp): so they are disabled by default.
def _last_sample[DeviceT: Device, SampleT: Sample](
    kind: DeviceKind[DeviceT, SampleT],
) -> EvEnergySensorDescription[DeviceT, SampleT]:
    del kind  # pins the device and sample types
    return EvEnergySensorDescription(
        key="last_sample",
        translation_key="last_sample",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        needs_fresh_sample=False,
        unavailable_when_none=False,
        value_fn=from_sample(lambda sample: sample.sampled_at),
    )


EVSE_SENSORS: tuple[EvseSensorDescription, ...] = (
    _power(EVSE, "charge_power", lambda log: log.charge_rate_watts),
    _enum_description(EVSE, "evse_mode", EvseMode, from_sample(lambda log: log.mode)),
    _enum_description(
        EVSE, "lock_mode", LockMode, lambda evse, _log: evse.lock_mode, needs_fresh_sample=False
    ),
    _enum_description(
        EVSE,
        "control_pilot_state",
        ControlPilotStatus,
        from_sample(lambda log: log.control_pilot_status),
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    EvseSensorDescription(
        key="signal_strength",
        translation_key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=from_sample(lambda log: log.signal_strength_rssi_dbm),
    ),
    _rating("max_current_rating", lambda log: log.max_current_rating_milliamps),
    _rating("cable_current_rating", lambda log: log.cable_current_rating_milliamps),
    EvseSensorDescription(
        key="voltage",
        translation_key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        suggested_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=from_sample(lambda log: _non_negative(log.voltage_millivolts)),
    ),
    _last_sample(EVSE),
)

METER_READING = EvseSensorDescription(
    key="meter_reading",
    translation_key="meter_reading",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
    suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
    value_fn=from_sample(lambda log: log.meter_reading_watt_hours),
    has_fn=lambda evse: (
        (log := EVSE.latest_sample(evse)) is not None and log.meter_reading_watt_hours is not None
    ),
)

VEHICLE_SENSORS: tuple[VehicleSensorDescription, ...] = (
    _state_of_charge(VEHICLE, "battery_level"),
    _enum_description(VEHICLE, "vehicle_state", VehicleState, from_sample(lambda log: log.state)),
    _power(VEHICLE, "charge_rate", lambda log: log.charge_rate_watts),
    VehicleSensorDescription(
        key="full_at",
        translation_key="full_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        unavailable_when_none=False,
        value_fn=from_sample(_full_at),
    ),
    VehicleSensorDescription(
        key="energy_added",
        translation_key="energy_added",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        unavailable_when_none=False,
        value_fn=from_sample(lambda log: _non_negative(log.charge_energy_added_watt_hours)),
    ),
    VehicleSensorDescription(
        key="battery_energy",
        translation_key="battery_energy",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=from_sample(lambda log: _non_negative(log.charge_level_watt_hours)),
    ),
    VehicleSensorDescription(
        key="target_level",
        translation_key="target_level",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=from_sample(
            lambda log: within(log.target_charge_level_percentage, *PERCENT_RANGE)
        ),
    ),
    VehicleSensorDescription(
        key="odometer",
        translation_key="odometer",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=0,
        value_fn=from_sample(lambda log: _non_negative(log.odometer_meters)),
    ),
    _enum_description(
        VEHICLE,
        "connection_status",
        IntegrationStatus,
        lambda vehicle, _log: vehicle.integrated,
        needs_fresh_sample=False,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _last_sample(VEHICLE),
)

INVERTER_SENSORS: tuple[InverterSensorDescription, ...] = (
    _power(INVERTER, "solar_power", lambda log: log.solar_power_watts),
    _enum_description(
        INVERTER, "inverter_status", InverterStatus, from_sample(lambda log: log.status)
    ),
    _last_sample(INVERTER),
)


def _battery_power_w(log: HomeBatteryStatusLog) -> int | None:
    """Return the battery's power signed as the Energy settings take it: + discharging, - charging.

    ev.energy signs it the other way (+ charging).
    """
    watts = within(log.charge_rate_watts, -MAX_POWER_WATTS, MAX_POWER_WATTS)
    return None if watts is None else -watts


HOME_BATTERY_SENSORS: tuple[HomeBatterySensorDescription, ...] = (
    _state_of_charge(HOME_BATTERY, "state_of_charge"),
    HomeBatterySensorDescription(
        key="home_battery_power",
        translation_key="home_battery_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=from_sample(_battery_power_w),
    ),
    _enum_description(
        HOME_BATTERY, "home_battery_status", HomeBatteryStatus, from_sample(lambda log: log.status)
    ),
    _enum_description(
        HOME_BATTERY,
        "operation_mode",
        HomeBatteryOperationMode,
        from_sample(lambda log: log.operation_mode),
    ),
    HomeBatterySensorDescription(
        key="capacity",
        translation_key="capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=from_sample(lambda log: _non_negative(log.capacity_watt_hours)),
    ),
    HomeBatterySensorDescription(
        key="discharge_limit",
        translation_key="discharge_limit",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=from_sample(lambda log: within(log.discharge_limit_percentage, *PERCENT_RANGE)),
    ),
    _last_sample(HOME_BATTERY),
)

# The sensors of every kind that has some (kinds.py lists the kinds).
SENSORS: dict[AnyKind, tuple[EvEnergySensorDescription[Any, Any], ...]] = {
    EVSE: EVSE_SENSORS,
    VEHICLE: VEHICLE_SENSORS,
    INVERTER: INVERTER_SENSORS,
    HOME_BATTERY: HOME_BATTERY_SENSORS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up sensors for every device, now and as devices appear."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([_account_sensor(entry, description) for description in ACCOUNT_SENSORS])

    entry.async_on_unload(
        add_entities_as_devices_appear(
            coordinator, async_add_entities, for_every_kind(SENSORS, _device_sensors)
        )
    )
    add_charger_and_car_entities(entry, async_add_entities, session_sensors)
    _add_home_power_sensors(entry, async_add_entities)
    async_add_entities(tariff_sensors(entry))


def _device_sensors(
    coordinator: EvEnergyCoordinator, kind: AnyKind, device: Device
) -> list[SensorEntity]:
    sensors: list[SensorEntity] = [
        EvEnergySensor(coordinator, kind, device, description)
        for description in SENSORS[kind]
        if description.has_fn(device)
    ]
    # The charger's meter is the ledger's counted total rather than a value read from the sample.
    if isinstance(device, Evse) and METER_READING.has_fn(device):
        sensors.append(MeterReadingSensor(coordinator, EVSE, device, METER_READING))
    return sensors


class EvEnergySensor[DeviceT: Device, SampleT: Sample](
    EvEnergyEntity[DeviceT, SampleT], SensorEntity
):
    """A sensor of a charger, vehicle or inverter."""

    entity_description: EvEnergySensorDescription[DeviceT, SampleT]

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value from the latest poll (None when it cannot be true)."""
        return self.read(self.entity_description.value_fn)

    @property
    def available(self) -> bool:
        """Unavailable also when the API left a measurement out."""
        if not super().available:
            return False
        return not self.entity_description.unavailable_when_none or self.native_value is not None


class MeterReadingSensor(EvEnergySensor[Evse, EvseStatusLog]):
    """The charger's energy meter, for the Energy panel: the total the sample ledger counted.

    The ledger takes every meter reading once, rejects outliers and bounds resets, and keeps the total in
    Home Assistant storage, so this sensor never goes backwards and never counts a reading twice.
    """

    @property
    def native_value(self) -> float | None:
        """Return the counted total."""
        return self.coordinator.ledger.energy_total_wh(self.device_id)


@dataclass(frozen=True, kw_only=True)
class AccountSensorDescription(SensorEntityDescription):
    """A sensor of the ev.energy account and of this integration's polling."""

    value_fn: Callable[[EvEnergyCoordinator], StateType | datetime]


class AccountSensor(CoordinatorEntity[EvEnergyCoordinator], SensorEntity):
    """A sensor of the ev.energy account."""

    _attr_has_entity_name = True
    entity_description: AccountSensorDescription

    def __init__(
        self, coordinator: EvEnergyCoordinator, user_id: str, description: AccountSensorDescription
    ) -> None:
        """Bind the sensor to the account device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{user_id}_{description.key}"
        self._attr_device_info = account_device_info(user_id)

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def available(self) -> bool:
        """Unavailable when the value is missing."""
        return super().available and self.native_value is not None


def _carbon_intensity(coordinator: EvEnergyCoordinator) -> float | None:
    account = coordinator.data.account if coordinator.data else None
    location = None if account is None else account.default_location
    value = None if location is None else location.current_carbon_intensity_grams_per_kilowatt_hour
    return None if value is None else float(value)


ACCOUNT_SENSORS: tuple[AccountSensorDescription, ...] = (
    AccountSensorDescription(
        key="grid_carbon_intensity",
        translation_key="grid_carbon_intensity",
        native_unit_of_measurement=CARBON_INTENSITY_UNIT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_carbon_intensity,
    ),
    AccountSensorDescription(
        key="requests_remaining",
        translation_key="requests_remaining",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.budget.remaining,
    ),
    AccountSensorDescription(
        key="last_update",
        translation_key="last_update",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.data.updated_at if coordinator.data else None,
    ),
)


# ---------------------------------------------------------------- live power and the carbon forecast


def _account_sensor(
    entry: EvEnergyConfigEntry, description: AccountSensorDescription
) -> AccountSensor:
    """Return an account sensor; the grid carbon intensity also carries the forecast ahead."""
    runtime = entry.runtime_data
    if description.key == "grid_carbon_intensity":
        return CarbonIntensitySensor(
            runtime.coordinator, runtime.user_id, description, runtime.carbon
        )
    return AccountSensor(runtime.coordinator, runtime.user_id, description)


class CarbonIntensitySensor(AccountSensor):
    """The grid's carbon intensity now (from the account), with the forecast ahead as an attribute list."""

    def __init__(
        self,
        coordinator: EvEnergyCoordinator,
        user_id: str,
        description: AccountSensorDescription,
        carbon: CarbonCoordinator,
    ) -> None:
        """Bind the sensor to the account device and the forecast reader."""
        super().__init__(coordinator, user_id, description)
        self.carbon = carbon

    async def async_added_to_hass(self) -> None:
        """Follow the forecast's reads, and drop each interval as it passes (at every half hour)."""
        await super().async_added_to_hass()
        self.async_on_remove(self.carbon.async_add_listener(self.async_write_ha_state))
        self.async_on_remove(_at_half_hours(self))

    @property
    def extra_state_attributes(self) -> dict[str, object]:
        """Return the forecast of the next 12 hours: start, end, intensity (gCO2/kWh)."""
        return {"forecast": self.carbon.forecast_ahead(dt_util.utcnow())}


def _at_half_hours(entity: SensorEntity) -> Callable[[], None]:
    """Write the entity's state just after every half hour, when a forecast interval ends."""

    @callback
    def tick(_now: datetime) -> None:
        entity.async_write_ha_state()

    return async_track_time_change(entity.hass, tick, minute=(0, 30), second=0)


class GreenestWindowSensor(CoordinatorEntity[CarbonCoordinator], SensorEntity):
    """When the greenest two hours of the next 12 start, with their end and average intensity."""

    _attr_has_entity_name = True
    _attr_translation_key = "greenest_window_start"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, carbon: CarbonCoordinator, user_id: str) -> None:
        """Bind the sensor to the account device."""
        super().__init__(carbon)
        self._attr_unique_id = f"{user_id}_greenest_window_start"
        self._attr_device_info = account_device_info(user_id)

    async def async_added_to_hass(self) -> None:
        """Move the window on as time passes, not only at reads."""
        await super().async_added_to_hass()
        self.async_on_remove(_at_half_hours(self))

    @property
    def native_value(self) -> datetime | None:
        """Return the window's start (None without a current forecast covering such a window)."""
        window = self.coordinator.data.greenest(dt_util.utcnow()) if self.coordinator.data else None
        return None if window is None else window.start

    @property
    def available(self) -> bool:
        """Unavailable without a current forecast that has a whole window."""
        return self.native_value is not None

    @property
    def extra_state_attributes(self) -> dict[str, object]:
        """Return the window's end, average intensity (gCO2/kWh) and length (minutes)."""
        window = self.coordinator.data.greenest(dt_util.utcnow()) if self.coordinator.data else None
        return {
            "end": None if window is None else window.end,
            "average_intensity": None if window is None else round(window.average),
            "length_minutes": int(GREENEST_WINDOW.total_seconds() // 60),
        }


@dataclass(frozen=True, kw_only=True)
class LivePowerSensorDescription(SensorEntityDescription):
    """A power flow of the home (W), from a HEM system's live power."""

    value_fn: Callable[[HemLivePower], int | None]
    # A net power (grid, battery) is signed as Home Assistant's Energy settings take one sensor for it.
    signed: bool = False


def _net(positive: int | None, negative: int | None) -> int | None:
    """Return ``positive - negative`` when both flows are readable (never negative themselves)."""
    if positive is None or negative is None or positive < 0 or negative < 0:
        return None
    return positive - negative


def _live_power(
    key: str,
    value_fn: Callable[[HemLivePower], int | None],
    *,
    flow: bool = False,
    signed: bool = False,
) -> LivePowerSensorDescription:
    """A power sensor; a flow between two of solar, battery, grid and home is disabled by default."""
    return LivePowerSensorDescription(
        key=key,
        translation_key=key,
        value_fn=value_fn,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_registry_enabled_default=not flow,
        signed=signed,
    )


LIVE_POWER_SENSORS: tuple[LivePowerSensorDescription, ...] = (
    _live_power("grid_import_power", lambda p: p.import_watts),
    _live_power("grid_export_power", lambda p: p.export_watts),
    _live_power("solar_generation_power", lambda p: p.generation_watts),
    _live_power("home_consumption_power", lambda p: p.consumption_watts),
    _live_power("battery_charge_power", lambda p: p.charge_watts),
    _live_power("battery_discharge_power", lambda p: p.discharge_watts),
    _live_power("solar_to_home_power", lambda p: p.solar_to_home_watts, flow=True),
    _live_power("solar_to_battery_power", lambda p: p.solar_to_battery_watts, flow=True),
    _live_power("solar_to_grid_power", lambda p: p.solar_to_grid_watts, flow=True),
    _live_power("battery_to_home_power", lambda p: p.battery_to_home_watts, flow=True),
    _live_power("battery_to_grid_power", lambda p: p.battery_to_grid_watts, flow=True),
    _live_power("grid_to_home_power", lambda p: p.grid_to_home_watts, flow=True),
    _live_power("grid_to_battery_power", lambda p: p.grid_to_battery_watts, flow=True),
    # One sensor each for the Energy settings' grid power (+ importing) and battery power (+ discharging).
    _live_power("grid_power", lambda p: _net(p.import_watts, p.export_watts), signed=True),
    _live_power("battery_power", lambda p: _net(p.discharge_watts, p.charge_watts), signed=True),
)


class LivePowerSensor(CoordinatorEntity[LivePowerCoordinator], SensorEntity):
    """One power flow of one HEM system, on the account device (see README: a HEM device is not kept)."""

    _attr_has_entity_name = True
    entity_description: LivePowerSensorDescription

    def __init__(
        self,
        coordinator: LivePowerCoordinator,
        user_id: str,
        hem_id: str,
        description: LivePowerSensorDescription,
    ) -> None:
        """Bind the sensor to its system and the account device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.hem_id = hem_id
        self._attr_unique_id = f"{hem_id}_{description.key}"
        self._attr_device_info = account_device_info(user_id)

    @property
    def native_value(self) -> int | None:
        """Return the flow now; a negative flow is unreadable (only a net power has a sign)."""
        power = self.coordinator.reading(self.hem_id, dt_util.utcnow())
        value = None if power is None else self.entity_description.value_fn(power)
        if not isinstance(value, int) or (value < 0 and not self.entity_description.signed):
            return None
        return value

    @property
    def available(self) -> bool:
        """Unavailable without a current reading of this flow."""
        return super().available and self.native_value is not None


def _add_home_power_sensors(
    entry: EvEnergyConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the greenest window now, and each HEM system's power flows as its system is found."""
    runtime = entry.runtime_data
    async_add_entities([GreenestWindowSensor(runtime.carbon, runtime.user_id)])
    live_power = runtime.live_power
    added: set[str] = set()

    @callback
    def add_new_systems() -> None:
        new = [hem_id for hem_id in live_power.systems or () if hem_id not in added]
        added.update(new)
        async_add_entities(
            LivePowerSensor(live_power, runtime.user_id, hem_id, description)
            for hem_id in new
            for description in LIVE_POWER_SENSORS
        )

    add_new_systems()
    entry.async_on_unload(live_power.async_add_listener(add_new_systems))
