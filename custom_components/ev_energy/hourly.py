"""Hourly statistics kept by Home Assistant's recorder, exact to the hour they happened in.

ev.energy reports energy after it flowed, sometimes hours later, and sometimes revises it. The readers hand over
each hour's value (what flowed in that UTC hour). Before importing, the recorder's own rows from the first such hour
on are read back: an hour whose value the recorder already holds is not written again; a new or revised hour is,
and so is every later row whose running sum it moves. The sum before the first hour is the recorder's, so an entry
removed and added again, or a restored backup, continues every sum (no negative hour, nothing counted twice).

The integration keeps no copy of the hourly values: only hours the recorder has not received yet (it is not
loaded, or has not written the previous import yet) wait in a `Store`, so a restart does not lose them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .storage import entry_stores

SAVE_DELAY_SECONDS: Final = 10
# Sub-sessions older than this are no longer re-read, so their hours are no longer corrected.
KEEP_HOURS: Final = timedelta(days=35)
ENERGY_UNIT_CLASS: Final = "energy"
HOUR: Final = timedelta(hours=1)
# Sums are floats that round-trip through the database: a smaller difference is no change.
EPSILON: Final = 1e-9
RECORDER: Final = "recorder"
# Imports a statistic waits for the recorder to show its last rows before taking the recorder's rows as they are.
READ_BACK_WAITS: Final = 3


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
class Pending:
    """Hours of a statistic the recorder has not received yet, with the sum before them should it hold none."""

    info: SeriesInfo
    hours: dict[datetime, float] = field(default_factory=dict)
    # Only for a statistic the recorder holds no row of (an entry migrated from a store of sums).
    base: float = 0.0

    def to_store(self) -> dict[str, Any]:
        """Return the pending hours as JSON."""
        return {
            "statistic_id": self.info.statistic_id,
            "name": self.info.name,
            "unit": self.info.unit,
            "base": self.base,
            "hours": {hour.isoformat(): value for hour, value in sorted(self.hours.items())},
        }

    @classmethod
    def from_store(cls, raw: Mapping[str, Any]) -> Pending | None:
        """Return stored pending hours (or a series of the store before 0.2: its hours and its sum before them)."""
        try:
            info = SeriesInfo(
                statistic_id=str(raw["statistic_id"]), name=str(raw["name"]), unit=str(raw["unit"])
            )
            hours = {parse_utc(hour): float(value) for hour, value in dict(raw["hours"]).items()}
            return cls(info, hours, float(raw.get("base", raw.get("sum_before", 0.0))))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Recorded:
    """What the recorder holds of a statistic from an hour on: each row's change and sum, and the sum before."""

    hours: dict[datetime, tuple[float, float]]
    # The sum of the last row before the first hour read; None when the recorder holds no row of the statistic.
    before: float | None
    name: str | None = None


def rows_to_import(
    recorded: Recorded, hours: Mapping[datetime, float], base: float = 0.0
) -> tuple[list[StatisticData], float]:
    """Return the rows whose value or sum changes, and the statistic's last sum afterwards.

    An hour the recorder holds with the same value is skipped; a row after a changed hour gets its sum moved. An
    hour without energy that the recorder does not hold needs no row. The state is the running sum, as before.
    """
    running = base if recorded.before is None else recorded.before
    rows: list[StatisticData] = []
    for hour in sorted(hours.keys() | recorded.hours.keys()):
        held = recorded.hours.get(hour)
        value = hours[hour] if hour in hours else held[0] if held else 0.0
        total = running + value
        if held is None and abs(value) <= EPSILON:
            continue
        if held is not None and abs(total - held[1]) <= EPSILON:
            running = held[1]  # the recorder's own figure: no drift from re-adding floats
            continue
        rows.append(StatisticData(start=hour, state=total, sum=total))
        running = total
    return rows, running


def read_recorded(hass: HomeAssistant, firsts: Mapping[str, datetime]) -> dict[str, Recorded]:
    """Return each statistic's rows from its first hour on (run in the recorder's executor)."""
    metadata = get_metadata(hass, statistic_ids=set(firsts))
    return {
        sid: _read_one(hass, sid, first, metadata[sid][1]["name"] if sid in metadata else None)
        for sid, first in firsts.items()
    }


def _read_one(hass: HomeAssistant, sid: str, first: datetime, name: str | None) -> Recorded:
    rows = statistics_during_period(hass, first, None, {sid}, "hour", None, {"change", "sum"})
    found = rows.get(sid, [])
    hours = {
        dt_util.utc_from_timestamp(row["start"]): (row.get("change") or 0.0, row.get("sum") or 0.0)
        for row in found
    }
    if found:
        # The change of the first row is counted from the last row before it (0 when there is none).
        first_change, first_sum = hours[min(hours)]
        return Recorded(hours, first_sum - first_change, name)
    last = get_last_statistics(hass, 1, sid, True, {"sum"}).get(sid, [])
    return Recorded(hours, (last[0].get("sum") or 0.0) if last else None, name)


def read_totals(hass: HomeAssistant) -> dict[str, float]:
    """Return the last sum of every statistic of the integration (run in the recorder's executor)."""
    totals: dict[str, float] = {}
    for sid in get_metadata(hass, statistic_source=DOMAIN):
        last = get_last_statistics(hass, 1, sid, True, {"sum"}).get(sid, [])
        if last:
            totals[sid] = last[0].get("sum") or 0.0
    return totals


class HourlyStatistics:
    """An entry's hourly statistics: handed to the recorder, which keeps them; only what waits for it is stored."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize with nothing waiting; `async_load` reads what an earlier run left waiting."""
        self.hass = hass
        self.pending: dict[str, Pending] = {}
        # Each statistic's last sum in the recorder, as read at set-up and after every import.
        self.totals: dict[str, float] = {}
        # The last row written per statistic: the next import waits until the recorder shows it.
        self._written: dict[str, tuple[datetime, float]] = {}
        self._waits: dict[str, int] = {}
        self._lock = asyncio.Lock()
        # The statistics the store holds hours of: it goes once the recorder showed their rows.
        self._stored: set[str] = set()
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry_id).store("statistics")

    async def async_load(self) -> None:
        """Read the hours an earlier run left waiting (before 0.2: every kept hour, sent again to compare)."""
        stored = await self._store.async_load() or {}
        for raw in [*stored.get("pending", []), *stored.get("series", [])]:
            if isinstance(raw, Mapping) and (found := Pending.from_store(raw)) is not None:
                self.pending[found.info.statistic_id] = found
        self._stored = set(self.pending)
        if stored and not self.pending:
            await self._store.async_remove()  # nothing in it waits for the recorder
        if RECORDER in self.hass.config.components:
            self.totals = await get_instance(self.hass).async_add_executor_job(
                read_totals, self.hass
            )

    async def async_save(self) -> None:
        """Write what still waits for the recorder (the entry unloads; a delayed save would be lost)."""
        if self.pending:
            self._stored |= set(self.pending)
            await self._store.async_save(self._to_store())

    def set_hours(self, info: SeriesInfo, values: Mapping[datetime, float]) -> bool:
        """Hand over the values of several hours of a statistic; return whether there were any."""
        if not values:
            return False
        pending = self.pending.get(info.statistic_id)
        if pending is None:
            pending = self.pending[info.statistic_id] = Pending(info)
        pending.info = info  # its name follows the device's
        pending.hours.update(values)
        return True

    def total(self, sid: str) -> float | None:
        """Return a statistic's last sum in the recorder (None before any).

        Without the recorder, the sum its hours will have once it runs: every hour waits for it until then.
        """
        if RECORDER in self.hass.config.components:
            return self.totals.get(sid)
        pending = self.pending.get(sid)
        return None if pending is None else pending.base + sum(pending.hours.values())

    async def async_import(self) -> int:
        """Import every changed hour and the sums after it; return the rows imported.

        Without the recorder (it is not loaded) nothing is imported and the hours wait for it.
        """
        if RECORDER not in self.hass.config.components or not (self.pending or self._written):
            return 0
        if self.hass.state is not CoreState.running:
            # The recorder writes nothing before Home Assistant has started (waiting for it here would hold up the
            # start) and closes its database when stopping. The hours wait: `async_import_once_started` imports
            # them once started, and unloading stores them.
            return 0
        async with self._lock:
            batch = {
                sid: (p.info, dict(p.hours), p.base) for sid, p in self.pending.items() if p.hours
            }
            recorded = await self._async_read_back(
                {sid: min(hours) for sid, (_info, hours, _base) in batch.items()}
            )
            imported = 0
            for sid, (info, hours, base) in batch.items():
                if sid in recorded:
                    imported += self._import(info, hours, base, recorded[sid])
                    self._forget(sid, hours)
        await self._async_store()
        return imported

    async def async_import_once_started(self, _hass: HomeAssistant) -> None:
        """Import what was read while Home Assistant was starting (for `async_at_started`)."""
        await self.async_import()

    async def _async_read_back(self, firsts: dict[str, datetime]) -> dict[str, Recorded]:
        """Read the recorder's rows, leaving out statistics whose last import it has not written yet."""
        instance = get_instance(self.hass)
        # What earlier imports queued is written before it is read back (and checked below: before 2025.11 this
        # returns while the recorder still writes).
        await instance.async_block_till_done()
        for sid, (hour, _sum) in self._written.items():
            firsts[sid] = min(firsts.get(sid, hour), hour)
        recorded = await instance.async_add_executor_job(read_recorded, self.hass, firsts)
        for sid, (hour, written) in list(self._written.items()):
            held = recorded[sid].hours.get(hour)
            self._waits[sid] = self._waits.get(sid, 0) + 1
            if held is not None and abs(held[1] - written) <= EPSILON:
                self._confirmed(sid)
            elif self._waits[sid] > READ_BACK_WAITS:
                # Not a slow write: the row was changed or deleted in the recorder (developer tools), which wins.
                LOGGER.debug("The recorder changed %s: importing on its rows", sid)
                self._confirmed(sid)
            else:
                LOGGER.debug("The recorder has not written %s yet: its hours wait", sid)
                del recorded[sid]
        return recorded

    def _confirmed(self, sid: str) -> None:
        del self._written[sid]
        self._waits.pop(sid, None)

    def _import(
        self, info: SeriesInfo, hours: dict[datetime, float], base: float, recorded: Recorded
    ) -> int:
        rows, total = rows_to_import(recorded, hours, base)
        if rows or recorded.name != info.name:
            # Rows or not, the import also renames the statistic after its device.
            async_add_external_statistics(self.hass, info.metadata(), rows)
        if rows:
            self._written[info.statistic_id] = (rows[-1]["start"], total)
        self.totals[info.statistic_id] = total
        return len(rows)

    def _forget(self, sid: str, imported: Mapping[datetime, float]) -> None:
        """Drop the hours imported, unless a read set them again meanwhile."""
        pending = self.pending[sid]
        for hour, value in imported.items():
            if pending.hours.get(hour) == value:
                del pending.hours[hour]
        if not pending.hours:
            del self.pending[sid]

    async def _async_store(self) -> None:
        if self.pending:
            self._stored |= set(self.pending)
            self._store.async_delay_save(self._to_store, SAVE_DELAY_SECONDS)
        elif self._stored and not self._stored & self._written.keys():
            # Nothing waits, and the recorder showed the rows of what the store held: the store (also one of
            # every kept hour, from before 0.2) goes.
            self._stored = set()
            await self._store.async_remove()

    def diagnostics(self) -> dict[str, object]:
        """Return counts for diagnostics (statistic ids name devices: they are left out)."""
        return {
            "statistics": len(self.totals),
            "waiting_for_import": len(self.pending),
            "hours_waiting": sum(len(p.hours) for p in self.pending.values()),
        }

    def _to_store(self) -> dict[str, Any]:
        return {"pending": [pending.to_store() for pending in self.pending.values()]}


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
