"""Home energy: solar production, grid import/export, battery in/out, from ev.energy's HEM system, as hourly statistics.

Where the account has a home energy management (HEM) system, ev.energy reports the home's energy flows in half-hour
buckets (``energy_stats``). Once an hour has passed, the reader asks for the 24 hours before it and imports each hour
whose two buckets are known; reading the whole day again each hour picks up what ev.energy fills in or revises late.
After a new entry or an outage it reads the last day first (what the user looks at), then the missing days before
it (at most ``BACKFILL``), oldest first, one day per read and a few reads an hour. Oldest first because an hour's
statistics carry the running sum: a day filled in before days already imported changes the sums of every hour
after it, so newest first re-imported the whole month at each day (O(days²) recorder rows, about 11,000 per
statistic for a month); oldest first, each read re-imports its own day and the last one. Where it got to lives in a
`Store`, so a restart reads only what is missing.

The reader is a coordinator of its own, taking the gateway and nothing of device polling: each read sets when the
next is due (``update_interval``): five minutes after the next hour once caught up, ten minutes while it
backfills, fifteen after a failure, a day after a refusal. Every read counts against the request budget the polling
shares, and waits when the share has no room. The reader keeps what it will spend in the next hour out of polling's
part (one request an hour, seven while it backfills, none without a HEM system), so polling paces itself on the
rest. Its reads need not follow polls: a 429 met by any caller blocks every caller at the gateway.
Windows start on UTC hours, which are whole or half hours in the HEM system's time zone as ev.energy requires
(except in the few zones 45 minutes off the hour, where ev.energy refuses them; see the 400 below).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import (
    EnergyStatsResolution,
    EvEnergyBadRequestError,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyNotFoundError,
    HemEnergyStatsBucket,
)
from .const import DOMAIN, LOGGER
from .gateway import RequestGateway
from .hourly import (
    HOUR,
    HourlyStatistics,
    SeriesInfo,
    hour_of,
    iso_or_none,
    parse_utc_or_none,
    statistic_id,
)
from .runtime import EvEnergyConfigEntry
from .storage import entry_stores

SAVE_DELAY_SECONDS: Final = 10
# The longest window a half-hour read may span, and how far back a new entry (or one back from an outage) reads.
WINDOW: Final = timedelta(hours=24)
BACKFILL: Final = timedelta(days=30)
# ev.energy fills a half-hour bucket shortly after it ends: the hour is read a few minutes after it passed.
READ_DELAY: Final = timedelta(minutes=5)
# Backfill reads spread out: at most one day every ten minutes (30 days take five hours).
BACKFILL_SPACING: Final = timedelta(minutes=10)
# The HEM systems (there is rarely more than one, and it rarely changes) are listed at set-up and then daily.
SYSTEMS_INTERVAL: Final = timedelta(days=1)
# Without home_energy:read (a token from before it was asked for) the reader tries again this rarely.
FORBIDDEN_INTERVAL: Final = timedelta(days=1)
# After a failed read (ev.energy unreachable, a 429) the next try waits this long.
RETRY_INTERVAL: Final = timedelta(minutes=15)
# The shortest wait for the next read: the timer may fire a fraction of a second before the hour a read was due
# for, which then finds nothing due (and sends nothing) and tries again this much later.
SOONEST: Final = timedelta(seconds=1)
BUCKET: Final = timedelta(minutes=30)
WH_PER_KWH: Final = 1000
# The reader's name in the budget's reservations.
BUDGET_READER: Final = "home_energy"


@dataclass(frozen=True)
class HomeMetric:
    """One imported flow of the home: how a bucket gives it (Wh), the statistic's key and its name."""

    value: Callable[[HemEnergyStatsBucket], int | None]
    key: str
    name: str
    # A flow only some homes have (a battery) is created once energy flows: a home without one reports zeros.
    created_by_energy: bool = False


METRICS: Final = (
    HomeMetric(lambda bucket: bucket.generation_wh, "solar_production", "Home solar production"),
    HomeMetric(lambda bucket: bucket.import_wh, "grid_import", "Home grid import"),
    HomeMetric(lambda bucket: bucket.export_wh, "grid_export", "Home grid export"),
    # The home battery's energy in and out, the two statistics the Energy dashboard's battery takes.
    HomeMetric(lambda bucket: bucket.charge_wh, "battery_charge", "Home battery energy in", True),
    HomeMetric(
        lambda bucket: bucket.discharge_wh, "battery_discharge", "Home battery energy out", True
    ),
)


def requests_per_day(systems: int = 1, *, backfill_days: int = 0) -> int:
    """Return the requests a day of home energy reading costs: one read per hour per system, the list once.

    A backfill adds one read per missing day per system (the day it happens). The benchmark prints this figure.
    """
    return 1 + systems * (int(WINDOW / HOUR) + backfill_days)


def series_info(hem_id: str, metric: HomeMetric, number: int | None = None) -> SeriesInfo:
    """Return the statistic of one flow of a HEM system (numbered when the account has several)."""
    name = metric.name if number is None else f"{metric.name} {number}"
    return SeriesInfo(
        statistic_id=statistic_id(hem_id, metric.key),
        name=name,
        unit=UnitOfEnergy.KILO_WATT_HOUR,
    )


def hourly_values(
    buckets: Sequence[HemEnergyStatsBucket], value_of: Callable[[HemEnergyStatsBucket], int | None]
) -> dict[datetime, float]:
    """Return a flow's kWh per UTC hour, for the hours whose two half-hour buckets both report it.

    A missing or null bucket makes its hour unknown (not zero): the hour is left out until a later read has it.
    """
    halves: dict[datetime, list[int]] = {}
    for bucket in buckets:
        start, end = bucket.period_start, bucket.period_end
        value = value_of(bucket)
        if start is None or end is None or end - start != BUCKET or not isinstance(value, int):
            continue
        halves.setdefault(hour_of(start), []).append(value)
    return {hour: sum(values) / WH_PER_KWH for hour, values in halves.items() if len(values) == 2}


class HomeEnergyReader(DataUpdateCoordinator[None]):
    """Reads the home's energy flows of every HEM system on its own slow cadence, inside the request budget.

    Its data is in the recorder's statistics: the coordinator holds none, it only times the reads.
    """

    config_entry: EvEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        gateway: RequestGateway,
        statistics: HourlyStatistics,
    ) -> None:
        """Set up the reader of one entry; `async_load` restores how far earlier runs read."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} home energy",
            # Each read sets when the next one is due (see `_async_update_data`).
            update_interval=RETRY_INTERVAL,
        )
        self.gateway = gateway
        self.budget = gateway.budget
        self.statistics = statistics
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry.entry_id).store("home_energy")
        self.systems: list[str] | None = None
        self._systems_read_at: datetime | None = None
        # Per HEM system: the end of the last day read (the newest complete hour once it caught up) ...
        self._read_until: dict[str, datetime] = {}
        # ... and the starts of the days before it still to read (a backfill, read newest first).
        self._pending: dict[str, list[datetime]] = {}
        self._next_read: datetime | None = None
        self.forbidden = False
        self._running = False
        self._hours_imported = 0
        self._last_success: datetime | None = None

    async def async_load(self) -> None:
        """Restore the systems and how far each was read (kept across restarts)."""
        stored = await self._store.async_load() or {}
        systems = stored.get("systems")
        if isinstance(systems, list) and all(isinstance(hem_id, str) for hem_id in systems):
            self.systems = systems
            self._systems_read_at = parse_utc_or_none(stored.get("systems_read_at"))
        read_until = stored.get("read_until")
        for hem_id, raw in (read_until if isinstance(read_until, Mapping) else {}).items():
            if (moment := parse_utc_or_none(raw)) is not None:
                self._read_until[str(hem_id)] = moment
        pending = stored.get("pending")
        for hem_id, raw in (pending if isinstance(pending, Mapping) else {}).items():
            starts = [parse_utc_or_none(start) for start in raw] if isinstance(raw, list) else []
            self._pending[str(hem_id)] = sorted(start for start in starts if start is not None)

    async def async_save(self) -> None:
        """Write how far the reader got now (the entry unloads; a delayed save would be lost)."""
        await self._store.async_save(self._to_store())

    async def _async_update_data(self) -> None:
        """Read what is due now: the systems list when it is old, then one window per system."""
        if self._running:
            return  # two refreshes at once: the second leaves it to the first
        self._running = True
        now = dt_util.utcnow()
        try:
            self._next_read = await self._read_within_budget(now)
        finally:
            self._running = False
            self._reserve()
        self.update_interval = max(self._next_read - now, SOONEST)

    async def _read_within_budget(self, now: datetime) -> datetime:
        """Read and return when to read next."""
        try:
            return await self._read(now)
        except EvEnergyForbiddenError as err:
            if not self.forbidden:
                LOGGER.warning(
                    "ev.energy does not let this account read home energy (reauthenticate to grant it): %s",
                    err,
                )
            self.forbidden = True
            return now + FORBIDDEN_INTERVAL
        except EvEnergyNotFoundError as err:
            # A system removed since the list was read: list again at the next try.
            LOGGER.debug("A home energy system is gone: %s", err)
            self._systems_read_at = None
            return now + RETRY_INTERVAL
        except EvEnergyBadRequestError as err:
            # ev.energy refuses the window (its hours are not aligned in the home's time zone): asking again
            # every few minutes would not help.
            LOGGER.warning("ev.energy refused to report the home's energy by the hour: %s", err)
            return now + FORBIDDEN_INTERVAL
        except EvEnergyError as err:
            # A 429 (every caller waits) or a refused sign-in (re-authentication started) is the gateway's.
            LOGGER.debug("Reading home energy failed: %s", err)
            return now + RETRY_INTERVAL

    def _reserve(self) -> None:
        """Keep the requests of the coming hour out of polling's part of the budget."""
        systems = [] if self.forbidden or self.systems is None else self.systems
        backfilling = any(self._pending.get(hem_id) for hem_id in systems)
        per_system = HOUR / BACKFILL_SPACING + 1 if backfilling else 1
        self.budget.reserve(BUDGET_READER, len(systems) * per_system)

    async def _read(self, now: datetime) -> datetime:
        systems = await self._systems(now)
        if systems is None:
            return now + RETRY_INTERVAL  # no room in the budget
        self.forbidden = False
        newest = hour_of(now - READ_DELAY)
        next_read = now + SYSTEMS_INTERVAL
        for number, hem_id in enumerate(systems, start=1):
            window = self._window(hem_id, newest)
            if window is not None:
                if not self.budget.can_spend(1, now):
                    return now + RETRY_INTERVAL
                label = number if len(systems) > 1 else None
                await self._read_window(hem_id, label, *window)
                self._read_done(hem_id, newest, *window)
                self._store.async_delay_save(self._to_store, SAVE_DELAY_SECONDS)
            next_read = min(next_read, self._next_due(hem_id, newest, now))
        self._last_success = now
        return next_read

    async def _systems(self, now: datetime) -> list[str] | None:
        """Return the HEM systems' ids, listed again when the list is a day old (None: no room to list)."""
        fresh = self._systems_read_at is not None and now - self._systems_read_at < SYSTEMS_INTERVAL
        if self.systems is not None and fresh and not self.forbidden:
            return self.systems
        if not self.budget.can_spend(1, now):
            return None
        systems = await self._request(self.gateway.client.list_hem_systems)
        self.systems = [system.id for system in systems]
        self._systems_read_at = now
        self._store.async_delay_save(self._to_store, SAVE_DELAY_SECONDS)
        for hem_id in set(self._read_until) - set(self.systems):
            del self._read_until[hem_id]
        for hem_id in set(self._pending) - set(self.systems):
            del self._pending[hem_id]
        return self.systems

    def _window(self, hem_id: str, newest: datetime) -> tuple[datetime, datetime] | None:
        """Return the next window of a system to read; None when nothing is due.

        New hours come first: the last day again (new hours, and revisions of the others). Then the days still
        missing before it, oldest first, so each read moves only the sums of its own day and the last one.
        """
        if self._read_until.get(hem_id, newest - BACKFILL) < newest:
            return newest - WINDOW, newest
        if pending := self._pending.get(hem_id):
            return pending[0], pending[0] + WINDOW
        return None

    def _read_done(self, hem_id: str, newest: datetime, start: datetime, end: datetime) -> None:
        """Note a window read: the last day moves the edge and leaves the gap before it to the backfill."""
        pending = self._pending.setdefault(hem_id, [])
        if end != newest:
            pending.remove(start)
            return
        gap_start = max(self._read_until.get(hem_id, newest - BACKFILL), newest - BACKFILL)
        day = start - WINDOW
        while day + WINDOW > gap_start:
            pending.append(day)
            day -= WINDOW
        pending.sort()
        self._read_until[hem_id] = end

    def _next_due(self, hem_id: str, newest: datetime, now: datetime) -> datetime:
        if self._pending.get(hem_id) or self._read_until.get(hem_id, newest) < newest:
            return now + BACKFILL_SPACING
        return newest + HOUR + READ_DELAY

    async def _read_window(
        self, hem_id: str, number: int | None, start: datetime, end: datetime
    ) -> None:
        client = self.gateway.client
        stats = await self._request(
            lambda: client.get_hem_energy_stats(hem_id, start, end, EnergyStatsResolution.HALF_HOUR)
        )
        buckets = stats.buckets or []
        for metric in METRICS:
            values = hourly_values(buckets, metric.value)
            info = series_info(hem_id, metric, number)
            # A flow this home does not report (null throughout) creates no statistic.
            if values and not self._not_yet_flowing(metric, info, values):
                self.statistics.set_hours(info, values)
        self._hours_imported += await self.statistics.async_import()

    def _not_yet_flowing(
        self, metric: HomeMetric, info: SeriesInfo, values: Mapping[datetime, float]
    ) -> bool:
        """Return whether a flow created by energy has had none yet (no statistic, and zeros only)."""
        known = info.statistic_id in self.statistics.pending
        return (
            metric.created_by_energy
            and not any(values.values())
            and not known
            and self.statistics.total(info.statistic_id) is None
        )

    async def _request[R](self, send: Callable[[], Awaitable[R]]) -> R:
        """Send one of the reader's requests through the gateway (counted as the reader's)."""
        return await self.gateway.request(BUDGET_READER, send)

    def diagnostics(self) -> dict[str, object]:
        """Return counts and times for diagnostics (HEM system ids are left out)."""
        now = dt_util.utcnow()
        newest = hour_of(now - READ_DELAY)
        # Hours still to read: since the last day read, and the days of the backfill.
        behind = [
            (newest - self._read_until.get(hem_id, newest - BACKFILL)) / HOUR
            + len(self._pending.get(hem_id, [])) * WINDOW / HOUR
            for hem_id in self.systems or []
        ]
        return {
            "systems": None if self.systems is None else len(self.systems),
            "forbidden": self.forbidden,
            "hours_behind": max(behind, default=0.0),
            "hours_imported_since_start": self._hours_imported,
            "next_read": iso_or_none(self._next_read),
            "last_success": iso_or_none(self._last_success),
            "sent_last_hour": self.budget.sent_last_hour(now, BUDGET_READER),
        }

    def _to_store(self) -> dict[str, Any]:
        return {
            "systems": self.systems,
            "systems_read_at": iso_or_none(self._systems_read_at),
            "read_until": {
                hem_id: moment.isoformat() for hem_id, moment in self._read_until.items()
            },
            "pending": {
                hem_id: [start.isoformat() for start in starts]
                for hem_id, starts in self._pending.items()
                if starts
            },
        }
