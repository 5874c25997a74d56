"""Session entities of chargers and cars: the current session's figures, the next planned slot, the slot in progress.

They read the sessions reader (not device polling); the sensor and binary sensor platforms add them per charger
and per car.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfMass, UnitOfTime
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .api import Evse, EvseStatusLog, SubSessionMode, Vehicle, VehicleStatusLog
from .coordinator import EvEnergyCoordinator, EvEnergyData
from .dispatches import (
    COMPLETED_DISPATCHES,
    COMPLETED_WINDOW,
    DISPATCHED_MODES,
    PLANNED_DISPATCHES,
    completed_dispatch,
    planned_dispatch,
)
from .entity import (
    DeviceEntities,
    add_entities_as_devices_appear,
    device_info,
    enum_options,
    enum_state,
    sampled_within,
)
from .kinds import EVSE, VEHICLE
from .money import from_minor_units
from .runtime import EvEnergyConfigEntry
from .sessions import PlannedSlot, SessionsReader, SessionSummary, SubSessionRecord

CARBON_INTENSITY_UNIT = "gCO2/kWh"
type ChargerOrCar = Evse | Vehicle


@dataclass(frozen=True, kw_only=True)
class SessionSensorDescription(SensorEntityDescription):
    """A figure of the current charging session (the last one when none is open)."""

    value_fn: Callable[[SessionSummary], StateType | Decimal]
    # Monetary sensors take the session's currency as their unit.
    unit_is_currency: bool = False


@dataclass(frozen=True, kw_only=True)
class SlotSensorDescription(SensorEntityDescription):
    """A time of the planned slot in progress or next."""

    value_fn: Callable[[PlannedSlot], datetime]


def _energy(key: str, attribute: str) -> SessionSensorDescription:
    return SessionSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda session: session.total(attribute),
    )


def _money(key: str, attribute: str) -> SessionSensorDescription:
    return SessionSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        unit_is_currency=True,
        suggested_display_precision=2,
        value_fn=lambda session: from_minor_units(session.total(attribute), session.currency),
    )


def _carbon_intensity(session: SessionSummary) -> float | None:
    """Return the grams of CO2 per kWh drawn from the grid over the session."""
    co2, grid = session.total("co2_grams"), session.total("grid_energy_wh")
    return None if co2 is None or not grid else round(co2 / (grid / 1000))


SESSION_SENSORS: tuple[SessionSensorDescription, ...] = (
    _energy("session_energy", "energy_wh"),
    _energy("session_grid_energy", "grid_energy_wh"),
    _energy("session_solar_energy", "solar_energy_wh"),
    _money("session_cost", "cost_minor"),
    _money("session_savings", "savings_minor"),
    SessionSensorDescription(
        key="session_co2",
        translation_key="session_co2",
        native_unit_of_measurement=UnitOfMass.GRAMS,
        device_class=SensorDeviceClass.WEIGHT,
        value_fn=lambda session: session.total("co2_grams"),
    ),
    SessionSensorDescription(
        key="session_carbon_intensity",
        translation_key="session_carbon_intensity",
        native_unit_of_measurement=CARBON_INTENSITY_UNIT,
        value_fn=_carbon_intensity,
    ),
    SessionSensorDescription(
        key="session_duration",
        translation_key="session_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=lambda session: session.total("duration_minutes"),
    ),
    SessionSensorDescription(
        key="session_mode",
        translation_key="session_mode",
        device_class=SensorDeviceClass.ENUM,
        options=enum_options(SubSessionMode),
        value_fn=lambda session: enum_state(session.mode),
    ),
)
SLOT_SENSORS: tuple[SlotSensorDescription, ...] = (
    SlotSensorDescription(
        key="next_slot_start",
        translation_key="next_slot_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda slot: slot.start,
    ),
    SlotSensorDescription(
        key="next_slot_end",
        translation_key="next_slot_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda slot: slot.end,
    ),
)
LIFETIME_ENERGY = SensorEntityDescription(
    key="lifetime_energy",
    translation_key="lifetime_energy",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
)
SLOT_ACTIVE = BinarySensorEntityDescription(key="slot_active", translation_key="slot_active")


class ReaderEntity(CoordinatorEntity[SessionsReader]):
    """An entity of a charger or car fed by the sessions reader.

    Unavailable while polling does not list its device (a refused or failed read), like the device's other
    entities, so it also follows polling's updates: the entity takes both coordinators, neither knows the other.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        reader: SessionsReader,
        polling: EvEnergyCoordinator,
        device: ChargerOrCar,
        key: str,
        context: object = None,
    ) -> None:
        """Bind the entity to a charger or car (``context`` tells the reader what it listens for)."""
        super().__init__(reader, context)
        self.polling = polling
        self.is_charger = isinstance(device, Evse)
        self.device_id = device.id
        self._attr_unique_id = f"{device.id}_{key}"
        self._attr_device_info = (
            device_info(EVSE, device) if isinstance(device, Evse) else device_info(VEHICLE, device)
        )

    @property
    def available(self) -> bool:
        """Available while the sessions were read and polling lists the device."""
        polling = self.polling
        listed = polling.data.evses if self.is_charger else polling.data.vehicles
        return super().available and polling.last_update_success and self.device_id in listed

    async def async_added_to_hass(self) -> None:
        """Follow polling too: it says whether the device is there, and whether it is plugged in."""
        await super().async_added_to_hass()
        self.async_on_remove(self.polling.async_add_listener(self._handle_coordinator_update))

    def running_sub_session(self) -> SubSessionRecord | None:
        """Return the device's open sub-session, unless polling shows its charger or car unplugged.

        Devices are polled more often than sessions are read: until the read after an unplug, the held
        sub-session still looks open, and no entity may claim a slot or a boost for a car whose *Plugged in* is off.
        """
        key = "evse_id" if self.is_charger else "vehicle_id"
        running = self.coordinator.data.open_sub_session(**{key: self.device_id})
        if running is None:
            return None
        polled = self.polling.data
        devices = {self.device_id, running.evse_id, running.vehicle_id}
        unplugged = any(_reports_unplugged(polled, device) for device in devices if device)
        return None if unplugged else running

    def planned_slots(self) -> list[PlannedSlot]:
        """Return the planned slots of the device's open sub-session (none once its car is unplugged)."""
        running = self.running_sub_session()
        return [] if running is None else self.coordinator.data.schedules.get(running.id, [])


def _reports_unplugged(data: EvEnergyData, device_id: str) -> bool:
    """Return whether a charger's or car's latest report, while recent, says nothing is plugged in.

    That is when the device's *Plugged in* shows off; a report too old to show says nothing.
    """
    evse, car = data.evses.get(device_id), data.vehicles.get(device_id)
    sample: EvseStatusLog | VehicleStatusLog | None = (
        EVSE.latest_sample(evse) if evse else VEHICLE.latest_sample(car) if car else None
    )
    stale_after = EVSE.stale_after if evse else VEHICLE.stale_after
    return (
        sample is not None
        and sample.is_plugged_in is False
        and sampled_within(sample.sampled_at, stale_after)
    )


class SessionEntity(ReaderEntity):
    """A session figure or planned slot of a charger or car."""

    def __init__(
        self,
        reader: SessionsReader,
        polling: EvEnergyCoordinator,
        device: ChargerOrCar,
        description: SensorEntityDescription | BinarySensorEntityDescription,
    ) -> None:
        """Bind the entity to a charger or car."""
        super().__init__(reader, polling, device, description.key)
        self.entity_description = description
        self._filter = {"evse_id" if self.is_charger else "vehicle_id": device.id}

    @property
    def session(self) -> SessionSummary | None:
        """Return the device's session in progress, or its last one."""
        return self.coordinator.data.current_session(**self._filter)

    def current_or_next_slot(self, now: datetime) -> PlannedSlot | None:
        """Return the planned slot in progress, or the next one (none once the car is unplugged)."""
        return next((slot for slot in self.planned_slots() if slot.end > now), None)


class SessionSensor(SessionEntity, SensorEntity):
    """A figure of the charger's or car's current session."""

    entity_description: SessionSensorDescription

    @property
    def available(self) -> bool:
        """Unavailable until the device had a session."""
        return super().available and self.session is not None

    @property
    def native_value(self) -> StateType | Decimal:
        """Return the figure of the session."""
        session = self.session
        return None if session is None else self.entity_description.value_fn(session)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the session's currency for money, else the description's unit."""
        if self.entity_description.unit_is_currency:
            session = self.session
            return None if session is None else session.currency
        return self.entity_description.native_unit_of_measurement


class _SlotTimer(SessionEntity):
    """Writes its state again when the slot in progress ends or the next one starts."""

    _unsub_timer: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Start the timer with the entity."""
        await super().async_added_to_hass()
        self._schedule_boundary()
        self.async_on_remove(self._cancel_timer)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._schedule_boundary()
        super()._handle_coordinator_update()

    @callback
    def _schedule_boundary(self) -> None:
        self._cancel_timer()
        now = dt_util.utcnow()
        slot = self.current_or_next_slot(now)
        if slot is not None:
            at = slot.start if slot.start > now else slot.end
            self._unsub_timer = async_track_point_in_utc_time(self.hass, self._at_boundary, at)

    @callback
    def _at_boundary(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._schedule_boundary()
        self.async_write_ha_state()

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None


class SlotSensor(_SlotTimer, SensorEntity):
    """The start or end of the planned charging slot in progress or next."""

    entity_description: SlotSensorDescription

    @property
    def native_value(self) -> datetime | None:
        """Return the time, or unknown when nothing is planned."""
        slot = self.current_or_next_slot(dt_util.utcnow())
        return None if slot is None else self.entity_description.value_fn(slot)


class SlotActiveBinarySensor(_SlotTimer, BinarySensorEntity):
    """On while a planned smart charging slot is in progress; its slots in the layout energy managers read.

    The attributes follow Octopus Energy's *Intelligent dispatching* sensor (see `dispatches`), so Predbat and
    similar tools take ev.energy's plan unchanged. They are left out of the recorder: they change with every
    slot that passes, and only their current value is of use.
    """

    _unrecorded_attributes = frozenset({PLANNED_DISPATCHES, COMPLETED_DISPATCHES})

    @property
    def is_on(self) -> bool:
        """Return whether a planned slot runs now."""
        now = dt_util.utcnow()
        slot = self.current_or_next_slot(now)
        return slot is not None and slot.start <= now

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the slots still ahead (the one in progress first) and those delivered over the last day."""
        now = dt_util.utcnow()
        running = self.running_sub_session()
        if running is None:
            return {PLANNED_DISPATCHES: [], COMPLETED_DISPATCHES: []}
        planned = [
            planned_dispatch(slot.start, slot.end, running.mode)
            for slot in self.planned_slots()
            if slot.end > now
        ]
        return {PLANNED_DISPATCHES: planned, COMPLETED_DISPATCHES: self._completed(now)}

    def _completed(self, now: datetime) -> list[dict[str, Any]]:
        """Return what ev.energy's dispatches delivered in this plug-in's sub-sessions over the last day."""
        session = self.session
        held = self.coordinator.data.deliveries
        return [
            completed_dispatch(delivery, sub.mode)
            for sub in (session.sub_sessions if session is not None else ())
            if sub.mode in DISPATCHED_MODES
            for delivery in held.get(sub.id, [])
            if now - COMPLETED_WINDOW < delivery.end <= now
        ]


class LifetimeEnergySensor(ReaderEntity, RestoreSensor):
    """A car's energy charged over every hour imported into its statistic (the backfill included).

    The total is the recorder's last sum, read at start-up, so the value is there again right after a restart. A
    revision ev.energy makes downwards corrects the hourly statistics, but this total-increasing sensor holds the
    highest value it showed (restored across restarts): a dip would read as a meter reset and count again.
    """

    entity_description = LIFETIME_ENERGY

    def __init__(
        self, reader: SessionsReader, polling: EvEnergyCoordinator, device: Vehicle
    ) -> None:
        """Bind the sensor to a car."""
        super().__init__(reader, polling, device, LIFETIME_ENERGY.key)
        self._highest: float | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the highest value shown before the restart."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float | Decimal):
            self._highest = float(last.native_value)

    @property
    def available(self) -> bool:
        """Available while polling lists the car: the total comes from storage, not from the latest read."""
        polling = self.polling
        return polling.last_update_success and self.device_id in polling.data.vehicles

    @property
    def native_value(self) -> float | None:
        """Return the total in kWh to the Wh (sums of floats must not wobble downwards), unknown before any."""
        total = self.coordinator.charging.total(self.device_id)
        if total is None:
            return self._highest
        value = round(total, 3)
        return value if self._highest is None else max(value, self._highest)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._highest = self.native_value
        super()._handle_coordinator_update()


type EntityFactory = Callable[[EvEnergyCoordinator, ChargerOrCar], list[Entity]]


def session_sensors(reader: SessionsReader) -> EntityFactory:
    """Return the factory of a charger's or car's session sensors, for `add_entities_as_devices_appear`."""

    def factory(polling: EvEnergyCoordinator, device: ChargerOrCar) -> list[Entity]:
        return [
            *(SessionSensor(reader, polling, device, desc) for desc in SESSION_SENSORS),
            *(SlotSensor(reader, polling, device, desc) for desc in SLOT_SENSORS),
            *(
                [LifetimeEnergySensor(reader, polling, device)]
                if isinstance(device, Vehicle)
                else []
            ),
        ]

    return factory


def slot_active_sensors(reader: SessionsReader) -> EntityFactory:
    """Return the factory of a charger's or car's "smart charge slot active" binary sensor."""
    return lambda polling, device: [SlotActiveBinarySensor(reader, polling, device, SLOT_ACTIVE)]


def add_charger_and_car_entities(
    entry: EvEnergyConfigEntry,
    add_entities: Callable[[list[Entity]], None],
    factory: Callable[[SessionsReader], EntityFactory],
) -> None:
    """Add a platform's session entities for every charger and car, now and as they appear."""
    build = factory(entry.runtime_data.sessions)
    entry.async_on_unload(
        add_entities_as_devices_appear(
            entry.runtime_data.coordinator,
            add_entities,
            [DeviceEntities(EVSE, build), DeviceEntities(VEHICLE, build)],
        )
    )
