"""The tariff's sensors on the account device: the price now and next, when it changes, the cheapest window.

Each value is worked out from the intervals the tariff reader holds at the moment Home Assistant asks (the reader
wakes the sensors at every interval boundary), so a price is shown as current only within its own interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .device_info import account_device_info
from .runtime import EvEnergyConfigEntry
from .tariff import TariffCoordinator, TariffPrices, window_length

# Not recorded: the list changes at every interval and the prices are in the sensors' own history.
PRICES_AHEAD = "prices_ahead"


@dataclass(frozen=True, kw_only=True)
class TariffSensorDescription(SensorEntityDescription):
    """A tariff sensor: its value and attributes from the prices held, at a moment, for the entry."""

    value_fn: Callable[[TariffPrices, datetime, EvEnergyConfigEntry], float | datetime | None]
    attributes_fn: Callable[[TariffPrices, datetime, EvEnergyConfigEntry], dict[str, Any]] = (
        lambda _prices, _now, _entry: {}
    )
    # A price: shown in the tariff's currency per kWh.
    is_price: bool = False


def _current(prices: TariffPrices, now: datetime, _entry: EvEnergyConfigEntry) -> float | None:
    interval = prices.current(now)
    return None if interval is None else prices.to_major(interval.value)


def _next_price(prices: TariffPrices, now: datetime, _entry: EvEnergyConfigEntry) -> float | None:
    change = prices.next_change(now)
    return None if change is None else prices.to_major(change.value)


def _next_change(
    prices: TariffPrices, now: datetime, _entry: EvEnergyConfigEntry
) -> datetime | None:
    change = prices.next_change(now)
    return None if change is None else change.start


def _cheapest_start(
    prices: TariffPrices, now: datetime, entry: EvEnergyConfigEntry
) -> datetime | None:
    window = prices.cheapest(now, window_length(entry))
    return None if window is None else window.start


def _prices_ahead(
    prices: TariffPrices, now: datetime, _entry: EvEnergyConfigEntry
) -> dict[str, Any]:
    return {
        PRICES_AHEAD: [
            {
                "start": interval.start.isoformat(),
                "end": interval.end.isoformat(),
                "price": prices.to_major(interval.value),
            }
            for interval in prices.ahead(now)
        ]
    }


def _cheapest_window(
    prices: TariffPrices, now: datetime, entry: EvEnergyConfigEntry
) -> dict[str, Any]:
    length = window_length(entry)
    window = prices.cheapest(now, length)
    return {
        "end": None if window is None else window.end.isoformat(),
        "average_price": None if window is None else prices.to_major(window.average),
        "length_minutes": int(length.total_seconds() // 60),
    }


TARIFF_SENSORS: tuple[TariffSensorDescription, ...] = (
    # No device class: a price per kWh is no monetary amount, and the Energy dashboard takes a grid price
    # entity by its unit (<currency>/kWh). Measurement, as core's price sensors (nordpool, tibber) have it.
    TariffSensorDescription(
        key="electricity_price",
        translation_key="electricity_price",
        state_class=SensorStateClass.MEASUREMENT,
        is_price=True,
        value_fn=_current,
        attributes_fn=_prices_ahead,
    ),
    TariffSensorDescription(
        key="next_electricity_price",
        translation_key="next_electricity_price",
        is_price=True,
        value_fn=_next_price,
    ),
    TariffSensorDescription(
        key="next_price_change",
        translation_key="next_price_change",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_change,
    ),
    TariffSensorDescription(
        key="cheapest_window_start",
        translation_key="cheapest_window_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_cheapest_start,
        attributes_fn=_cheapest_window,
    ),
)


def tariff_sensors(entry: EvEnergyConfigEntry) -> list[SensorEntity]:
    """Return the tariff's sensors of an entry, on its account device."""
    return [
        TariffSensor(entry.runtime_data.tariff, entry, description)
        for description in TARIFF_SENSORS
    ]


class TariffSensor(CoordinatorEntity[TariffCoordinator], SensorEntity):
    """A sensor of the account's tariff."""

    _attr_has_entity_name = True
    _unrecorded_attributes = frozenset({PRICES_AHEAD})
    entity_description: TariffSensorDescription

    def __init__(
        self,
        coordinator: TariffCoordinator,
        entry: EvEnergyConfigEntry,
        description: TariffSensorDescription,
    ) -> None:
        """Bind the sensor to the account device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{coordinator.user_id}_{description.key}"
        self._attr_device_info = account_device_info(coordinator.user_id)

    @property
    def available(self) -> bool:
        """Available while a published price covers now, also while a read fails (the prices are day-ahead).

        Not the coordinator's last read: a failed read leaves the prices held true until their intervals pass.
        """
        return self.coordinator.data.current(dt_util.utcnow()) is not None

    @property
    def native_value(self) -> float | datetime | None:
        """Return the value now."""
        return self.entity_description.value_fn(
            self.coordinator.data, dt_util.utcnow(), self._entry
        )

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return <currency>/kWh for a price (the Energy dashboard's price unit)."""
        currency = self.coordinator.data.currency
        if not self.entity_description.is_price or not currency:
            return None
        return f"{currency}/{UnitOfEnergy.KILO_WATT_HOUR}"

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the prices ahead (the price sensor) or the window's end and average (the window)."""
        attributes = self.entity_description.attributes_fn(
            self.coordinator.data, dt_util.utcnow(), self._entry
        )
        return attributes or None
