"""Switches: smart charging per car, and "Charge now" (boost) per charger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Evse, SubSessionMode, Vehicle, VehicleStatusLog
from .commands import ev_energy_command
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator
from .entity import (
    DeviceEntities,
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
)
from .gateway import COMMAND
from .kinds import EVSE, VEHICLE
from .runtime import EvEnergyConfigEntry
from .session_entity import ReaderEntity
from .sessions import BOOSTABLE_MODES, SessionsReader, SubSessionRecord

# Writes go to the cloud one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class EvEnergySwitchDescription(EvEnergyEntityDescription, SwitchEntityDescription):
    """A switch of an ev.energy device."""


SMART_CHARGING = EvEnergySwitchDescription(
    key="smart_charging", translation_key="smart_charging", needs_fresh_sample=False
)
CHARGE_NOW = SwitchEntityDescription(key="charge_now", translation_key="charge_now")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up smart charging for every car and Charge now for every charger, now and as devices appear."""
    sessions = entry.runtime_data.sessions

    def cars(coordinator: EvEnergyCoordinator, device: Vehicle) -> list[Entity]:
        return [SmartChargingSwitch(coordinator, VEHICLE, device, SMART_CHARGING)]

    def chargers(coordinator: EvEnergyCoordinator, device: Evse) -> list[Entity]:
        return [ChargeNowSwitch(sessions, coordinator, device)]

    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            async_add_entities,
            [DeviceEntities(VEHICLE, cars), DeviceEntities(EVSE, chargers)],
        )
    )


class SmartChargingSwitch(EvEnergyEntity[Vehicle, VehicleStatusLog], SwitchEntity):
    """Whether ev.energy schedules the car's charging (smart_charging_enabled)."""

    entity_description: EvEnergySwitchDescription

    @property
    def is_on(self) -> bool | None:
        """Return smart charging as ev.energy has it."""
        device = self.device
        return None if device is None else device.smart_charging_enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let ev.energy schedule the car's charging."""
        await self._write(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Charge the car as soon as it is plugged in, without a schedule."""
        await self._write(enabled=False)

    @ev_energy_command()
    async def _write(self, *, enabled: bool) -> None:
        coordinator = self.coordinator
        client = coordinator.gateway.client
        vehicle = await coordinator.gateway.request(
            COMMAND,
            lambda: client.update_vehicle(self.device_id, smart_charging_enabled=enabled),
        )
        await coordinator.async_show_written_vehicle(self.device_id, vehicle)
        # The session's mode changes with the setting.
        await coordinator.config_entry.runtime_data.sessions.async_read_after_write()


class ChargeNowSwitch(ReaderEntity, SwitchEntity):
    """Charge now: on boosts the charger's open smart session, off returns it to smart charging."""

    entity_description = CHARGE_NOW

    def __init__(self, reader: SessionsReader, polling: EvEnergyCoordinator, evse: Evse) -> None:
        """Bind the switch to a charger."""
        super().__init__(reader, polling, evse, CHARGE_NOW.key)
        self.evse_id = evse.id

    @property
    def _running(self) -> SubSessionRecord | None:
        # Nothing to boost for an unplugged car, even before the sessions are read again.
        return self.running_sub_session()

    @property
    def available(self) -> bool:
        """Available only while the charger's open session can be boosted (smart) or is boosting."""
        running = self._running
        return (
            super().available
            and running is not None
            and running.session_id is not None
            and running.mode in BOOSTABLE_MODES
        )

    @property
    def is_on(self) -> bool | None:
        """Return whether the charger's session is boosting."""
        running = self._running
        return None if running is None else running.mode is SubSessionMode.BOOST

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start a boost on the open session."""
        await self._boost(start=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """End the boost: back to smart charging."""
        await self._boost(start=False)

    async def _boost(self, *, start: bool) -> None:
        running = self._running
        if running is None or running.session_id is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="nothing_to_boost")
        if start:
            await self._boost_start(running.session_id)
        else:
            await self._boost_end(running.session_id)
        await self.coordinator.async_read_after_write()

    @ev_energy_command(conflict="nothing_to_boost")
    async def _boost_start(self, session_id: str) -> None:
        client = self.coordinator.gateway.client
        await self.coordinator.gateway.request(COMMAND, lambda: client.boost_start(session_id))

    @ev_energy_command(conflict="not_boosting")
    async def _boost_end(self, session_id: str) -> None:
        client = self.coordinator.gateway.client
        await self.coordinator.gateway.request(COMMAND, lambda: client.boost_end(session_id))
