"""Sensors of ev.energy chargers, vehicles, inverters and the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
import sys

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
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    ControlPilotStatus,
    Evse,
    EvseMode,
    EvseStatusLog,
    IntegrationStatus,
    Inverter,
    InverterStatus,
    InverterStatusLog,
    LockMode,
    Vehicle,
    VehicleState,
    VehicleStatusLog,
)
from .coordinator import EvEnergyCoordinator
from .device_info import account_device_info
from .entity import (
    EVSE,
    INVERTER,
    VEHICLE,
    DeviceEntities,
    DeviceKind,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    Sample,
    add_entities_as_devices_appear,
    enum_options,
    enum_state,
    from_sample,
    within,
)
from .runtime import EvEnergyConfigEntry
from .session_entity import add_charger_and_car_entities, session_sensors
from .tariff_entity import tariff_sensors

# Coordinator-fed: nothing to limit.
PARALLEL_UPDATES = 0

CARBON_INTENSITY_UNIT = "gCO2/kWh"


@dataclass(frozen=True, kw_only=True)
class EvEnergySensorDescription[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
    EvEnergyEntityDescription, SensorEntityDescription
):
    """A sensor read from a device and its latest sample."""

    value_fn: Callable[[DeviceT, SampleT | None], StateType | datetime]
    has_fn: Callable[[DeviceT], bool] = lambda _device: True


EvseSensorDescription = EvEnergySensorDescription[Evse, EvseStatusLog]
VehicleSensorDescription = EvEnergySensorDescription[Vehicle, VehicleStatusLog]
InverterSensorDescription = EvEnergySensorDescription[Inverter, InverterStatusLog]

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


def _enum_description[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
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


def _power[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
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
def _last_sample[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
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
    VehicleSensorDescription(
        key="battery_level",
        translation_key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=from_sample(lambda log: within(log.state_of_charge_percentage, *PERCENT_RANGE)),
    ),
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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up sensors for every device, now and as devices appear."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            AccountSensor(coordinator, entry.runtime_data.user_id, description)
            for description in ACCOUNT_SENSORS
        ]
    )

    def meter(coordinator: EvEnergyCoordinator, evse: Evse) -> list[SensorEntity]:
        if not METER_READING.has_fn(evse):
            return []
        return [MeterReadingSensor(coordinator, EVSE, evse, METER_READING)]

    entry.async_on_unload(
        add_entities_as_devices_appear(
            coordinator,
            async_add_entities,
            [
                DeviceEntities(
                    EVSE,
                    lambda coordinator, evse: [
                        *_sensors(coordinator, EVSE, evse, EVSE_SENSORS),
                        *meter(coordinator, evse),
                    ],
                ),
                DeviceEntities(
                    VEHICLE,
                    lambda coordinator, vehicle: _sensors(
                        coordinator, VEHICLE, vehicle, VEHICLE_SENSORS
                    ),
                ),
                DeviceEntities(
                    INVERTER,
                    lambda coordinator, inverter: _sensors(
                        coordinator, INVERTER, inverter, INVERTER_SENSORS
                    ),
                ),
            ],
        )
    )
    add_charger_and_car_entities(entry, async_add_entities, session_sensors)
    async_add_entities(tariff_sensors(entry))


def _sensors[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
    coordinator: EvEnergyCoordinator,
    kind: DeviceKind[DeviceT, SampleT],
    device: DeviceT,
    descriptions: tuple[EvEnergySensorDescription[DeviceT, SampleT], ...],
) -> list[SensorEntity]:
    return [
        EvEnergySensor(coordinator, kind, device, description)
        for description in descriptions
        if description.has_fn(device)
    ]


class EvEnergySensor[DeviceT: Evse | Vehicle | Inverter, SampleT: Sample](
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
