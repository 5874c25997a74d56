"""Charging statistics: energy, its grid and solar parts, and cost per charger and per car, in the hour it flowed.

The source is each sub-session's ``energy_usage``: intervals saying when energy was delivered, how much of it came
from the grid and at what price. Each interval lands in the UTC hour of its start (split in proportion to the time
it spends in each hour when it crosses one). What every sub-session contributed to each hour is kept, keyed by
sub-session, so reading one again (ev.energy revised it, or a backfill meets it twice) replaces its part instead of
adding it again. Each touched hour's value is summed again from every sub-session's part, and `HourlyStatistics`
imports the hours whose value differs from the recorder's. Only these parts are stored (to never count a
sub-session twice), not the hourly values: the recorder keeps those.

Rules where ev.energy's figures leave room:
- ``percentage_import`` missing: the energy counts as grid energy (nothing says the sun delivered any).
- Cost: the prices of ``energy_delivered_by_price`` (one object or a list) over their energy, else the interval's
  rate ``electricity_cost_sub_unit`` over its energy; either way only the grid share is paid for. No price: no
  cost for that interval. Prices are minor units per kWh; the statistic is in the currency's major unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api.models import ChargingSubSession, EnergyUsage, UsageInterval
from .api.models.base import resource_id
from .hourly import (
    HOUR,
    KEEP_HOURS,
    HourlyStatistics,
    SeriesInfo,
    hour_of,
    iso_or_none,
    parse_utc,
    parse_utc_or_none,
    statistic_id,
)
from .money import minor_unit_decimals
from .storage import entry_stores

SAVE_DELAY_SECONDS: Final = 10
# The statistic kinds of a charger or car: (suffix of the statistic id, what its name says after the device's).
ENERGY: Final = "energy"
GRID_ENERGY: Final = "grid_energy"
SOLAR_ENERGY: Final = "solar_energy"
COST: Final = "cost"
KINDS: Final = (ENERGY, GRID_ENERGY, SOLAR_ENERGY, COST)
_NAMES: Final = {
    ENERGY: "energy charged",
    GRID_ENERGY: "grid energy",
    SOLAR_ENERGY: "solar energy",
    COST: "charging cost",
}
WH_PER_KWH: Final = Decimal(1000)
PERCENT: Final = Decimal(100)


def series_id(device_id: str, kind: str) -> str:
    """Return the statistic id of a charger's or car's statistic (``kind`` one of `KINDS`)."""
    return statistic_id(device_id, kind)


@dataclass(frozen=True)
class Figures:
    """Energy (kWh) of an interval or hour, its grid and solar parts, and its cost (major units, None: unknown)."""

    energy: float
    grid: float
    solar: float
    cost: float | None

    def scaled(self, share: float) -> Figures:
        """Return the part of these figures that lies in a share (0-1) of the interval."""
        cost = None if self.cost is None else self.cost * share
        return Figures(self.energy * share, self.grid * share, self.solar * share, cost)

    def __add__(self, other: Figures) -> Figures:
        """Return the sum (a cost known on either side counts)."""
        if self.cost is None and other.cost is None:
            cost = None
        else:
            cost = (self.cost or 0.0) + (other.cost or 0.0)
        return Figures(
            self.energy + other.energy, self.grid + other.grid, self.solar + other.solar, cost
        )

    def value(self, kind: str) -> float | None:
        """Return the figure of one statistic kind."""
        return {
            ENERGY: self.energy,
            GRID_ENERGY: self.grid,
            SOLAR_ENERGY: self.solar,
            COST: self.cost,
        }[kind]

    def to_store(self) -> list[float | None]:
        """Return the figures as JSON."""
        return [self.energy, self.grid, self.solar, self.cost]

    @classmethod
    def from_store(cls, raw: object) -> Figures:
        """Return stored figures; raise ValueError for anything else."""
        if not isinstance(raw, list) or len(raw) != len(KINDS):
            raise ValueError(raw)
        energy, grid, solar, cost = raw
        return cls(float(energy), float(grid), float(solar), None if cost is None else float(cost))


def interval_cost_minor(interval: UsageInterval, grid_share: Decimal) -> Decimal | None:
    """Return what an interval cost in minor units: its priced energy (or its rate) times the grid share."""
    tiers = [
        tier
        for tier in interval.energy_delivered_by_price or []
        if tier.price is not None and tier.energy_delivered_watt_hours is not None
    ]
    if tiers:
        priced = sum(
            (tier.price * tier.energy_delivered_watt_hours for tier in tiers),  # type: ignore[operator]
            Decimal(0),
        )
        return priced / WH_PER_KWH * grid_share
    energy = interval.total_energy_delivered_watt_hours
    if interval.electricity_cost_sub_unit is None or energy is None:
        return None
    return interval.electricity_cost_sub_unit * energy / WH_PER_KWH * grid_share


def interval_figures(interval: UsageInterval, currency: str | None) -> Figures | None:
    """Return an interval's figures, or None when it says no energy."""
    energy_wh = interval.total_energy_delivered_watt_hours
    if energy_wh is None or energy_wh < 0:
        return None
    percentage = interval.percentage_import
    grid_share = Decimal(100 if percentage is None else min(100, max(0, percentage))) / PERCENT
    energy = Decimal(energy_wh) / WH_PER_KWH
    grid = energy * grid_share
    cost_minor = interval_cost_minor(interval, grid_share) if currency else None
    cost = (
        None
        if cost_minor is None or currency is None
        else float(cost_minor.scaleb(-minor_unit_decimals(currency)))
    )
    return Figures(float(energy), float(grid), float(energy - grid), cost)


def split_by_hour(
    start: datetime, seconds: int | None, figures: Figures
) -> dict[datetime, Figures]:
    """Return an interval's figures per UTC hour, in proportion to the time it spends in each."""
    start = dt_util.as_utc(start)
    if not seconds or seconds <= 0:
        return {hour_of(start): figures}
    end = start + timedelta(seconds=seconds)
    parts: dict[datetime, Figures] = {}
    hour = hour_of(start)
    while hour < end:
        overlap = min(end, hour + HOUR) - max(start, hour)
        parts[hour] = figures.scaled(overlap.total_seconds() / seconds)
        hour += HOUR
    return parts


def hourly_figures(usage: EnergyUsage) -> dict[datetime, Figures]:
    """Return a sub-session's figures per UTC hour, from its energy usage intervals."""
    hours: dict[datetime, Figures] = {}
    for interval in usage.intervals or []:
        if interval.started_at is None:
            continue
        figures = interval_figures(interval, usage.currency)
        if figures is None:
            continue
        for hour, part in split_by_hour(
            interval.started_at, interval.interval_seconds, figures
        ).items():
            hours[hour] = hours[hour] + part if hour in hours else part
    return hours


@dataclass
class Contribution:
    """What one sub-session added to each hour of its charger and car."""

    evse_id: str | None
    vehicle_id: str | None
    currency: str | None
    hours: dict[datetime, Figures]

    @property
    def device_ids(self) -> list[str]:
        """Return the charger and car the energy counts for."""
        return [device for device in (self.evse_id, self.vehicle_id) if device]

    def to_store(self) -> dict[str, Any]:
        """Return the contribution as JSON."""
        return {
            "evse_id": self.evse_id,
            "vehicle_id": self.vehicle_id,
            "currency": self.currency,
            "hours": {hour.isoformat(): figures.to_store() for hour, figures in self.hours.items()},
        }

    @classmethod
    def from_store(cls, raw: Mapping[str, Any]) -> Contribution | None:
        """Return a stored contribution, or None for one this version cannot read."""
        try:
            hours = {
                parse_utc(hour): Figures.from_store(figures)
                for hour, figures in dict(raw["hours"]).items()
            }
        except (KeyError, TypeError, ValueError):
            return None

        def text(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) else None

        return cls(text("evse_id"), text("vehicle_id"), text("currency"), hours)


class ChargingStatistics:
    """Turns sub-sessions' energy usage into the hourly statistics of their charger and car."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        statistics: HourlyStatistics,
        name_of: Callable[[str], str],
    ) -> None:
        """Bind to the entry's hourly statistics; ``name_of`` names a charger or car by its id."""
        self.statistics = statistics
        self._name_of = name_of
        self.contributions: dict[str, Contribution] = {}
        # Hours whose totals must be summed again, per device.
        self._touched: dict[str, set[datetime]] = {}
        # Where the backfill stands: sub-sessions that started before this are still to be read (None: done).
        self.backfill_before: datetime | None = None
        self.backfill_until: datetime | None = None
        self.last_revision_read: datetime | None = None
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry_id).store(
            "charging_statistics"
        )

    async def async_load(self) -> None:
        """Read what earlier runs kept."""
        stored = await self._store.async_load() or {}
        raw_contributions = stored.get("contributions", {})
        if isinstance(raw_contributions, dict):
            for sub_id, raw in raw_contributions.items():
                if isinstance(raw, Mapping) and (found := Contribution.from_store(raw)) is not None:
                    self.contributions[sub_id] = found
        backfill = stored.get("backfill", {})
        if isinstance(backfill, dict):
            self.backfill_before = parse_utc_or_none(backfill.get("before"))
            self.backfill_until = parse_utc_or_none(backfill.get("until"))
            self.last_revision_read = parse_utc_or_none(backfill.get("last_revision_read"))

    async def async_save(self) -> None:
        """Write what is held now (the entry unloads), with the hours not imported yet."""
        self._hand_over(dt_util.utcnow())
        await self._store.async_save(self._to_store())
        await self.statistics.async_save()

    def add(self, sub: ChargingSubSession) -> bool:
        """Take a sub-session's energy usage (when expanded); return whether any hour changed."""
        usage = sub.energy_usage
        if not isinstance(usage, EnergyUsage):
            return False
        currency = usage.currency or sub.currency
        found = Contribution(
            evse_id=resource_id(sub.evse),
            vehicle_id=resource_id(sub.vehicle),
            currency=currency,
            hours=hourly_figures(usage),
        )
        previous = self.contributions.get(sub.id)
        if previous == found:
            return False
        self.contributions[sub.id] = found
        for part in (previous, found):
            if part is not None:
                for device_id in part.device_ids:
                    self._touched.setdefault(device_id, set()).update(part.hours)
        return True

    def backfill_between(self, after: datetime, before: datetime) -> None:
        """Have the backfill read the sub-sessions that started between two times (as well as what it still reads).

        One cursor walks back from the newest bound to the oldest; what it meets twice is replaced, not added.
        """
        if self.backfill_until is None:
            return  # the first backfill, from the set-up on, covers it
        if self.backfill_before is not None:
            before = max(before, self.backfill_before)
        if self.backfill_until is not None and self.backfill_before is not None:
            after = min(after, self.backfill_until)
        if after < before:
            self.backfill_before, self.backfill_until = before, after

    def add_all(self, subs: Iterable[ChargingSubSession]) -> None:
        """Take the energy usage of several sub-sessions."""
        for sub in subs:
            self.add(sub)

    async def async_import(self, now: datetime) -> int:
        """Set the touched hours of every device's statistics and import them; return the rows imported."""
        self._hand_over(now)
        self._prune(now)
        self._store.async_delay_save(self._to_store, SAVE_DELAY_SECONDS)
        return await self.statistics.async_import()

    def total(self, device_id: str, kind: str = ENERGY) -> float | None:
        """Return a device's statistic over every hour imported (None before any)."""
        return self.statistics.total(series_id(device_id, kind))

    def _hand_over(self, now: datetime) -> None:
        """Give the touched hours' new values to the hourly statistics (which keep them until imported)."""
        # Older hours lost the parts of sub-sessions pruned since: summing them again would lower them.
        oldest = hour_of(now) - KEEP_HOURS
        for device_id, hours in self._touched.items():
            self._set_device_hours(device_id, {hour for hour in hours if hour >= oldest})
        self._touched.clear()

    def _set_device_hours(self, device_id: str, hours: set[datetime]) -> None:
        parts = [part for part in self.contributions.values() if device_id in part.device_ids]
        totals = {hour: Figures(0.0, 0.0, 0.0, None) for hour in hours}
        currencies = [part.currency for part in parts if part.currency]
        # One cost statistic has one currency: the newest sub-session's (an account rarely changes it).
        currency = currencies[-1] if currencies else None
        for part in parts:
            for hour in hours & part.hours.keys():
                figures = part.hours[hour]
                if part.currency != currency:
                    figures = Figures(figures.energy, figures.grid, figures.solar, None)
                totals[hour] = totals[hour] + figures
        name = self._name_of(device_id)
        for kind in KINDS:
            unit = UnitOfEnergy.KILO_WATT_HOUR if kind != COST else currency
            if unit is None:
                continue
            values = {hour: figures.value(kind) or 0.0 for hour, figures in totals.items()}
            info = SeriesInfo(
                statistic_id=series_id(device_id, kind), name=f"{name} {_NAMES[kind]}", unit=unit
            )
            self.statistics.set_hours(info, values)

    def _prune(self, now: datetime) -> None:
        """Forget sub-sessions whose hours all lie before the kept window (they are folded into the sums)."""
        oldest = hour_of(now) - KEEP_HOURS
        for sub_id, part in list(self.contributions.items()):
            if part.hours and max(part.hours) < oldest:
                del self.contributions[sub_id]

    def diagnostics(self) -> dict[str, object]:
        """Return counts and times for diagnostics (no ids)."""
        return {
            "sub_sessions": len(self.contributions),
            "backfill_before": iso_or_none(self.backfill_before),
            "backfill_until": iso_or_none(self.backfill_until),
            "last_revision_read": iso_or_none(self.last_revision_read),
        }

    def _to_store(self) -> dict[str, Any]:
        return {
            "contributions": {
                sub_id: part.to_store() for sub_id, part in self.contributions.items()
            },
            "backfill": {
                "before": iso_or_none(self.backfill_before),
                "until": iso_or_none(self.backfill_until),
                "last_revision_read": iso_or_none(self.last_revision_read),
            },
        }
