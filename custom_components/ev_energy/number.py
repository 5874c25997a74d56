"""The vehicle's target charge level, written to ev.energy."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import EvEnergyBadRequestError, EvEnergyError, IntegrationStatus, Vehicle
from .const import DOMAIN
from .controls import send_command
from .coordinator import EvEnergyConfigEntry, EvEnergyCoordinator
from .entity import (
    VEHICLE,
    Device,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
)
from .session_entity import ReaderEntity
from .sessions import SessionsReader

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

    sessions = entry.runtime_data.sessions

    def factory(coordinator: EvEnergyCoordinator, device: Device) -> list[Any]:
        entities: list[Any] = [
            TargetChargeLevelNumber(coordinator, VEHICLE, device, TARGET_CHARGE_LEVEL)
        ]
        # ev.energy reads the battery of integrated cars itself; only the others take a manual level.
        if isinstance(device, Vehicle) and device.integrated is IntegrationStatus.UNINTEGRATED:
            entities.append(BatteryLevelNumber(sessions, device))
        return entities

    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator, async_add_entities, {VEHICLE: factory}
        )
    )


class TargetChargeLevelNumber(EvEnergyEntity, NumberEntity):
    """The charge level ev.energy charges the car to (maximum_charge_limit_percentage)."""

    entity_description: EvEnergyNumberDescription

    @property
    def native_value(self) -> float | None:
        """Return the limit as ev.energy has it."""
        device = self.device
        value = None if device is None else device.maximum_charge_limit_percentage
        return None if value is None else float(value)

    async def async_set_native_value(self, value: float) -> None:
        """Write the new limit; the entity shows what ev.energy stored."""
        self.coordinator.check_command_allowed()
        try:
            vehicle = await self.coordinator.client.update_vehicle(
                self.device_id, maximum_charge_limit_percentage=round(value)
            )
        except EvEnergyBadRequestError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_target_charge_level",
                translation_placeholders={"value": str(round(value)), "error": str(err)},
            ) from err
        except EvEnergyError as err:
            self.coordinator.note_command_error(err)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.coordinator.replace_vehicle(vehicle)
        self.coordinator.after_command()


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


class BatteryLevelNumber(ReaderEntity, NumberEntity):
    """The battery level the user tells ev.energy, for a car ev.energy cannot read (unintegrated)."""

    entity_description = BATTERY_LEVEL

    def __init__(self, reader: SessionsReader, vehicle: Device) -> None:
        """Bind the number to a car."""
        super().__init__(reader, VEHICLE, vehicle, BATTERY_LEVEL.key)
        self.vehicle_id = vehicle.id

    @property
    def native_value(self) -> float | None:
        """Return the level last entered (unknown when none is)."""
        level = self.coordinator.data.manual_levels.get(self.vehicle_id)
        return None if level is None else float(level)

    async def async_set_native_value(self, value: float) -> None:
        """Tell ev.energy the car's battery level; it plans the charge from it."""
        if not math.isfinite(value):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_battery_level",
                translation_placeholders={"value": str(value)},
            )
        client = self.coordinator.client
        polling = self.coordinator.polling
        charge = await send_command(
            polling,
            lambda: client.set_state_of_charge(self.vehicle_id, round(value)),
            "command_refused",
        )
        self.coordinator.set_manual_level(self.vehicle_id, charge.state_of_charge_percentage)
        polling.after_command()
