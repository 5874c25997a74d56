"""The vehicle's target charge level, written to ev.energy."""

from __future__ import annotations

from dataclasses import dataclass
import math

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import IntegrationStatus, Vehicle, VehicleStatusLog
from .commands import ev_energy_command
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator
from .entity import (
    DeviceEntities,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
    within,
)
from .gateway import COMMAND
from .kinds import VEHICLE
from .runtime import EvEnergyConfigEntry
from .session_entity import ReaderEntity
from .sessions import ManualLevel, SessionsReader

# Writes go to the cloud one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class EvEnergyNumberDescription(EvEnergyEntityDescription, NumberEntityDescription):
    """A number of an ev.energy device."""


TARGET_CHARGE_LEVEL = EvEnergyNumberDescription(
    key="target_charge_level",
    translation_key="target_charge_level",
    device_class=NumberDeviceClass.BATTERY,
    native_min_value=50,
    native_max_value=100,
    native_step=1,
    native_unit_of_measurement=PERCENTAGE,
    mode=NumberMode.SLIDER,
    needs_fresh_sample=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the target charge level of every vehicle, now and as vehicles appear."""
    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            async_add_entities,
            [
                DeviceEntities(
                    VEHICLE,
                    lambda coordinator, vehicle: [
                        TargetChargeLevelNumber(coordinator, VEHICLE, vehicle, TARGET_CHARGE_LEVEL),
                        *_battery_level(entry.runtime_data.sessions, coordinator, vehicle),
                    ],
                )
            ],
        )
    )


def _charge_limit(vehicle: Vehicle, _sample: VehicleStatusLog | None) -> float | None:
    limit = within(vehicle.maximum_charge_limit_percentage, 0, 100)
    return None if limit is None else float(limit)


class TargetChargeLevelNumber(EvEnergyEntity[Vehicle, VehicleStatusLog], NumberEntity):
    """The charge level ev.energy charges the car to (maximum_charge_limit_percentage)."""

    entity_description: EvEnergyNumberDescription

    @property
    def native_value(self) -> float | None:
        """Return the limit as ev.energy has it (None when it cannot be true)."""
        return self.read(_charge_limit)

    # Only a finite value reaches ev.energy, so only a finite one can be rejected.
    @ev_energy_command(
        rejected="invalid_target_charge_level",
        placeholders=lambda value: {"value": str(round(value))},
    )
    async def async_set_native_value(self, value: float) -> None:
        """Write the new limit; the entity shows what ev.energy stored."""
        level = _finite(value)
        client = self.coordinator.gateway.client
        vehicle = await self.coordinator.gateway.request(
            COMMAND,
            lambda: client.update_vehicle(self.device_id, maximum_charge_limit_percentage=level),
        )
        await self.coordinator.async_show_written_vehicle(self.device_id, vehicle)


def _finite(value: float) -> int:
    """Return the value rounded; Home Assistant's range check lets NaN through (every comparison is false)."""
    if not math.isfinite(value):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_number",
            translation_placeholders={"value": str(value)},
        )
    return round(value)


BATTERY_LEVEL = NumberEntityDescription(
    key="manual_battery_level",
    translation_key="manual_battery_level",
    device_class=NumberDeviceClass.BATTERY,
    native_min_value=0,
    native_max_value=100,
    native_step=1,
    native_unit_of_measurement=PERCENTAGE,
    mode=NumberMode.BOX,
)


def _battery_level(
    reader: SessionsReader, polling: EvEnergyCoordinator, vehicle: Vehicle
) -> list[BatteryLevelNumber]:
    """ev.energy reads the battery of integrated cars itself; only the others take a manual level."""
    if vehicle.integrated is IntegrationStatus.UNINTEGRATED:
        return [BatteryLevelNumber(reader, polling, vehicle)]
    return []


class BatteryLevelNumber(ReaderEntity, NumberEntity):
    """The battery level the user tells ev.energy, for a car ev.energy cannot read (unintegrated)."""

    entity_description = BATTERY_LEVEL

    def __init__(
        self, reader: SessionsReader, polling: EvEnergyCoordinator, vehicle: Vehicle
    ) -> None:
        """Bind the number to a car; the reader reads the level of each car whose number listens."""
        super().__init__(reader, polling, vehicle, BATTERY_LEVEL.key, ManualLevel(vehicle.id))
        self.vehicle_id = vehicle.id

    async def async_added_to_hass(self) -> None:
        """Have the level read now when the last read came before this number (the first read at set-up)."""
        await super().async_added_to_hass()
        self.coordinator.config_entry.async_create_task(
            self.hass,
            self.coordinator.async_read_manual_level(self.vehicle_id),
            "ev_energy manual battery level",
        )

    @property
    def native_value(self) -> float | None:
        """Return the level last entered (unknown when none is)."""
        level = self.coordinator.data.manual_levels.get(self.vehicle_id)
        return None if level is None else float(level)

    @ev_energy_command()
    async def async_set_native_value(self, value: float) -> None:
        """Tell ev.energy the car's battery level; it plans the charge from it."""
        level = _finite(value)
        client = self.coordinator.gateway.client
        charge = await self.coordinator.gateway.request(
            COMMAND, lambda: client.set_state_of_charge(self.vehicle_id, level)
        )
        self.coordinator.set_manual_level(self.vehicle_id, charge.state_of_charge_percentage)
