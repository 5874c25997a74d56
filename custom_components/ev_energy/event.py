"""Event entities of ev.energy chargers and cars: plugged in, unplugged, charging started or stopped, complete.

Each event comes from a transition the sample ledger found between two consecutive samples, in the order the
samples were taken, also when several happened between two polls. The ledger processes every sample once and keeps
its place across restarts, so no event fires twice, none is replayed after a restart and the state found at set-up
fires none.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Evse, EvseStatusLog, Vehicle, VehicleStatusLog
from .entity import (
    EvEnergyEntity,
    EvEnergyEntityDescription,
    add_entities_as_devices_appear,
    for_every_kind,
)
from .kinds import EVSE, VEHICLE, AnyKind
from .ledger import EVSE_TRANSITIONS, VEHICLE_TRANSITIONS, Transition
from .runtime import EvEnergyConfigEntry

# Fed by the ledger during polls: nothing to limit.
PARALLEL_UPDATES = 0

ATTR_SAMPLED_AT = "sampled_at"


@dataclass(frozen=True, kw_only=True)
class EvEnergyEventDescription(EvEnergyEntityDescription, EventEntityDescription):
    """The charge events of a charger or a car."""


EVSE_EVENTS = EvEnergyEventDescription(
    key="charge_events",
    translation_key="charge_events",
    event_types=list(EVSE_TRANSITIONS),
    # An event describes a moment, not the latest sample: a quiet charger still has its last event.
    needs_fresh_sample=False,
)
VEHICLE_EVENTS = EvEnergyEventDescription(
    key="charge_events",
    translation_key="charge_events",
    event_types=list(VEHICLE_TRANSITIONS),
    needs_fresh_sample=False,
)
# The charge events of every kind that has them (kinds.py lists the kinds).
EVENTS: dict[AnyKind, EvEnergyEventDescription] = {EVSE: EVSE_EVENTS, VEHICLE: VEHICLE_EVENTS}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up an event entity for every charger and car, now and as they appear."""

    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            async_add_entities,
            for_every_kind(
                EVENTS,
                lambda coordinator, kind, device: [
                    EvEnergyChargeEvent(coordinator, kind, device, EVENTS[kind])
                ],
            ),
        )
    )


class EvEnergyChargeEvent[DeviceT: Evse | Vehicle, SampleT: EvseStatusLog | VehicleStatusLog](
    EvEnergyEntity[DeviceT, SampleT], EventEntity
):
    """Fires when the charger or car is plugged in or unplugged, or starts, stops or completes charging."""

    entity_description: EvEnergyEventDescription

    async def async_added_to_hass(self) -> None:
        """Listen to the ledger's transitions of this device."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.ledger.async_add_listener(self.device_id, self._on_transition)
        )

    @property
    def available(self) -> bool:
        """Available while the device is on the account, also when a poll fails.

        Transitions reach the entity while the coordinator is still polling, before a failed poll's recovery
        is known: an unavailable entity would swallow them.
        """
        return self.coordinator.data is not None and self.device is not None

    @callback
    def _on_transition(self, transition: Transition) -> None:
        self._trigger_event(transition.type, {ATTR_SAMPLED_AT: transition.sampled_at.isoformat()})
        self.async_write_ha_state()
