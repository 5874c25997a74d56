"""The sessions reader: charging sessions and their schedules, read on their own cadence inside the request budget.

Each cycle costs two requests for the whole account, whatever the number of chargers and cars: the open
sub-sessions (``is_finished=false``, their schedules expanded) and the finished ones that started after the newest
one held (``is_finished=true&start__gt=...``). A sub-session that was open at the last read and no longer is gets
one read of its final figures; a finished sub-session is never read again once held. The charging sessions list
(the only place that says which sub-sessions form one plug-in) is read only when a new sub-session appears. What
was read is kept in a `Store`, so a restart reads only what is new.

The reader is a coordinator of its own: it takes the gateway and nothing of device polling. It reads every
``IDLE_INTERVAL`` while no session is open, every ``SESSION_INTERVAL`` during one, and after a 403 only every
``FORBIDDEN_INTERVAL``; a read the budget has no room for waits for the next interval. A charge transition (plug-in,
charging started, unplug) or a push message asks for a read at once (`SessionsReader.async_read_soon`, debounced).
Its reads need not follow polls: a 429 met by any caller blocks every caller at the gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ChargingSubSession,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyIncompleteListError,
    EvEnergyNotFoundError,
    ItemList,
    Schedule,
    Schedules,
    SubSessionMode,
)
from .api.const import PAGE_SIZE
from .api.pagination import IncompleteListReason
from .budget import RequestBudget
from .charging_statistics import ChargingStatistics
from .const import DOMAIN, LOGGER
from .devices import registered_device
from .dispatches import Delivery, recent_deliveries
from .gateway import RequestGateway
from .hourly import HourlyStatistics, iso_or_none
from .ledger import CHARGING_STARTED, PLUGGED_IN, UNPLUGGED, SampleLedger, Transition
from .runtime import EvEnergyConfigEntry
from .storage import entry_stores

# Without an open session nothing changes quickly; during one, energy and cost grow.
IDLE_INTERVAL = timedelta(minutes=15)
SESSION_INTERVAL = timedelta(minutes=5)
# After a 403 (the token lacks charging_session:read) the reader tries again this rarely.
FORBIDDEN_INTERVAL = timedelta(hours=1)
# A failed read keeps what was held this long before the session entities go unavailable.
GRACE_PERIOD = timedelta(minutes=30)
# How far back the first read of a new entry goes, and how long finished sub-sessions are kept.
FIRST_READ_HISTORY = timedelta(days=7)
KEEP_FINISHED = timedelta(days=60)
FINISHED_MAX_PAGES = 3
REQUESTS_PER_CYCLE = 2
# The part of the polling share the reader keeps: a fifth, at most 60 requests an hour (a cycle every 5 minutes
# costs 24, leaving room for the reads at once after plug-ins). Polling comes first on a small budget.
READER_SHARE = 0.2
READER_MAX_PER_HOUR = 60.0
# The sessions reader's name in the budget's reservations.
BUDGET_READER = "sessions"
# Energy usage (when the energy flowed) comes with every read of sub-sessions, at no extra request.
ENERGY_USAGE = "energy_usage"
# The hourly statistics go this far back on a new entry, one page of finished sub-sessions per cycle.
BACKFILL_HISTORY = timedelta(days=30)
# ev.energy may revise a finished sub-session's intervals: those that ended this recently are read again.
REVISION_WINDOW = timedelta(hours=48)
REVISION_INTERVAL = timedelta(hours=3)
# Modes during which ev.energy accepts boost_start (SMART) or boost_end (BOOST).
BOOSTABLE_MODES = frozenset({SubSessionMode.SMART, SubSessionMode.BOOST})
# The transitions that begin, change or end a session: each asks for a read at once.
SESSION_TRANSITIONS = frozenset({PLUGGED_IN, CHARGING_STARTED, UNPLUGGED})


@dataclass(frozen=True)
class ManualLevel:
    """What a car's manual battery level entity listens to the reader for: the reader reads that car's level.

    Only cars ev.energy cannot read take a manual level; their entities say which (as listener contexts), so the
    reader needs nothing of device polling to know them.
    """

    vehicle_id: str


def reader_reserve(budget: RequestBudget) -> float:
    """Return the requests per hour kept for the reader out of the budget's share."""
    return min(READER_MAX_PER_HOUR, budget.limit * budget.share * READER_SHARE)


def _id_from(reference: object) -> str | None:
    """Return the id of an expanded object or of a URL such as ``.../v2/evses/{id}``."""
    if reference is None:
        return None
    if isinstance(reference, str):
        return reference.rstrip("/").rsplit("/", 1)[-1] or None
    value = getattr(reference, "id", None)
    return value if isinstance(value, str) else None


def _datetime(value: object) -> datetime | None:
    return dt_util.parse_datetime(value) if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, kw_only=True)
class SubSessionRecord:
    """What the integration keeps of one sub-session (no location: it is personal and not needed)."""

    id: str
    start: datetime
    end: datetime | None = None
    session_id: str | None = None
    evse_id: str | None = None
    vehicle_id: str | None = None
    mode: SubSessionMode | None = None
    energy_wh: int | None = None
    grid_energy_wh: int | None = None
    solar_energy_wh: int | None = None
    cost_minor: int | None = None
    savings_minor: int | None = None
    currency: str | None = None
    co2_grams: int | None = None
    duration_minutes: int | None = None

    @classmethod
    def from_api(cls, sub: ChargingSubSession, session_id: str | None) -> SubSessionRecord | None:
        """Keep what the entities, the calendar and the actions need; a sub-session without start is skipped."""
        if sub.start is None:
            return None
        return cls(
            id=sub.id,
            start=sub.start,
            end=sub.end,
            session_id=session_id,
            evse_id=_id_from(sub.evse),
            vehicle_id=_id_from(sub.vehicle),
            mode=sub.mode,
            energy_wh=sub.energy_delivered_watt_hours,
            grid_energy_wh=sub.grid_energy_delivered_watt_hours,
            solar_energy_wh=sub.solar_energy_delivered_watt_hours,
            cost_minor=sub.cost,
            savings_minor=sub.savings_cost,
            currency=sub.currency,
            co2_grams=sub.total_co2_grams,
            duration_minutes=sub.duration_minutes,
        )

    def to_store(self) -> dict[str, Any]:
        """Return the record as JSON for the store."""
        return {
            "id": self.id,
            "start": iso_or_none(self.start),
            "end": iso_or_none(self.end),
            "session_id": self.session_id,
            "evse_id": self.evse_id,
            "vehicle_id": self.vehicle_id,
            "mode": None if self.mode is None else str(self.mode),
            "energy_wh": self.energy_wh,
            "grid_energy_wh": self.grid_energy_wh,
            "solar_energy_wh": self.solar_energy_wh,
            "cost_minor": self.cost_minor,
            "savings_minor": self.savings_minor,
            "currency": self.currency,
            "co2_grams": self.co2_grams,
            "duration_minutes": self.duration_minutes,
        }

    @classmethod
    def from_store(cls, raw: dict[str, Any]) -> SubSessionRecord | None:
        """Return a stored record, or None for one this version cannot read."""
        start = _datetime(raw.get("start"))
        if not isinstance(raw.get("id"), str) or start is None:
            return None
        mode = raw.get("mode")

        def text(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) else None

        return cls(
            id=raw["id"],
            start=start,
            end=_datetime(raw.get("end")),
            session_id=text("session_id"),
            evse_id=text("evse_id"),
            vehicle_id=text("vehicle_id"),
            mode=SubSessionMode(mode) if isinstance(mode, str) else None,
            energy_wh=_int(raw.get("energy_wh")),
            grid_energy_wh=_int(raw.get("grid_energy_wh")),
            solar_energy_wh=_int(raw.get("solar_energy_wh")),
            cost_minor=_int(raw.get("cost_minor")),
            savings_minor=_int(raw.get("savings_minor")),
            currency=text("currency"),
            co2_grams=_int(raw.get("co2_grams")),
            duration_minutes=_int(raw.get("duration_minutes")),
        )


@dataclass(frozen=True)
class PlannedSlot:
    """A period the schedule charges in (consecutive intervals at the same current joined)."""

    start: datetime
    end: datetime
    current_milliamps: int


def planned_slots(schedule: Iterable[Schedule]) -> list[PlannedSlot]:
    """Return the charging periods of a schedule: intervals with current, joined when they follow each other.

    A boost interval has no length (it charges until full) and is no planned slot.
    """
    slots: list[PlannedSlot] = []
    intervals = [
        item
        for item in schedule
        if item.started_at is not None
        and item.interval_seconds is not None
        and (item.current_milliamps or 0) > 0
    ]
    for item in sorted(intervals, key=lambda item: item.started_at):  # type: ignore[arg-type, return-value]
        start: datetime = item.started_at  # type: ignore[assignment]
        end = start + timedelta(seconds=item.interval_seconds)  # type: ignore[arg-type]
        current: int = item.current_milliamps  # type: ignore[assignment]
        if slots and slots[-1].end == start and slots[-1].current_milliamps == current:
            slots[-1] = PlannedSlot(slots[-1].start, end, current)
        else:
            slots.append(PlannedSlot(start, end, current))
    return slots


@dataclass(frozen=True)
class SessionSummary:
    """One charging session (one plug-in) summed over its sub-sessions; the mode is the latest one's."""

    session_id: str | None
    start: datetime
    end: datetime | None
    mode: SubSessionMode | None
    sub_sessions: tuple[SubSessionRecord, ...]

    @property
    def is_open(self) -> bool:
        """Return whether the car is still plugged in (the latest sub-session runs)."""
        return self.end is None

    def total(self, attribute: str) -> int | None:
        """Return the sum of a figure over the sub-sessions that report it (None when none does)."""
        values = [getattr(sub, attribute) for sub in self.sub_sessions]
        known = [value for value in values if value is not None]
        return sum(known) if known else None

    @property
    def currency(self) -> str | None:
        """Return the session's currency (that of its latest sub-session reporting one)."""
        return next((sub.currency for sub in reversed(self.sub_sessions) if sub.currency), None)


@dataclass
class SessionsData:
    """What the reader holds: sub-sessions, open ones' schedules, manual battery levels."""

    sub_sessions: dict[str, SubSessionRecord] = field(default_factory=dict)
    schedules: dict[str, list[PlannedSlot]] = field(default_factory=dict)
    # When energy flowed in each sub-session of the last day (the slots energy managers read as completed).
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    manual_levels: dict[str, int | None] = field(default_factory=dict)
    updated_at: datetime | None = None

    def of_device(
        self, evse_id: str | None = None, vehicle_id: str | None = None
    ) -> list[SubSessionRecord]:
        """Return a charger's or a car's sub-sessions, oldest first."""
        found = [
            sub
            for sub in self.sub_sessions.values()
            if (evse_id is not None and sub.evse_id == evse_id)
            or (vehicle_id is not None and sub.vehicle_id == vehicle_id)
        ]
        return sorted(found, key=lambda sub: (sub.start, sub.id))

    def open_sub_session(
        self, evse_id: str | None = None, vehicle_id: str | None = None
    ) -> SubSessionRecord | None:
        """Return the running sub-session of a charger or car, if any."""
        running = [sub for sub in self.of_device(evse_id, vehicle_id) if sub.end is None]
        return running[-1] if running else None

    def current_session(
        self, evse_id: str | None = None, vehicle_id: str | None = None
    ) -> SessionSummary | None:
        """Return the session in progress on a charger or car, or the last one when none is open."""
        subs = self.of_device(evse_id, vehicle_id)
        if not subs:
            return None
        latest = self.open_sub_session(evse_id, vehicle_id) or subs[-1]
        return summarize(latest, subs)

    def sessions(
        self, evse_id: str | None = None, vehicle_id: str | None = None
    ) -> list[SessionSummary]:
        """Return every held session of a charger or car, oldest first."""
        subs = self.of_device(evse_id, vehicle_id)
        seen: set[str] = set()
        result = []
        for sub in reversed(subs):
            if sub.id in seen:
                continue
            summary = summarize(sub, subs)
            seen.update(part.id for part in summary.sub_sessions)
            result.append(summary)
        return result[::-1]


def summarize(latest: SubSessionRecord, subs: Iterable[SubSessionRecord]) -> SessionSummary:
    """Return the session ``latest`` belongs to: every sub-session with its session id, or itself alone."""
    if latest.session_id is None:
        parts: tuple[SubSessionRecord, ...] = (latest,)
    else:
        parts = tuple(
            sorted(
                (sub for sub in subs if sub.session_id == latest.session_id),
                key=lambda sub: (sub.start, sub.id),
            )
        )
    last = parts[-1]
    return SessionSummary(latest.session_id, parts[0].start, last.end, last.mode, parts)


class SessionsReader(DataUpdateCoordinator[SessionsData]):
    """Reads the account's charging sessions on a cadence of its own, slower than polling, from the same budget."""

    config_entry: EvEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        gateway: RequestGateway,
        statistics: HourlyStatistics | None = None,
    ) -> None:
        """Set up the reader of one entry; `async_load` restores what an earlier run held."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} sessions",
            # Each read sets the next interval (see `_async_update_data`).
            update_interval=IDLE_INTERVAL,
        )
        self.interval = IDLE_INTERVAL
        self._next_read: datetime | None = None
        self._after_write = False
        # A read asked for (a transition, a push message, a write) may come while the timer's runs: one at a time.
        self._reading = asyncio.Lock()
        self.gateway = gateway
        self.budget = gateway.budget
        self.budget.reserve(BUDGET_READER, reader_reserve(self.budget))
        self.client = gateway.client
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry.entry_id).store("sessions")
        self._held = SessionsData()
        self._last_success: datetime | None = None
        self.charging = ChargingStatistics(
            hass,
            entry.entry_id,
            statistics or HourlyStatistics(hass, entry.entry_id),
            self._device_name,
        )

    async def async_load(self) -> None:
        """Restore the sub-sessions an earlier run kept."""
        stored = await self._store.async_load()
        raw_subs = stored.get("sub_sessions", []) if isinstance(stored, dict) else []
        for raw in raw_subs if isinstance(raw_subs, list) else []:
            record = SubSessionRecord.from_store(raw) if isinstance(raw, dict) else None
            if record is not None:
                self._held.sub_sessions[record.id] = record
        await self.charging.async_load()
        # Entities read `data` even when the first read fails.
        self.data = self._snapshot(None)

    async def async_save(self) -> None:
        """Write what is held now (the entry unloads; a delayed save would be lost)."""
        await self._store.async_save(self._to_store())
        await self.charging.async_save()

    async def async_read_after_write(self) -> None:
        """Read now to show a write's effect (Charge now, smart charging), even when the reserve is spent."""
        self._after_write = True
        try:
            await self.async_refresh()
        finally:
            self._after_write = False

    @callback
    def async_read_soon(self) -> None:
        """Read at once (debounced): a session began, changed or ended (a charge transition, a push message)."""
        self.config_entry.async_create_task(
            self.hass, self.async_request_refresh(), "ev_energy sessions read"
        )

    async def _async_update_data(self) -> SessionsData:
        async with self._reading:
            now = dt_util.utcnow()
            try:
                return await self._read_within_budget(now)
            finally:
                self.update_interval = self.interval
                self._next_read = now + self.interval

    async def _read_within_budget(self, now: datetime) -> SessionsData:
        if not self._may_spend(now):
            # Polling the devices comes first; try again at the next interval.
            return self._keep_or_fail(now)
        try:
            await self._read(now)
            await self._read_statistics_extra(now)
        except EvEnergyForbiddenError as err:
            LOGGER.warning("ev.energy does not let this account read charging sessions: %s", err)
            self.interval = FORBIDDEN_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="sessions_forbidden"
            ) from err
        except EvEnergyError as err:
            # A 429 blocked every caller at the gateway, a refused sign-in started re-authentication there.
            LOGGER.debug("Reading charging sessions failed: %s", err)
            return self._keep_or_fail(now)
        self._last_success = now
        await self.charging.async_import(now)
        self._prune(now)
        self._store.async_delay_save(self._to_store, 10)
        has_open = any(sub.end is None for sub in self._held.sub_sessions.values())
        self.interval = SESSION_INTERVAL if has_open else IDLE_INTERVAL
        return self._snapshot(now)

    def _may_spend(self, now: datetime, requests: int = REQUESTS_PER_CYCLE) -> bool:
        """Return whether a cycle fits in the part of the budget's share kept for the reader.

        Polling paces itself on the share minus that part, so both together stay inside the share.
        """
        budget = self.budget
        budget.reserve(BUDGET_READER, reader_reserve(budget))
        if not budget.can_spend(requests, now):
            return False
        if self._after_write:
            # The user just changed something and wants to see it: the share, not the reserve, is the limit.
            return True
        return budget.within_reservation(BUDGET_READER, requests, now)

    async def _read(self, now: datetime) -> None:
        held = self._held.sub_sessions
        was_open = {sub_id for sub_id, sub in held.items() if sub.end is None}
        running = await self._request(
            lambda: self.client.list_charging_sub_sessions(
                is_finished=False, expand=("schedules", ENERGY_USAGE)
            )
        )
        since = self._since(now)
        finished = await _newest_pages(
            self._request(
                lambda: self.client.list_charging_sub_sessions(
                    is_finished=True,
                    start_gt=since,
                    expand=(ENERGY_USAGE,),
                    max_pages=FINISHED_MAX_PAGES,
                )
            )
        )
        if finished.cut_short:
            # More finished since the last read than a cycle reads (Home Assistant was off for days): the
            # statistics' backfill reads what lies between, page by page.
            starts = [sub.start for sub in finished if sub.start is not None]
            self.charging.backfill_between(
                max(since, now - BACKFILL_HISTORY), min(starts, default=now)
            )
        answered = {sub.id for sub in [*running, *finished]}
        # What was running at the last read and is no more has ended: read its final figures, one by one.
        ended = [await self._final(sub_id) for sub_id in sorted(was_open - answered)]
        subs = [sub for sub in [*finished, *ended, *running] if sub is not None]
        self.charging.add_all(subs)
        fresh = [sub for sub in subs if sub.id not in held]
        session_ids = await self._session_ids(fresh) if fresh else {}
        for sub in subs:
            previous = held.get(sub.id)
            if previous is not None and previous.end is not None:
                continue  # finished and held: nothing about it changes any more
            session_id = previous.session_id if previous else session_ids.get(sub.id)
            if (record := SubSessionRecord.from_api(sub, session_id)) is not None:
                held[sub.id] = record
        self._held.schedules = {
            sub.id: planned_slots(sub.schedules.schedules or [])
            for sub in running
            if isinstance(sub.schedules, Schedules)
        }
        self._held.deliveries = recent_deliveries(self._held.deliveries, subs, now)
        await self._read_manual_levels()

    async def _final(self, sub_id: str) -> ChargingSubSession | None:
        """Return a sub-session that stopped running; one ev.energy deleted (404) is dropped."""
        try:
            return await self._request(
                lambda: self.client.get_charging_sub_session(sub_id, expand=(ENERGY_USAGE,))
            )
        except EvEnergyNotFoundError:
            self._held.sub_sessions.pop(sub_id, None)
            return None

    async def _read_statistics_extra(self, now: datetime) -> None:
        """Spend at most one request more on the statistics when the reserve allows it.

        Every few hours the sub-sessions that ended lately are read again (ev.energy revises intervals after the
        end); otherwise, until 30 days are covered, one page of older finished sub-sessions (the backfill).
        A failed read is tried again at a later cycle; it never fails the sessions read.
        """
        charging = self.charging
        if charging.backfill_until is None:
            # A new entry: the backfill runs back from now (the cycles themselves read what starts later).
            charging.backfill_until = now - BACKFILL_HISTORY
            charging.backfill_before = now
            charging.last_revision_read = now  # this cycle's reads are as fresh as a revision read
        revision_due = (
            charging.last_revision_read is None
            or now - charging.last_revision_read >= REVISION_INTERVAL
        )
        if not (revision_due or charging.backfill_before is not None) or not self._may_spend(
            now, REQUESTS_PER_CYCLE + 1
        ):
            return
        try:
            if revision_due:
                await self._read_revisions(now)
            else:
                await self._read_backfill_page()
        except EvEnergyError as err:
            LOGGER.debug("Reading energy usage for the statistics failed: %s", err)

    async def _read_revisions(self, now: datetime) -> None:
        """Read the sub-sessions that ended lately again, with their energy usage."""
        subs = await _newest_pages(
            self._request(
                lambda: self.client.list_charging_sub_sessions(
                    is_finished=True,
                    end_gt=now - REVISION_WINDOW,
                    expand=(ENERGY_USAGE,),
                    max_pages=1,
                )
            )
        )
        self.charging.add_all(subs)
        self.charging.last_revision_read = now

    async def _read_backfill_page(self) -> None:
        """Read one page of finished sub-sessions older than the backfill reached, newest first."""
        charging = self.charging
        before, until = charging.backfill_before, charging.backfill_until
        if before is None or until is None:  # pragma: no cover - the caller checks
            return
        subs = await _newest_pages(
            self._request(
                lambda: self.client.list_charging_sub_sessions(
                    is_finished=True,
                    start_gt=until,
                    start_lt=before,
                    expand=(ENERGY_USAGE,),
                    max_pages=1,
                )
            )
        )
        charging.add_all(subs)
        starts = [sub.start for sub in subs if sub.start is not None]
        if len(subs) < PAGE_SIZE or not starts:
            charging.backfill_before = None  # 30 days covered
            return
        # One second more lets those starting in the same second as the oldest through (read again: replaced).
        oldest = min(starts) + timedelta(seconds=1)
        charging.backfill_before = oldest if oldest < before else before - timedelta(seconds=1)

    async def _request[R](self, send: Callable[[], Awaitable[R]]) -> R:
        """Send one of the reader's requests through the gateway (counted as the reader's)."""
        return await self.gateway.request(BUDGET_READER, send)

    def _device_name(self, device_id: str) -> str:
        """Return the name a charger or car has in the device registry (the user's, else ev.energy's).

        Polls register the devices they list before any read can meet them; a device no poll listed (one gone
        from the account, met in older sub-sessions) is named by its id.
        """
        entry = registered_device(self.hass, self.config_entry.entry_id, device_id)
        if entry is not None and (entry.name_by_user or entry.name):
            return str(entry.name_by_user or entry.name)
        return device_id

    def _since(self, now: datetime) -> datetime:
        """Return the start after which sub-sessions the reader never saw lie.

        Anything that started since the last read started after every sub-session held; one second less lets
        two starting in the same second both through (the one already held is skipped).
        """
        starts = [sub.start for sub in self._held.sub_sessions.values()]
        if not starts:
            return now - FIRST_READ_HISTORY
        return max(starts) - timedelta(seconds=1)

    async def _session_ids(self, subs: list[ChargingSubSession]) -> dict[str, str]:
        """Return which session each new sub-session belongs to, from the newest page of sessions."""
        sessions = await _newest_pages(
            self._request(lambda: self.client.list_charging_sessions(max_pages=1))
        )
        owners = {
            sub_id: session.id
            for session in sessions
            for reference in session.sub_sessions or []
            if (sub_id := _id_from(reference)) is not None
        }
        return {sub.id: owners[sub.id] for sub in subs if sub.id in owners}

    async def _read_manual_levels(self) -> None:
        """Read the battery level the user entered for each car whose manual level entity listens."""
        levels: dict[str, int | None] = {}
        for vehicle_id in self._manual_level_cars():
            levels[vehicle_id] = await self._read_manual_level(vehicle_id)
        self._held.manual_levels = levels

    def _manual_level_cars(self) -> list[str]:
        contexts = self.async_contexts()
        return sorted(
            {context.vehicle_id for context in contexts if isinstance(context, ManualLevel)}
        )

    async def _read_manual_level(self, vehicle_id: str) -> int | None:
        charge = await self._request(partial(self.client.get_state_of_charge, vehicle_id))
        return charge.state_of_charge_percentage

    async def async_read_manual_level(self, vehicle_id: str) -> None:
        """Read one car's manual level now: its entity was added after the last read (at set-up, the first one).

        Costs the one request the read would have spent on it; a failure leaves it to the next read.
        """
        if vehicle_id in self._held.manual_levels or not self._may_spend(dt_util.utcnow(), 1):
            return
        try:
            level = await self._read_manual_level(vehicle_id)
        except EvEnergyError as err:
            LOGGER.debug("Reading a manual battery level failed: %s", err)
            return
        self.set_manual_level(vehicle_id, level)

    def diagnostics(self) -> dict[str, object]:
        """Return the reader's state for diagnostics: counts and times, no ids."""
        held = self._held.sub_sessions.values()
        now = dt_util.utcnow()
        return {
            "interval_seconds": self.interval.total_seconds(),
            "next_read": None if self._next_read is None else self._next_read.isoformat(),
            "last_success": None if self._last_success is None else self._last_success.isoformat(),
            "last_update_success": self.last_update_success,
            "sub_sessions_held": len(self._held.sub_sessions),
            "sub_sessions_open": sum(1 for sub in held if sub.end is None),
            "planned_slots": sum(len(slots) for slots in self._held.schedules.values()),
            "sent_last_hour": self.budget.sent_last_hour(now, BUDGET_READER),
            "reserved_per_hour": self.budget.reservations.get(BUDGET_READER, 0.0),
            "charging_statistics": self.charging.diagnostics(),
        }

    def set_manual_level(self, vehicle_id: str, level: int | None) -> None:
        """Show a manual battery level ev.energy accepted, without waiting for a read."""
        self._held.manual_levels[vehicle_id] = level
        self.async_set_updated_data(self._snapshot(dt_util.utcnow()))

    def _prune(self, now: datetime) -> None:
        held = self._held.sub_sessions
        for sub_id, sub in list(held.items()):
            if sub.end is not None and now - sub.end > KEEP_FINISHED:
                del held[sub_id]

    def _keep_or_fail(self, now: datetime) -> SessionsData:
        """Keep what was read through a short outage (or a full budget); then the session entities go unavailable."""
        if self._last_success is not None and now - self._last_success < GRACE_PERIOD:
            return self._snapshot(self._last_success)
        if self._last_success is None and self._held.sub_sessions:
            # Not read since the restart: the stored finished sessions are still true.
            return self._snapshot(None)
        raise UpdateFailed(translation_domain=DOMAIN, translation_key="sessions_failed")

    def _snapshot(self, updated_at: datetime | None) -> SessionsData:
        held = self._held
        return SessionsData(
            sub_sessions=dict(held.sub_sessions),
            schedules=dict(held.schedules),
            deliveries=dict(held.deliveries),
            manual_levels=dict(held.manual_levels),
            updated_at=updated_at,
        )

    def _to_store(self) -> dict[str, Any]:
        return {"sub_sessions": [sub.to_store() for sub in self._held.sub_sessions.values()]}


class NewestPages[T](ItemList[T]):
    """The newest pages of a list, saying whether older items were left unread."""

    cut_short: bool = False


async def _newest_pages[T](read: Awaitable[ItemList[T]]) -> NewestPages[T]:
    """Return a list read, or its newest pages when it is longer than the pages asked for.

    A busy account (a fleet, weeks of history) has more sub-sessions and sessions than a cycle reads; what is
    older comes from the statistics' backfill, and grouping into sessions needs only the newest ones.
    """
    try:
        items = await read
    except EvEnergyIncompleteListError as err:
        if err.reason is not IncompleteListReason.PAGE_CAP:
            raise
        newest = NewestPages[T](err.items, err.items.dropped, err.items.dropped_fields)
        newest.cut_short = True
        return newest
    return NewestPages[T](items, items.dropped, items.dropped_fields)


def read_on_charge_transitions(reader: SessionsReader, ledger: SampleLedger) -> Callable[[], None]:
    """Ask the reader for a read at once at every device's plug-in, charge start or unplug; return the remover.

    An unplug ends the open session: read at once, its planned slots and boost go with it, not at the next read
    up to 15 minutes later. One subscription covers every device, also those polls find later.
    """

    @callback
    def on_transition(transition: Transition) -> None:
        if transition.type in SESSION_TRANSITIONS:
            reader.async_read_soon()

    return ledger.async_add_any_device_listener(on_transition)
