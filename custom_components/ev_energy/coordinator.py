"""Polling of ev.energy: the current state of every charger, vehicle, inverter and home battery, inside the budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    EvEnergyAuthError,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyIncompleteListError,
    EvEnergyRateLimitError,
    Evse,
    EvseStatusLog,
    Inverter,
    ItemList,
    UserDetail,
    Vehicle,
    VehicleStatusLog,
)
from .api.pagination import IncompleteListReason
from .budget import POLLING, SamplingCadence
from .const import DOMAIN, LOGGER
from .device_info import registry_entry
from .devices import DeviceLookup, DeviceReconciler, ev_energy_ids
from .gateway import ReauthRequiredError, RequestGateway, auth_failed
from .kinds import EVSE, INVERTER, KINDS, VEHICLE, AnyKind, Device, DeviceKind, Sample
from .ledger import SampleLedger
from .meter import charger_max_power_w
from .phase import ReportTimer
from .scheduler import IDLE_INTERVAL, PollScheduler

if TYPE_CHECKING:
    from .runtime import EvEnergyConfigEntry

# How often the account (grid carbon intensity) is read: ev.energy's carbon data has 30-minute intervals.
ACCOUNT_INTERVAL = timedelta(minutes=15)
# A failed poll keeps the last good data this long before entities go unavailable, so one 502 does not blink
# every entity; retries come sooner meanwhile.
GRACE_PERIOD = timedelta(minutes=10)
RETRY_INTERVAL = timedelta(seconds=60)
# A collection the token may not read (403) is asked again this often: the user may grant the scope meanwhile.
FORBIDDEN_RETRY = timedelta(hours=1)
HISTORY_MAX_PAGES = 3
# How far back a device seen for the first time is read, to learn how often it reports (a car parked for the
# night may report far less often: then its cadence is learned from the polls, as before).
LEARN_WINDOW = timedelta(hours=2)
# A device list longer than this many pages (50 devices each) is taken as cut short: a home has a few devices and
# a fleet of hundreds fits, while a next link that never ends would otherwise cost 50 requests at every poll.
DEVICE_LIST_MAX_PAGES = 10
# After a device list was cut short by a loop or the page cap, only its first page is read for this long.
SHORT_WALK = timedelta(hours=1)
# A kind read less often than every poll is read at the first poll this close to its interval's end: polls timed to
# the reports come a little early, and waiting for the next one would stretch the interval by a whole poll.
READ_DUE_EARLY = timedelta(seconds=30)


@dataclass
class EvEnergyData:
    """One poll's view of the account."""

    # Each kind's collection -> its devices by id.
    devices: dict[str, dict[str, Device]]
    account: UserDetail | None
    updated_at: datetime
    # Per collection, per device: the samples the ledger accepted since the previous update, oldest first
    # (also those a failed poll read).
    new_samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)

    def of[DeviceT: Device](self, kind: DeviceKind[DeviceT, Any]) -> Mapping[str, DeviceT]:
        """Return the devices of one kind, by id."""
        return cast("Mapping[str, DeviceT]", self.devices.get(kind.collection, {}))

    @property
    def evses(self) -> Mapping[str, Evse]:
        """Return the chargers, by id."""
        return self.of(EVSE)

    @property
    def vehicles(self) -> Mapping[str, Vehicle]:
        """Return the vehicles, by id."""
        return self.of(VEHICLE)

    @property
    def inverters(self) -> Mapping[str, Inverter]:
        """Return the solar inverters, by id."""
        return self.of(INVERTER)

    @property
    def new_evse_samples(self) -> Mapping[str, list[EvseStatusLog]]:
        """Return the chargers' new samples, by charger id."""
        return cast("Mapping[str, list[EvseStatusLog]]", self.new_samples.get(EVSE.collection, {}))

    def without_new_samples(self) -> EvEnergyData:
        """Return the same view with no new samples: they were delivered once already."""
        return replace(self, new_samples={})


@dataclass
class _History[S: (EvseStatusLog, VehicleStatusLog)]:
    """Per device: how often it reports, and the samples the ledger accepted that no update has carried yet."""

    cadence: dict[str, SamplingCadence] = field(default_factory=dict)
    undelivered: dict[str, list[S]] = field(default_factory=dict)
    # Devices whose recent reports were read to learn their cadence (once per set-up, reload or restart).
    learned: set[str] = field(default_factory=set)

    def cadence_of(self, device_id: str) -> SamplingCadence:
        return self.cadence.setdefault(device_id, SamplingCadence())

    def deliver(self) -> dict[str, list[S]]:
        delivered, self.undelivered = self.undelivered, {}
        return delivered


@dataclass(frozen=True)
class _KindRead:
    """A kind's latest list read: when, its devices, and every id it listed (None: cannot tell)."""

    at: datetime
    devices: dict[str, Device]
    listed: Collection[str] | None

    def due(self, kind: AnyKind, now: datetime, *, knows_some: bool) -> bool:
        """Return whether the kind's list is to be read again (kinds.py's read intervals).

        ``knows_some``: a device of the kind is registered, if missing; it may come back, so it is looked for at
        the kind's usual interval.
        """
        found_none = self.listed is not None and not self.listed and not knows_some
        interval = kind.absent_read_interval if found_none else kind.read_interval
        return now - self.at >= interval - READ_DUE_EARLY


class EvEnergyCoordinator(DataUpdateCoordinator[EvEnergyData]):
    """Reads every device's latest status through one collection request per kind a cycle."""

    config_entry: EvEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        gateway: RequestGateway,
        user_id: str,
        *,
        ledger: SampleLedger | None = None,
    ) -> None:
        """Set up polling for one ev.energy account."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=DOMAIN, update_interval=IDLE_INTERVAL
        )
        self.gateway = gateway
        self.client = gateway.client
        self.user_id = user_id
        self.budget = gateway.budget
        self.ledger = ledger or SampleLedger(hass, entry.entry_id)
        self.scheduler = PollScheduler(hass, entry.entry_id, self.budget)
        self.devices = DeviceReconciler(
            hass, entry, {kind.collection: self._lookup(kind) for kind in KINDS}, self.budget
        )
        # The kinds whose every sample the ledger takes: how often each device reports, what is undelivered.
        self._histories: dict[str, _History[Any]] = {
            kind.collection: _History() for kind in KINDS if kind.status_logs is not None
        }
        self.report_timer = ReportTimer()
        self._account: UserDetail | None = None
        self._account_read_at: datetime | None = None
        # Collection (or "account") -> when to ask again after a 403.
        self.forbidden: dict[str, datetime] = {}
        # Device lists whose last read was cut short (logged once), and until when they are read one page only.
        self._cut_short: set[str] = set()
        self._short_walks: dict[str, datetime] = {}
        # The latest read of each kind read less often than every poll (in memory: a restart reads it at once).
        self._latest_reads: dict[str, _KindRead] = {}

    async def async_load(self) -> None:
        """Take over what must survive a restart: a 429's wait, and when devices went missing."""
        await self.scheduler.async_load()
        await self.devices.async_load()

    async def _async_update_data(self) -> EvEnergyData:
        now = dt_util.utcnow()
        if self.scheduler.seconds_blocked(now):
            return self._rate_limited(now)
        sent_before = self.budget.sent_since_start[POLLING]
        try:
            data = await self._poll(now)
        except ReauthRequiredError as err:
            raise auth_failed() from err
        except EvEnergyRateLimitError:
            return self._rate_limited(now)
        except EvEnergyError as err:
            return self._keep_or_fail(now, "update_failed", {"error": str(err)}, RETRY_INTERVAL)
        finally:
            self.scheduler.account(
                self.budget.sent_since_start[POLLING] - sent_before, self.client.rate_limit, now
            )
        self.update_interval = self.scheduler.next_interval(
            self._anything_charging(data),
            self._fastest_cadence(),
            now,
            lambda earliest: self.report_timer.next_readable(
                self._cadences_that_matter(data), earliest
            ),
        )
        return data

    def _rate_limited(self, now: datetime) -> EvEnergyData:
        blocked = self.scheduler.seconds_blocked(now)
        return self._keep_or_fail(
            now, "rate_limited", {"seconds": str(round(blocked))}, timedelta(seconds=blocked)
        )

    async def _request[R](self, send: Callable[[], Awaitable[R]]) -> R:
        """Send one of the poll's requests through the gateway (counted as polling's)."""
        return await self.gateway.request(POLLING, send)

    def _lookup(self, kind: AnyKind) -> DeviceLookup:
        """Return how the reconciler reads one device of a kind (to learn whether it was removed)."""
        get_device = kind.get_device(self.client)
        return lambda device_id: self._request(lambda: get_device(device_id))

    async def _poll(self, now: datetime) -> EvEnergyData:
        devices: dict[str, dict[str, Device]] = {}
        # A collection read cut short (or not at all) lists None: nothing is removed for it.
        listed: dict[str, Collection[str] | None] = {}
        for kind in KINDS:
            of_kind, listed[kind.collection] = await self._collection_when_due(kind, now)
            devices[kind.collection] = (
                self._newest_taken(kind, of_kind, now) if kind.ledger_latest_only else of_kind
            )
        await self.devices.async_reconcile(listed, keep=self.user_id, now=now)
        self._register_new_devices(
            [device for of_kind in devices.values() for device in of_kind.values()]
        )
        data = EvEnergyData(devices=devices, account=await self._read_account(now), updated_at=now)
        for kind, history in self._kinds_with_history():
            await self._new_samples(kind, data.of(kind), history, now)
        # After every kind's samples were read: the reports then are the ones this poll shows.
        for kind, history in self._kinds_with_history():
            self._observe_reports(kind, data.of(kind), history, now)
        data.new_samples = {
            collection: history.deliver() for collection, history in self._histories.items()
        }
        return data

    async def _collection_when_due(
        self, kind: AnyKind, now: datetime
    ) -> tuple[dict[str, Device], Collection[str] | None]:
        """Read a collection, or show its latest read again while the kind's read interval runs.

        Shown again, the devices keep their samples' times: an old sample goes stale, never passes for current.
        """
        if not kind.read_interval and not kind.absent_read_interval:
            return await self._collection(kind, now)
        latest = self._latest_reads.get(kind.collection)
        knows_some = self.devices.knows_devices_of(kind.collection)
        if latest is not None and not latest.due(kind, now, knows_some=knows_some):
            return latest.devices, latest.listed
        devices, listed = await self._collection(kind, now)
        self._latest_reads[kind.collection] = _KindRead(now, devices, listed)
        return devices, listed

    def _newest_taken[DeviceT: Device](
        self, kind: DeviceKind[DeviceT, Any], devices: Mapping[str, DeviceT], now: datetime
    ) -> dict[str, Device]:
        """Show each device with the newest sample the ledger took, not an older one served after it.

        Also at the polls between the kind's reads: a sample dated in the future that its read held out is
        taken at the first poll after its time, with no request of its own.
        """
        shown: dict[str, Device] = {}
        for device_id, device in devices.items():
            latest = kind.latest_sample(device)
            taken = self.ledger.accept_latest(device_id, latest, now=now)
            shown[device_id] = (
                device if taken is latest else replace(device, latest_status_log=taken)
            )
        return shown

    async def _collection(
        self, kind: AnyKind, now: datetime
    ) -> tuple[dict[str, Device], Collection[str] | None]:
        """Read a collection: its parsed devices, and every id it listed (None: cannot tell).

        One the token may not read (403, a scope not granted) is left out and asked again later; its devices
        stay, unavailable. A device listed but not parsable counts as listed; an unparsable item without an id
        could be any device, so then no device counts as missing.
        """
        name = kind.collection
        items: ItemList[Device] | None = await self._unless_forbidden(
            name, lambda: self._walk(name, kind.list_devices(self.client), kind.expand, now), now
        )
        if items is None:
            return {}, None
        parsed = {item.id: item for item in items}
        dropped = {item.id for item in items.dropped}
        if None in dropped or name in self._cut_short:
            return parsed, None
        return parsed, parsed.keys() | {device_id for device_id in dropped if device_id is not None}

    async def _walk[T: Device](
        self,
        name: str,
        fetch: Callable[..., Awaitable[ItemList[T]]],
        expand: tuple[str, ...],
        now: datetime,
    ) -> ItemList[T]:
        """Read a device list; one cut short still updates the devices it holds (and removes none).

        A walk stopped by a loop or the page cap reads only the first page for an hour, so a next link that
        never ends costs one request a poll, not fifty.
        """
        short_until = self._short_walks.get(name)
        max_pages = 1 if short_until is not None and now < short_until else DEVICE_LIST_MAX_PAGES
        try:
            items = await self._request(lambda: fetch(expand=expand, max_pages=max_pages))
        except EvEnergyIncompleteListError as err:
            if name not in self._cut_short:
                LOGGER.warning(
                    "ev.energy's list of %s was cut short (%s): showing the %s devices it held, "
                    "removing none",
                    name,
                    err.reason,
                    len(err.items),
                )
            self._cut_short.add(name)
            if err.reason in (IncompleteListReason.LOOP, IncompleteListReason.PAGE_CAP) and (
                short_until is None or now >= short_until
            ):
                self._short_walks[name] = now + SHORT_WALK
            return cast("ItemList[T]", err.items)
        if name in self._cut_short:
            LOGGER.info("ev.energy's list of %s is complete again", name)
            self._cut_short.discard(name)
        self._short_walks.pop(name, None)
        return items

    def _register_new_devices(self, devices: Sequence[Device]) -> None:
        """Put the devices this poll lists first into the device registry, before their entities are added.

        The readers name their statistics after the registry's devices: a device is there from the poll that
        found it on, also when a reader meets it before the platforms (at set-up) or their listener do.
        """
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        known = {
            device_id
            for device in dr.async_entries_for_config_entry(registry, entry_id)
            for device_id in ev_energy_ids(device)
        }
        for device in devices:
            if device.id not in known:
                registry.async_get_or_create(config_entry_id=entry_id, **registry_entry(device))

    async def _read_account(self, now: datetime) -> UserDetail | None:
        due = self._account_read_at is None or now - self._account_read_at >= ACCOUNT_INTERVAL
        if due:
            self._account = await self._unless_forbidden(
                "account", lambda: self._request(lambda: self.client.get_user(self.user_id)), now
            )
            self._account_read_at = now
        return self._account

    async def _unless_forbidden[R](
        self, name: str, read: Callable[[], Awaitable[R]], now: datetime
    ) -> R | None:
        """Read, unless the token may not (a 403: asked again after FORBIDDEN_RETRY)."""
        if (retry_at := self.forbidden.get(name)) is not None and now < retry_at:
            return None
        try:
            result = await read()
        except EvEnergyForbiddenError:
            if name not in self.forbidden:
                LOGGER.warning(
                    "ev.energy does not let this account read %s; asking again hourly", name
                )
            self.forbidden[name] = now + FORBIDDEN_RETRY
            return None
        if self.forbidden.pop(name, None) is not None:
            LOGGER.info("ev.energy lets this account read %s again", name)
        return result

    async def _new_samples[DeviceT: Device, S: (EvseStatusLog, VehicleStatusLog)](
        self,
        kind: DeviceKind[DeviceT, S],
        devices: Mapping[str, DeviceT],
        history: _History[S],
        now: datetime,
    ) -> None:
        """Hand each device's samples since the ledger's mark to the ledger, so no plug-in or charge start is lost.

        The expanded latest sample is enough when the device reported once since the mark; the status-log
        history is read only when the gap says samples were missed and the budget allows it. The ledger takes
        each device's samples as soon as they are read: a later failure in this poll cannot lose them.
        """
        if kind.status_logs is None:
            return  # a kind shown from its latest sample alone
        fetch_logs = kind.status_logs(self.client)
        for device_id, device in devices.items():
            latest = kind.latest_sample(device)
            if latest is None or latest.sampled_at is None:
                continue
            cadence = history.cadence_of(device_id)
            if device_id not in history.learned:
                # Also when nothing is new since a reload: its polls must follow the reports from the start.
                history.learned.add(device_id)
                await self._learn_cadence(device_id, latest.sampled_at, cadence, fetch_logs, now)
            previous = self.ledger.high_water_mark(device_id)
            if previous is not None and latest.sampled_at <= previous:
                continue
            samples = [latest]
            if previous is not None and self._missed_samples(previous, latest.sampled_at, cadence):
                if not self.budget.can_spend(1, now):
                    continue  # the mark stays: the next poll reads the whole gap
                try:
                    samples = await self._history_since(device_id, previous, latest, fetch_logs)
                except (EvEnergyAuthError, EvEnergyRateLimitError):
                    raise
                except EvEnergyError as err:
                    # The current state still shows; the next poll reads the whole gap again.
                    LOGGER.debug("Reading the history of %s failed (%s)", device_id, err)
                    continue
            max_power = charger_max_power_w(latest) if isinstance(latest, EvseStatusLog) else None
            accepted = self.ledger.accept(device_id, samples, now=now, max_power_w=max_power)
            for sample in accepted:
                cadence.add(sample.sampled_at)  # type: ignore[arg-type]
            history.undelivered.setdefault(device_id, []).extend(accepted)

    async def _learn_cadence[S: (EvseStatusLog, VehicleStatusLog)](
        self,
        device_id: str,
        latest: datetime,
        cadence: SamplingCadence,
        fetch_logs: Callable[..., Awaitable[Sequence[S]]],
        now: datetime,
    ) -> None:
        """Learn how often a device reports from its recent samples (one page), at set-up, reload or restart.

        Polls then follow its reports from the start, not only after a second poll came 5 minutes later. The
        samples only time the reports: the ledger takes samples as before (from the latest one for a new device,
        so nothing before set-up is counted or fires an event).
        """
        if not self.budget.can_spend(1, now):
            return
        try:
            logs = await self._request(
                lambda: fetch_logs(device_id, sampled_at_gte=latest - LEARN_WINDOW, max_pages=1)
            )
        except EvEnergyIncompleteListError as err:
            # A longer history than a page: its newest samples time the reports as well.
            logs = err.items
        except (EvEnergyAuthError, EvEnergyRateLimitError):
            raise
        except EvEnergyError as err:
            LOGGER.debug("Reading the recent reports of %s failed (%s)", device_id, err)
            return
        times = sorted(
            at
            for log in logs
            if isinstance(at := getattr(log, "sampled_at", None), datetime) and at <= latest
        )
        for sampled_at in times[-cadence.window :]:
            cadence.add(sampled_at)

    @staticmethod
    def _missed_samples(previous: datetime, latest: datetime, cadence: SamplingCadence) -> bool:
        interval = cadence.interval
        return interval is None or latest - previous > interval * 1.5

    async def _history_since[S: (EvseStatusLog, VehicleStatusLog)](
        self,
        device_id: str,
        previous: datetime,
        latest: S,
        fetch_logs: Callable[..., Awaitable[Sequence[S]]],
    ) -> list[S]:
        try:
            logs = await self._request(
                lambda: fetch_logs(device_id, sampled_at_gte=previous, max_pages=HISTORY_MAX_PAGES)
            )
        except EvEnergyIncompleteListError as err:
            # A gap longer than the pages we read: take its newest part rather than retrying the same
            # unreadable gap on every poll and never moving on.
            LOGGER.info(
                "Read only the newest %s samples of %s's history since %s (%s)",
                len(err.items),
                device_id,
                previous,
                err.reason,
            )
            logs = [item for item in err.items if isinstance(item, type(latest))]
        newer = {
            log.sampled_at: log
            for log in logs
            if log.sampled_at is not None and previous < log.sampled_at <= latest.sampled_at  # type: ignore[operator]
        }
        newer[latest.sampled_at] = latest  # type: ignore[index]
        return [newer[at] for at in sorted(newer)]

    def _observe_reports[DeviceT: Device](
        self,
        kind: DeviceKind[DeviceT, Any],
        devices: Mapping[str, DeviceT],
        history: _History[Any],
        now: datetime,
    ) -> None:
        """Tell the report timer which report each device shows at this poll."""
        for device_id, device in devices.items():
            latest = kind.latest_sample(device)
            if latest is not None and latest.sampled_at is not None:
                self.report_timer.observe(
                    device_id, latest.sampled_at, now, history.cadence_of(device_id)
                )

    def _cadences_that_matter(self, data: EvEnergyData) -> list[tuple[str, SamplingCadence]]:
        """Return the cadences of the devices charging or plugged in; of every device when none is."""
        devices = [
            (device_id, history.cadence_of(device_id), kind.latest_sample(device))
            for kind, history in self._kinds_with_history()
            for device_id, device in data.of(kind).items()
        ]
        busy = [(device_id, cadence) for device_id, cadence, sample in devices if _busy(sample)]
        return busy or [(device_id, cadence) for device_id, cadence, _ in devices]

    def _fastest_cadence(self) -> timedelta:
        """Polling faster than the quickest-reporting device brings nothing new."""
        intervals = [
            cadence.interval
            for history in self._histories.values()
            for cadence in history.cadence.values()
            if cadence.interval is not None
        ]
        return min(intervals, default=timedelta(0))

    def _anything_charging(self, data: EvEnergyData) -> bool:
        return any(
            getattr(kind.latest_sample(device), "is_charging", False)
            for kind, _history in self._kinds_with_history()
            for device in data.of(kind).values()
        )

    def _kinds_with_history(self) -> list[tuple[AnyKind, _History[Any]]]:
        return [
            (kind, history)
            for kind in KINDS
            if (history := self._histories.get(kind.collection)) is not None
        ]

    def _keep_or_fail(
        self, now: datetime, reason: str, placeholders: dict[str, str], retry_in: timedelta
    ) -> EvEnergyData:
        """Keep the last good data through a short outage; after the grace period, fail."""
        self.update_interval = max(retry_in, RETRY_INTERVAL)
        if self.data is not None and now - self.data.updated_at < GRACE_PERIOD:
            LOGGER.debug(
                "ev.energy poll failed (%s); keeping data from %s", reason, self.data.updated_at
            )
            return self.data.without_new_samples()
        raise UpdateFailed(
            translation_domain=DOMAIN, translation_key=reason, translation_placeholders=placeholders
        )

    def after_command(self) -> None:
        """Poll a few times soon, to show the effect of a command."""
        self.update_interval = self.scheduler.start_burst()
        self._schedule_refresh()

    def after_push(self) -> None:
        """Poll now, and once more just after the next report: a push message comes before the report showing it."""
        self.scheduler.follow_next_report()
        self.config_entry.async_create_task(
            self.hass, self.async_request_refresh(), "ev_energy push refresh"
        )

    async def async_show_written_vehicle(self, vehicle_id: str, vehicle: Vehicle) -> None:
        """Show a vehicle as the API returned it after a write to it, without waiting for a poll.

        A write's answer does not expand the latest status log (it is a URL there): keep the polled one. An
        answer about another vehicle says nothing sure of either: it is ignored and the account read again.
        """
        if vehicle.id != vehicle_id:
            LOGGER.debug(
                "A write to %s answered for another vehicle: reading the account again", vehicle_id
            )
            await self.async_request_refresh()
            return
        data = self.data
        polled = data.vehicles.get(vehicle.id)
        if polled is not None and VEHICLE.latest_sample(vehicle) is None:
            vehicle = replace(vehicle, latest_status_log=polled.latest_status_log)
        vehicles: dict[str, Device] = {**data.vehicles, vehicle.id: vehicle}
        self.async_set_updated_data(
            replace(
                data.without_new_samples(),
                devices={**data.devices, VEHICLE.collection: vehicles},
            )
        )

    def diagnostics(self) -> dict[str, Any]:
        """Return the polling state for diagnostics (no secrets)."""
        now = dt_util.utcnow()
        return {
            "update_interval_seconds": self.update_interval.total_seconds()
            if self.update_interval
            else None,
            **self.scheduler.diagnostics(now),
            **self.report_timer.diagnostics(),
            "forbidden": sorted(self.forbidden),
            "sent_last_hour_by_caller": self.budget.sent_by_caller(now),
            "missing_devices": self.devices.missing,
        }


def _busy(sample: Sample | None) -> bool:
    """Return whether a device's report says it is charging or plugged in."""
    return bool(getattr(sample, "is_charging", False) or getattr(sample, "is_plugged_in", False))
