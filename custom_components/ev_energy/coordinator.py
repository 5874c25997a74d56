"""Polling of ev.energy: the current state of every charger, vehicle and inverter, inside the request budget."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    EvEnergyAuthError,
    EvEnergyClient,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyRateLimitError,
    Evse,
    EvseStatusLog,
    Inverter,
    UserDetail,
    Vehicle,
    VehicleStatusLog,
)
from .budget import RequestBudget, SamplingCadence
from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from .auth import ConfigEntryAuth

type EvEnergyConfigEntry = ConfigEntry[EvEnergyRuntimeData]

EVSE_EXPAND = ("latest_status_log", "model", "model.make")
VEHICLE_EXPAND = ("latest_status_log", "trim", "trim.model", "trim.model.make")
INVERTER_EXPAND = ("latest_status_log", "model", "model.make")

CHARGING_INTERVAL = timedelta(seconds=60)
IDLE_INTERVAL = timedelta(minutes=5)
# Right after a command the user wants to see its effect, so poll a few times soon.
COMMAND_BURST = (timedelta(seconds=10), timedelta(seconds=30))
# How often the account (grid carbon intensity) is read: ev.energy's carbon data has 30-minute intervals.
ACCOUNT_INTERVAL = timedelta(minutes=15)
# A failed poll keeps the last good data this long before entities go unavailable, so one 502 does not blink
# every entity; retries come sooner meanwhile.
GRACE_PERIOD = timedelta(minutes=10)
RETRY_INTERVAL = timedelta(seconds=60)
HISTORY_MAX_PAGES = 3


@dataclass
class EvEnergyData:
    """One poll's view of the account."""

    evses: dict[str, Evse]
    vehicles: dict[str, Vehicle]
    inverters: dict[str, Inverter]
    account: UserDetail | None
    updated_at: datetime
    # Samples that arrived since the previous poll, oldest first (the latest one included).
    new_evse_samples: dict[str, list[EvseStatusLog]] = field(default_factory=dict)
    new_vehicle_samples: dict[str, list[VehicleStatusLog]] = field(default_factory=dict)


@dataclass
class EvEnergyRuntimeData:
    """What a loaded entry holds."""

    client: EvEnergyClient
    coordinator: EvEnergyCoordinator
    user_id: str


@dataclass
class _History:
    """Per device: the newest sample seen and how often it reports."""

    last_seen: dict[str, datetime] = field(default_factory=dict)
    cadence: dict[str, SamplingCadence] = field(default_factory=dict)
    # What this poll has seen; it becomes `last_seen` only once the poll succeeded and its samples were delivered.
    seen_this_poll: dict[str, datetime] = field(default_factory=dict)

    def cadence_of(self, device_id: str) -> SamplingCadence:
        return self.cadence.setdefault(device_id, SamplingCadence())

    def commit(self) -> None:
        self.last_seen.update(self.seen_this_poll)
        self.seen_this_poll.clear()


class EvEnergyCoordinator(DataUpdateCoordinator[EvEnergyData]):
    """Reads every device's latest status through three collection requests a cycle."""

    config_entry: EvEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvEnergyConfigEntry,
        client: EvEnergyClient,
        auth: ConfigEntryAuth,
        user_id: str,
        *,
        budget: RequestBudget | None = None,
    ) -> None:
        """Set up polling for one ev.energy account."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=DOMAIN, update_interval=IDLE_INTERVAL
        )
        self.client = client
        self.auth = auth
        self.user_id = user_id
        self.budget = budget or RequestBudget()
        self.requests_per_cycle = 3.0
        self._evse_history = _History()
        self._vehicle_history = _History()
        self._burst: deque[timedelta] = deque()
        self._account: UserDetail | None = None
        self._account_read_at: datetime | None = None
        self._forbidden: set[str] = set()

    async def _async_update_data(self) -> EvEnergyData:
        now = dt_util.utcnow()
        if blocked := self.budget.seconds_blocked(now):
            return self._keep_or_fail(
                now, "rate_limited", {"seconds": str(round(blocked))}, timedelta(seconds=blocked)
            )
        sent_before = self.client.request_count
        try:
            data = await self._poll_with_token_retry(now)
        except EvEnergyRateLimitError as err:
            self.budget.rate_limited(err.retry_after, now)
            blocked = self.budget.seconds_blocked(now)
            return self._keep_or_fail(
                now, "rate_limited", {"seconds": str(round(blocked))}, timedelta(seconds=blocked)
            )
        except EvEnergyError as err:
            return self._keep_or_fail(now, "update_failed", {"error": str(err)}, RETRY_INTERVAL)
        finally:
            self._account_budget(now, self.client.request_count - sent_before)
        self.update_interval = self._next_interval(data, now)
        return data

    async def _poll_with_token_retry(self, now: datetime) -> EvEnergyData:
        """Poll; a 401 gets one forced token refresh, a second 401 means the user must sign in again."""
        try:
            return await self._poll(now)
        except EvEnergyAuthError:
            await self.auth.async_force_refresh()
        try:
            return await self._poll(now)
        except EvEnergyAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="token_refused"
            ) from err

    async def _poll(self, now: datetime) -> EvEnergyData:
        for history in (self._evse_history, self._vehicle_history):
            history.seen_this_poll.clear()
        evses = await self._collection("evses", self.client.list_evses, EVSE_EXPAND)
        vehicles = await self._collection("vehicles", self.client.list_vehicles, VEHICLE_EXPAND)
        inverters = await self._collection("inverters", self.client.list_inverters, INVERTER_EXPAND)
        account = await self._read_account(now)
        data = EvEnergyData(
            evses=evses,
            vehicles=vehicles,
            inverters=inverters,
            account=account,
            updated_at=now,
            new_evse_samples=await self._new_samples(
                evses, self._evse_history, self.client.list_evse_status_logs, now
            ),
            new_vehicle_samples=await self._new_samples(
                vehicles, self._vehicle_history, self.client.list_vehicle_status_logs, now
            ),
        )
        self._evse_history.commit()
        self._vehicle_history.commit()
        return data

    async def _collection[T: (Evse, Vehicle, Inverter)](
        self,
        name: str,
        fetch: Callable[..., Awaitable[Sequence[T]]],
        expand: tuple[str, ...],
    ) -> dict[str, T]:
        """Read a collection; one the token may not read (403, a scope not granted) is left out."""
        if name in self._forbidden:
            return {}
        try:
            items = await fetch(expand=expand)
        except EvEnergyForbiddenError:
            LOGGER.warning("ev.energy does not let this account read %s; they are left out", name)
            self._forbidden.add(name)
            return {}
        return {item.id: item for item in items}

    async def _read_account(self, now: datetime) -> UserDetail | None:
        due = self._account_read_at is None or now - self._account_read_at >= ACCOUNT_INTERVAL
        if due and "account" not in self._forbidden:
            try:
                self._account = await self.client.get_user(self.user_id)
            except EvEnergyForbiddenError:
                self._forbidden.add("account")
            self._account_read_at = now
        return self._account

    async def _new_samples[S: (EvseStatusLog, VehicleStatusLog)](
        self,
        devices: Mapping[str, Evse | Vehicle],
        history: _History,
        fetch_logs: Callable[..., Awaitable[Sequence[S]]],
        now: datetime,
    ) -> dict[str, list[S]]:
        """Return each device's samples since the previous poll, so no plug-in or charge start is lost.

        The expanded latest sample is enough when the device reported once since the last poll; the status-log
        history is read only when the gap says samples were missed and the budget allows it.
        """
        result: dict[str, list[S]] = {}
        for device_id, device in devices.items():
            latest: S | None = latest_sample(device)
            if latest is None or latest.sampled_at is None:
                continue
            previous = history.last_seen.get(device_id)
            if previous is not None and latest.sampled_at <= previous:
                continue
            cadence = history.cadence_of(device_id)
            samples = [latest]
            if previous is not None and self._missed_samples(previous, latest.sampled_at, cadence):
                if not self.budget.can_spend(1, now):
                    continue  # keep `previous`: the next poll reads the whole gap
                try:
                    samples = await self._history_since(device_id, previous, latest, fetch_logs)
                except (EvEnergyAuthError, EvEnergyRateLimitError):
                    raise
                except EvEnergyError as err:
                    # The current state still shows; the next poll reads the whole gap again.
                    LOGGER.debug("Reading the history of %s failed (%s)", device_id, err)
                    continue
            for sample in samples:
                cadence.add(sample.sampled_at)  # type: ignore[arg-type]
            history.seen_this_poll[device_id] = latest.sampled_at
            result[device_id] = samples if previous is not None else []
        return result

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
        logs = await fetch_logs(device_id, sampled_at_gte=previous, max_pages=HISTORY_MAX_PAGES)
        newer = {
            log.sampled_at: log
            for log in logs
            if log.sampled_at is not None and previous < log.sampled_at <= latest.sampled_at  # type: ignore[operator]
        }
        newer[latest.sampled_at] = latest  # type: ignore[index]
        return [newer[at] for at in sorted(newer)]

    def _account_budget(self, now: datetime, sent: int) -> None:
        for _ in range(sent):
            self.budget.record_request(now)
        if sent:
            # A running average: history reads make some cycles larger than others.
            self.requests_per_cycle = 0.8 * self.requests_per_cycle + 0.2 * sent
        if (state := self.client.rate_limit) is not None:
            self.budget.observe(state.limit, state.remaining, state.observed_at)

    def _next_interval(self, data: EvEnergyData, now: datetime) -> timedelta:
        budget_floor = self.budget.min_interval(self.requests_per_cycle, now)
        if self._burst and self.budget.can_spend(round(self.requests_per_cycle), now):
            return max(self._burst.popleft(), timedelta(seconds=self.budget.seconds_blocked(now)))
        self._burst.clear()
        wanted = CHARGING_INTERVAL if _anything_charging(data) else IDLE_INTERVAL
        return max(wanted, budget_floor, self._fastest_cadence())

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
        self._burst = deque(COMMAND_BURST)
        self.update_interval = self._burst.popleft()
        self._schedule_refresh()

    def replace_vehicle(self, vehicle: Vehicle) -> None:
        """Show a vehicle as the API returned it after a write, without waiting for a poll.

        A write's answer does not expand the latest status log (it is a URL there): keep the polled one.
        """
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

    def check_command_allowed(self) -> None:
        """Refuse a command while ev.energy has told us to wait (a 429)."""
        if blocked := self.budget.seconds_blocked(dt_util.utcnow()):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": str(round(blocked))},
            )

    def note_command_error(self, err: EvEnergyError) -> None:
        """Let a command's 429 stop polling too."""
        if isinstance(err, EvEnergyRateLimitError):
            self.budget.rate_limited(err.retry_after, dt_util.utcnow())

    def diagnostics(self) -> dict[str, Any]:
        """Return the polling state for diagnostics (no secrets)."""
        now = dt_util.utcnow()
        return {
            "update_interval_seconds": self.update_interval.total_seconds()
            if self.update_interval
            else None,
            "requests_per_cycle": round(self.requests_per_cycle, 2),
            "sent_last_hour": self.budget.sent_last_hour(now),
            "rate_limit": {"limit": self.budget.limit, "remaining": self.budget.remaining},
            "blocked_seconds": self.budget.seconds_blocked(now),
            "forbidden": sorted(self._forbidden),
        }


def latest_sample(device: Evse | Vehicle | Inverter) -> Any:
    """Return the device's expanded latest status log, or None (not sent, or only its URL)."""
    log = device.latest_status_log
    return None if log is None or isinstance(log, str) else log


def _anything_charging(data: EvEnergyData) -> bool:
    devices: list[Evse | Vehicle] = [*data.evses.values(), *data.vehicles.values()]
    return any(getattr(latest_sample(device), "is_charging", False) for device in devices)
