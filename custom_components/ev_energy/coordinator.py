"""Polling of ev.energy: the current state of every charger, vehicle and inverter, inside the request budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import HomeAssistant
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
from .devices import DeviceReconciler
from .gateway import ReauthRequiredError, RequestGateway, auth_failed
from .ledger import SampleLedger
from .meter import charger_max_power_w
from .phase import ReportTimer
from .scheduler import IDLE_INTERVAL, PollScheduler

if TYPE_CHECKING:
    from .runtime import EvEnergyConfigEntry

EVSE_EXPAND = ("latest_status_log", "model", "model.make")
VEHICLE_EXPAND = ("latest_status_log", "trim", "trim.model", "trim.model.make")
INVERTER_EXPAND = ("latest_status_log", "model", "model.make")

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


@dataclass
class EvEnergyData:
    """One poll's view of the account."""

    evses: dict[str, Evse]
    vehicles: dict[str, Vehicle]
    inverters: dict[str, Inverter]
    account: UserDetail | None
    updated_at: datetime
    # Samples the ledger accepted since the previous update, oldest first (also those a failed poll read).
    new_evse_samples: dict[str, list[EvseStatusLog]] = field(default_factory=dict)
    new_vehicle_samples: dict[str, list[VehicleStatusLog]] = field(default_factory=dict)


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


class EvEnergyCoordinator(DataUpdateCoordinator[EvEnergyData]):
    """Reads every device's latest status through three collection requests a cycle."""

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
        client = self.client = gateway.client
        self.user_id = user_id
        self.budget = gateway.budget
        self.ledger = ledger or SampleLedger(hass, entry.entry_id)
        self.scheduler = PollScheduler(hass, entry.entry_id, self.budget)
        self.devices = DeviceReconciler(
            hass,
            entry,
            {
                "evses": lambda device_id: self._request(lambda: client.get_evse(device_id)),
                "vehicles": lambda device_id: self._request(lambda: client.get_vehicle(device_id)),
                "inverters": lambda device_id: self._request(
                    lambda: client.get_inverter(device_id)
                ),
            },
            self.budget,
        )
        self._evse_history: _History[EvseStatusLog] = _History()
        self._vehicle_history: _History[VehicleStatusLog] = _History()
        self.report_timer = ReportTimer()
        self._account: UserDetail | None = None
        self._account_read_at: datetime | None = None
        # Collection (or "account") -> when to ask again after a 403.
        self.forbidden: dict[str, datetime] = {}
        # Device lists whose last read was cut short (logged once), and until when they are read one page only.
        self._cut_short: set[str] = set()
        self._short_walks: dict[str, datetime] = {}

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
            _anything_charging(data),
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

    async def _poll(self, now: datetime) -> EvEnergyData:
        evses, listed_evses = await self._collection(
            "evses", self.client.list_evses, EVSE_EXPAND, now
        )
        vehicles, listed_vehicles = await self._collection(
            "vehicles", self.client.list_vehicles, VEHICLE_EXPAND, now
        )
        inverters, listed_inverters = await self._collection(
            "inverters", self.client.list_inverters, INVERTER_EXPAND, now
        )
        # A collection read cut short (or not at all) lists None: nothing is removed for it.
        await self.devices.async_reconcile(
            {"evses": listed_evses, "vehicles": listed_vehicles, "inverters": listed_inverters},
            keep=self.user_id,
            now=now,
        )
        account = await self._read_account(now)
        data = EvEnergyData(
            evses=evses,
            vehicles=vehicles,
            inverters=inverters,
            account=account,
            updated_at=now,
        )
        await self._new_samples(evses, self._evse_history, self.client.list_evse_status_logs, now)
        await self._new_samples(
            vehicles, self._vehicle_history, self.client.list_vehicle_status_logs, now
        )
        self._observe_reports(evses, self._evse_history, now)
        self._observe_reports(vehicles, self._vehicle_history, now)
        data.new_evse_samples = self._evse_history.deliver()
        data.new_vehicle_samples = self._vehicle_history.deliver()
        return data

    async def _collection[T: (Evse, Vehicle, Inverter)](
        self,
        name: str,
        fetch: Callable[..., Awaitable[ItemList[T]]],
        expand: tuple[str, ...],
        now: datetime,
    ) -> tuple[dict[str, T], Collection[str] | None]:
        """Read a collection: its parsed devices, and every id it listed (None: cannot tell).

        One the token may not read (403, a scope not granted) is left out and asked again later; its devices
        stay, unavailable. A device listed but not parsable counts as listed; an unparsable item without an id
        could be any device, so then no device counts as missing.
        """
        items = await self._unless_forbidden(
            name, lambda: self._walk(name, fetch, expand, now), now
        )
        if items is None:
            return {}, None
        parsed = {item.id: item for item in items}
        dropped = {item.id for item in items.dropped}
        if None in dropped or name in self._cut_short:
            return parsed, None
        return parsed, parsed.keys() | {device_id for device_id in dropped if device_id is not None}

    async def _walk[T: (Evse, Vehicle, Inverter)](
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

    async def _new_samples[S: (EvseStatusLog, VehicleStatusLog)](
        self,
        devices: Mapping[str, Evse | Vehicle],
        history: _History[S],
        fetch_logs: Callable[..., Awaitable[Sequence[S]]],
        now: datetime,
    ) -> None:
        """Hand each device's samples since the ledger's mark to the ledger, so no plug-in or charge start is lost.

        The expanded latest sample is enough when the device reported once since the mark; the status-log
        history is read only when the gap says samples were missed and the budget allows it. The ledger takes
        each device's samples as soon as they are read: a later failure in this poll cannot lose them.
        """
        for device_id, device in devices.items():
            latest: S | None = latest_sample(device)
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

    def _observe_reports[S: (EvseStatusLog, VehicleStatusLog)](
        self, devices: Mapping[str, Evse | Vehicle], history: _History[S], now: datetime
    ) -> None:
        """Tell the report timer which report each device shows at this poll."""
        for device_id, device in devices.items():
            latest = latest_sample(device)
            if latest is not None and latest.sampled_at is not None:
                self.report_timer.observe(
                    device_id, latest.sampled_at, now, history.cadence_of(device_id)
                )

    def _cadences_that_matter(self, data: EvEnergyData) -> list[tuple[str, SamplingCadence]]:
        """Return the cadences of the devices charging or plugged in; of every device when none is."""
        devices = [
            (device_id, self._evse_history.cadence_of(device_id), latest_sample(evse))
            for device_id, evse in data.evses.items()
        ] + [
            (device_id, self._vehicle_history.cadence_of(device_id), latest_sample(car))
            for device_id, car in data.vehicles.items()
        ]
        busy = [(device_id, cadence) for device_id, cadence, sample in devices if _busy(sample)]
        return busy or [(device_id, cadence) for device_id, cadence, _ in devices]

    def _fastest_cadence(self) -> timedelta:
        """Polling faster than the quickest-reporting device brings nothing new."""
        intervals = [
            cadence.interval
            for history in (self._evse_history, self._vehicle_history)
            for cadence in history.cadence.values()
            if cadence.interval is not None
        ]
        return min(intervals, default=timedelta(0))

    def _keep_or_fail(
        self, now: datetime, reason: str, placeholders: dict[str, str], retry_in: timedelta
    ) -> EvEnergyData:
        """Keep the last good data through a short outage; after the grace period, fail."""
        self.update_interval = max(retry_in, RETRY_INTERVAL)
        if self.data is not None and now - self.data.updated_at < GRACE_PERIOD:
            LOGGER.debug(
                "ev.energy poll failed (%s); keeping data from %s", reason, self.data.updated_at
            )
            return replace(self.data, new_evse_samples={}, new_vehicle_samples={})
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
        if polled is not None and latest_sample(vehicle) is None:
            vehicle = replace(vehicle, latest_status_log=polled.latest_status_log)
        self.async_set_updated_data(
            replace(
                data,
                vehicles={**data.vehicles, vehicle.id: vehicle},
                new_evse_samples={},
                new_vehicle_samples={},
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


def latest_sample(device: Evse | Vehicle | Inverter) -> Any:
    """Return the device's expanded latest status log, or None (not sent, or only its URL)."""
    log = device.latest_status_log
    return None if log is None or isinstance(log, str) else log


def _busy(sample: EvseStatusLog | VehicleStatusLog | None) -> bool:
    """Return whether a device's report says it is charging or plugged in."""
    return sample is not None and bool(sample.is_charging or sample.is_plugged_in)


def _anything_charging(data: EvEnergyData) -> bool:
    devices: list[Evse | Vehicle] = [*data.evses.values(), *data.vehicles.values()]
    return any(getattr(latest_sample(device), "is_charging", False) for device in devices)
