"""A charging calendar per car: past sessions, and the planned charging slots as future events."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import Vehicle
from .coordinator import EvEnergyCoordinator
from .entity import DeviceEntities, add_entities_as_devices_appear, enum_state
from .kinds import VEHICLE
from .money import format_money
from .runtime import EvEnergyConfigEntry
from .session_entity import ReaderEntity
from .sessions import SESSION_INTERVAL, PlannedSlot, SessionsReader, SessionSummary

# Calendars are read-only.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvEnergyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up a charging calendar for every car, now and as cars appear."""
    sessions = entry.runtime_data.sessions

    def factory(coordinator: EvEnergyCoordinator, device: Vehicle) -> list[Entity]:
        return [ChargingCalendar(sessions, coordinator, device)]

    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator, async_add_entities, [DeviceEntities(VEHICLE, factory)]
        )
    )


def session_event(session: SessionSummary, now: datetime) -> CalendarEvent:
    """Return a held session as an event; one still running lasts until the reader's next read extends it."""
    energy = session.total("energy_wh")
    cost = format_money(session.total("cost_minor"), session.currency)
    lines = [
        f"Energy: {energy / 1000:.2f} kWh" if energy is not None else None,
        f"Cost: {cost}" if cost is not None else None,
        f"Mode: {enum_state(session.mode) or 'unknown'}",
    ]
    return CalendarEvent(
        start=session.start,
        end=session.end or max(now, session.start) + SESSION_INTERVAL,
        summary="Charging session",
        description="\n".join(line for line in lines if line),
        uid=session.session_id or session.sub_sessions[0].id,
    )


def slot_event(slot: PlannedSlot) -> CalendarEvent:
    """Return a planned charging slot as an event."""
    return CalendarEvent(
        start=slot.start,
        end=slot.end,
        summary="Planned charging",
        description=f"Current: {slot.current_milliamps / 1000:g} A",
    )


class ChargingCalendar(ReaderEntity, CalendarEntity):
    """A car's charging sessions and planned charging slots."""

    _attr_translation_key = "charging"

    def __init__(
        self, reader: SessionsReader, polling: EvEnergyCoordinator, vehicle: Vehicle
    ) -> None:
        """Bind the calendar to a car."""
        super().__init__(reader, polling, vehicle, "charging_calendar")
        self.vehicle_id = vehicle.id

    def _events(self) -> list[CalendarEvent]:
        data = self.coordinator.data
        now = dt_util.utcnow()
        past = [session_event(s, now) for s in data.sessions(vehicle_id=self.vehicle_id)]
        planned = [slot_event(slot) for slot in self.planned_slots()]
        return sorted([*past, *planned], key=lambda event: event.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event in progress, or the next one."""
        now = dt_util.utcnow()
        upcoming = [event for event in self._events() if event.end_datetime_local > now]
        return upcoming[0] if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap the period."""
        return [
            event
            for event in self._events()
            if event.start_datetime_local < end_date and event.end_datetime_local > start_date
        ]
