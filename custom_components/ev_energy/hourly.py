"""Hourly statistics imported into Home Assistant's recorder, exact to the hour they happened in.

ev.energy reports energy after it flowed, sometimes hours later, and sometimes revises it. Each statistic keeps
its value per hour (the hour the energy flowed in) for a bounded window, and the sum of everything older. When an
hour is new or changes, the statistic is imported again from that hour on, with the running sums recomputed, so
the same hour imported twice changes nothing and a revised hour corrects every sum after it. What is kept lives
in a `Store`, so a restart neither loses nor repeats an hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .storage import entry_stores

SAVE_DELAY_SECONDS: Final = 10
# Hours older than this are folded into the sum and no longer corrected: revisions come within days.
KEEP_HOURS: Final = timedelta(days=35)
ENERGY_UNIT_CLASS: Final = "energy"
HOUR: Final = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    """Return the start of the UTC hour a moment lies in."""
    return dt_util.as_utc(moment).replace(minute=0, second=0, microsecond=0)


def statistic_id(*parts: str) -> str:
    """Return an external statistic id such as ``ev_energy:vehicle_abc_energy`` (lowercase, single underscores)."""
    object_id = "_".join(part.strip("_").lower() for part in parts if part.strip("_"))
    return f"{DOMAIN}:{object_id}"


@dataclass(frozen=True, kw_only=True)
class SeriesInfo:
    """What the recorder shows of a statistic: its name and unit (kWh or a currency code)."""

    statistic_id: str
    name: str
    unit: str

    @property
    def is_energy(self) -> bool:
        """Return whether the statistic is energy (converted by Home Assistant) rather than money."""
        return self.unit == UnitOfEnergy.KILO_WATT_HOUR

    def metadata(self) -> StatisticMetaData:
        """Return the recorder metadata, with ``unit_class`` only where this Home Assistant knows it."""
        metadata: dict[str, Any] = {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": self.name,
            "source": DOMAIN,
            "statistic_id": self.statistic_id,
            "unit_of_measurement": self.unit,
        }
        keys = StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__
        if "unit_class" in keys:
            # Home Assistant 2025.11 added it (and requires it from 2026.11); 2025.4 rejects it.
            metadata["unit_class"] = ENERGY_UNIT_CLASS if self.is_energy else None
        return cast("StatisticMetaData", metadata)


@dataclass
class HourlySeries:
    """One statistic: its value per hour inside the window, the sum before it, and where it must be re-imported."""

    info: SeriesInfo
    hours: dict[datetime, float] = field(default_factory=dict)
    sum_before: float = 0.0
    first_kept: datetime | None = None
    changed_from: datetime | None = None

    def set(self, hour: datetime, value: float) -> bool:
        """Set an hour's value; return whether it changed. Hours folded into the sum are not corrected."""
        if self.first_kept is not None and hour < self.first_kept:
            return False
        if self.hours.get(hour) == value:
            return False
        self.hours[hour] = value
        if self.changed_from is None or hour < self.changed_from:
            self.changed_from = hour
        return True

    @property
    def total(self) -> float:
        """Return the sum over every hour ever kept."""
        return self.sum_before + sum(self.hours.values())

    def statistics(self) -> list[StatisticData]:
        """Return the hours from the first changed one on, each with the running sum up to its end."""
        if self.changed_from is None:
            return []
        running = self.sum_before
        rows: list[StatisticData] = []
        for hour in sorted(self.hours):
            running += self.hours[hour]
            if hour >= self.changed_from:
                rows.append(StatisticData(start=hour, state=running, sum=running))
        return rows

    def fold(self, before: datetime) -> None:
        """Fold hours older than ``before`` into the sum (after they were imported)."""
        for hour in [hour for hour in self.hours if hour < before]:
            self.sum_before += self.hours.pop(hour)
        self.first_kept = before if self.first_kept is None else max(self.first_kept, before)

    def to_store(self) -> dict[str, Any]:
        """Return the series as JSON for the store."""
        return {
            "statistic_id": self.info.statistic_id,
            "name": self.info.name,
            "unit": self.info.unit,
            "hours": {hour.isoformat(): value for hour, value in sorted(self.hours.items())},
            "sum_before": self.sum_before,
            "first_kept": iso_or_none(self.first_kept),
            "changed_from": iso_or_none(self.changed_from),
        }

    @classmethod
    def from_store(cls, raw: Mapping[str, Any]) -> HourlySeries | None:
        """Return a stored series; one that cannot be read is dropped (and built again from new data)."""
        try:
            info = SeriesInfo(
                statistic_id=str(raw["statistic_id"]), name=str(raw["name"]), unit=str(raw["unit"])
            )
            hours = {parse_utc(hour): float(value) for hour, value in dict(raw["hours"]).items()}
            return cls(
                info=info,
                hours=hours,
                sum_before=float(raw["sum_before"]),
                first_kept=_parse_optional(raw.get("first_kept")),
                changed_from=_parse_optional(raw.get("changed_from")),
            )
        except (KeyError, TypeError, ValueError):
            return None


class HourlyStatistics:
    """An entry's hourly statistics: kept in a store, imported into the recorder when an hour is new or changed."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize with nothing held; `async_load` reads the store."""
        self.hass = hass
        self.series: dict[str, HourlySeries] = {}
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry_id).store("statistics")

    async def async_load(self) -> None:
        """Read what earlier runs kept."""
        stored = await self._store.async_load() or {}
        for raw in stored.get("series", []):
            if isinstance(raw, Mapping) and (series := HourlySeries.from_store(raw)) is not None:
                self.series[series.info.statistic_id] = series

    async def async_save(self) -> None:
        """Write what is held now (the entry unloads; a delayed save would be lost)."""
        await self._store.async_save(self._to_store())

    def get(self, info: SeriesInfo) -> HourlySeries:
        """Return the series of a statistic, created empty the first time (its name follows the device's)."""
        series = self.series.get(info.statistic_id)
        if series is None:
            series = self.series[info.statistic_id] = HourlySeries(info=info)
        elif series.info != info:
            series.info = info
            series.changed_from = min(series.hours, default=None)
        return series

    def set_hours(self, info: SeriesInfo, values: Mapping[datetime, float]) -> bool:
        """Set several hours of a statistic; return whether any changed."""
        series = self.get(info)
        changed = [series.set(hour, value) for hour, value in values.items()]
        return any(changed)

    def async_import(self, now: datetime | None = None) -> int:
        """Import every changed series into the recorder, fold old hours; return the number of hours imported.

        Without the recorder (it is not loaded) nothing is imported and the changes wait for it.
        """
        if "recorder" not in self.hass.config.components:
            return 0
        imported = 0
        for series in self.series.values():
            rows = series.statistics()
            if rows:
                async_add_external_statistics(self.hass, series.info.metadata(), rows)
                imported += len(rows)
                series.changed_from = None
            series.fold(hour_of(now or dt_util.utcnow()) - KEEP_HOURS)
        self._store.async_delay_save(self._to_store, SAVE_DELAY_SECONDS)
        return imported

    def diagnostics(self) -> dict[str, object]:
        """Return counts for diagnostics (statistic ids name devices: they are left out)."""
        return {
            "series": len(self.series),
            "hours_kept": sum(len(series.hours) for series in self.series.values()),
            "waiting_for_import": sum(
                1 for s in self.series.values() if s.changed_from is not None
            ),
        }

    def _to_store(self) -> dict[str, Any]:
        return {"series": [series.to_store() for series in self.series.values()]}


def hourly_sums(items: Iterable[tuple[datetime, float]]) -> dict[datetime, float]:
    """Return the values of (moment, value) pairs summed per UTC hour."""
    sums: dict[datetime, float] = {}
    for moment, value in items:
        hour = hour_of(moment)
        sums[hour] = sums.get(hour, 0.0) + value
    return sums


def iso_or_none(value: datetime | None) -> str | None:
    """Return a time as ISO 8601 for a store (None stays None)."""
    return None if value is None else value.isoformat()


def parse_utc(value: object) -> datetime:
    """Return a stored ISO 8601 time in UTC; raise ValueError for anything else."""
    parsed = dt_util.parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(value)
    return dt_util.as_utc(parsed)


def parse_utc_or_none(value: object) -> datetime | None:
    """Return a stored ISO 8601 time in UTC, or None for anything else (a store this version cannot read)."""
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _parse_optional(value: object) -> datetime | None:
    return None if value is None else parse_utc(value)
