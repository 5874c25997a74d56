"""Sensors of ev.energy chargers, vehicles, inverters and the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    ControlPilotStatus,
    EvseMode,
    IntegrationStatus,
    InverterStatus,
    LockMode,
    VehicleState,
)
from .coordinator import EvEnergyConfigEntry, EvEnergyCoordinator, latest_sample
from .energy import MeterTotal
from .entity import (
    EVSE,
    INVERTER,
    VEHICLE,
    Device,
    DeviceKind,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    account_device_info,
    add_entities_as_devices_appear,
    enum_options,
    enum_state,
)

# Coordinator-fed: nothing to limit.
PARALLEL_UPDATES = 0

CARBON_INTENSITY_UNIT = "gCO2/kWh"


@dataclass(frozen=True, kw_only=True)
class EvEnergySensorDescription(EvEnergyEntityDescription, SensorEntityDescription):
    """A sensor read from a device and its latest sample."""

    value_fn: Callable[[Any, Any], StateType | datetime]
    has_fn: Callable[[Device], bool] = lambda _device: True


def _log(attribute: str) -> Callable[[Any, Any], Any]:
    return lambda _device, sample: None if sample is None else getattr(sample, attribute, None)


def _full_at(_device: Any, sample: Any) -> datetime | None:
    if sample is None or sample.minutes_to_full_charge is None or sample.sampled_at is None:
        return None
    return sample.sampled_at + timedelta(minutes=sample.minutes_to_full_charge)  # type: ignore[no-any-return]


def _enum_description(
    key: str, enum: Any, value_fn: Callable[[Any, Any], Any], **kwargs: Any
) -> EvEnergySensorDescription:
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENUM,
        options=enum_options(enum),
        unavailable_when_none=False,
        value_fn=lambda device, sample: enum_state(value_fn(device, sample)),
        **kwargs,
    )


def _power(key: str, attribute: str) -> EvEnergySensorDescription:
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=_log(attribute),
    )


def _rating(key: str, attribute: str) -> EvEnergySensorDescription:
    return EvEnergySensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.MILLIAMPERE,
        suggested_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_log(attribute),
    )


# Timestamps that change at every report or poll would fill the logbook, which hides only sensors with a unit
# or a state class (neither fits a timestamp): so they are disabled by default.
LAST_SAMPLE = EvEnergySensorDescription(
    key="last_sample",
    translation_key="last_sample",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    needs_fresh_sample=False,
    unavailable_when_none=False,
    value_fn=_log("sampled_at"),
)

EVSE_SENSORS: tuple[EvEnergySensorDescription, ...] = (
    _power("charge_power", "charge_rate_watts"),
    _enum_description("evse_mode", EvseMode, _log("mode")),
    _enum_description(
        "lock_mode",
        LockMode,
        lambda device, _sample: device.lock_mode,
        needs_fresh_sample=False,
    ),
    _enum_description(
        "control_pilot_state",
        ControlPilotStatus,
        _log("control_pilot_status"),
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    EvEnergySensorDescription(
        key="signal_strength",
        translation_key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_log("signal_strength_rssi_dbm"),
    ),
    _rating("max_current_rating", "max_current_rating_milliamps"),
    _rating("cable_current_rating", "cable_current_rating_milliamps"),
    EvEnergySensorDescription(
        key="voltage",
        translation_key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        suggested_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_log("voltage_millivolts"),
    ),
    LAST_SAMPLE,
)

METER_READING = EvEnergySensorDescription(
    key="meter_reading",
    translation_key="meter_reading",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
    suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
    value_fn=_log("meter_reading_watt_hours"),
    has_fn=lambda device: (
        _log("meter_reading_watt_hours")(device, latest_sample(device)) is not None
    ),
)

VEHICLE_SENSORS: tuple[EvEnergySensorDescription, ...] = (
    EvEnergySensorDescription(
        key="battery_level",
        translation_key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=_log("state_of_charge_percentage"),
    ),
    _enum_description("vehicle_state", VehicleState, _log("state")),
    _power("charge_rate", "charge_rate_watts"),
    EvEnergySensorDescription(
        key="full_at",
        translation_key="full_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        unavailable_when_none=False,
        value_fn=_full_at,
    ),
    EvEnergySensorDescription(
        key="energy_added",
        translation_key="energy_added",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        unavailable_when_none=False,
        value_fn=_log("charge_energy_added_watt_hours"),
    ),
    EvEnergySensorDescription(
        key="battery_energy",
        translation_key="battery_energy",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_log("charge_level_watt_hours"),
    ),
    EvEnergySensorDescription(
        key="target_level",
        translation_key="target_level",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=_log("target_charge_level_percentage"),
    ),
    EvEnergySensorDescription(
        key="odometer",
        translation_key="odometer",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=0,
        value_fn=_log("odometer_meters"),
    ),
    _enum_description(
        "connection_status",
        IntegrationStatus,
        lambda device, _sample: device.integrated,
        needs_fresh_sample=False,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    LAST_SAMPLE,
)

INVERTER_SENSORS: tuple[EvEnergySensorDescription, ...] = (
    _power("solar_power", "solar_power_watts"),
    _enum_description("inverter_status", InverterStatus, _log("status")),
    LAST_SAMPLE,
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

    def build(kind: DeviceKind, descriptions: tuple[EvEnergySensorDescription, ...]) -> Any:
        def factory(coordinator: EvEnergyCoordinator, device: Device) -> list[Any]:
            entities: list[SensorEntity] = [
                EvEnergySensor(coordinator, kind, device, description)
                for description in descriptions
                if description.has_fn(device)
            ]
            if kind is EVSE and METER_READING.has_fn(device):
                entities.append(MeterReadingSensor(coordinator, kind, device, METER_READING))
            return entities

        return factory

    entry.async_on_unload(
        add_entities_as_devices_appear(
            coordinator,
            async_add_entities,
            {
                EVSE: build(EVSE, EVSE_SENSORS),
                VEHICLE: build(VEHICLE, VEHICLE_SENSORS),
                INVERTER: build(INVERTER, INVERTER_SENSORS),
            },
        )
    )


class EvEnergySensor(EvEnergyEntity, SensorEntity):
    """A sensor of a charger, vehicle or inverter."""

    entity_description: EvEnergySensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value from the latest poll."""
        device = self.device
        if device is None:
            return None
        return self.entity_description.value_fn(device, self.sample)

    @property
    def available(self) -> bool:
        """Unavailable also when the API left a measurement out."""
        if not super().available:
            return False
        return not self.entity_description.unavailable_when_none or self.native_value is not None


@dataclass
class StoredMeterTotal(ExtraStoredData):
    """A meter total as the restore-state store keeps it."""

    total: MeterTotal

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return self.total.as_dict()


class MeterReadingSensor(EvEnergySensor, RestoreEntity):
    """The charger's energy meter, for the Energy panel: never backwards, never counted twice."""

    def __init__(self, *args: Any) -> None:
        """Start with no total; the restored one comes in async_added_to_hass."""
        super().__init__(*args)
        self._total = MeterTotal()

    async def async_added_to_hass(self) -> None:
        """Restore the total kept before the restart, then take in the current reading."""
        await super().async_added_to_hass()
        if (extra := await self.async_get_last_extra_data()) is not None:
            self._total = MeterTotal.from_dict(extra.as_dict())
        self._take_reading()

    @property
    def extra_restore_state_data(self) -> StoredMeterTotal:
        """Keep the total and the last reading across restarts."""
        return StoredMeterTotal(self._total)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._take_reading()
        super()._handle_coordinator_update()

    def _take_reading(self) -> None:
        if self.device is not None and self.sample_is_fresh():
            self._total.add_reading(self.entity_description.value_fn(self.device, self.sample))  # type: ignore[arg-type]

    @property
    def native_value(self) -> float | None:
        """Return the counted total."""
        return self._total.total_wh


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
    location = getattr(account, "default_location", None)
    value = getattr(location, "current_carbon_intensity_grams_per_kilowatt_hour", None)
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
