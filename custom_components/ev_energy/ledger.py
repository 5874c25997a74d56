"""The sample ledger: every status-log sample of every charger and car is processed exactly once, in time order.

Polls overlap (a refresh, a failed poll kept through its grace period, a command's quick polls, a reload, a
restart), so the same sample reaches the integration several times, sometimes out of order. The ledger keeps, per
device, the time of the newest sample it processed (its high-water mark) and the state the energy total and the
transitions are computed from, in Home Assistant storage. A sample at or below the mark has been processed; a
sample dated in the future is held out until its time has come, so it can neither hide later samples nor count.

A kind shown from its latest sample alone (the home battery) passes only that sample through the marks: no
transitions, no meter, no history read, but an older sample served after a newer one (an API replica lagging, a
cached answer) or one dated in the future is not shown, also after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, cast

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import EvseStatusLog, HomeBatteryStatusLog, VehicleState, VehicleStatusLog
from .const import LOGGER
from .meter import DEFAULT_MAX_POWER_W, Meter
from .storage import entry_stores

# Marks are written soon after they move; Home Assistant also writes pending data when it stops.
SAVE_DELAY_SECONDS: Final = 5
# Device clocks drift: a sample this little ahead of ours is still taken.
FUTURE_TOLERANCE: Final = timedelta(minutes=2)

PLUGGED_IN: Final = "plugged_in"
UNPLUGGED: Final = "unplugged"
CHARGING_STARTED: Final = "charging_started"
CHARGING_STOPPED: Final = "charging_stopped"
CHARGE_COMPLETE: Final = "charge_complete"
EVSE_TRANSITIONS: Final = (PLUGGED_IN, UNPLUGGED, CHARGING_STARTED, CHARGING_STOPPED)
VEHICLE_TRANSITIONS: Final = (*EVSE_TRANSITIONS, CHARGE_COMPLETE)

# The flags a transition is read from, each with the transition of its rising and falling edge (None: none).
# Their order is the order transitions of one sample fire in: plugged in before charging started, charging
# stopped and charge complete before unplugged.
_EDGES: Final = (
    ("plugged", PLUGGED_IN, None),
    ("charging", CHARGING_STARTED, CHARGING_STOPPED),
    ("complete", CHARGE_COMPLETE, None),
    ("plugged", None, UNPLUGGED),
)

type Sample = EvseStatusLog | VehicleStatusLog | HomeBatteryStatusLog
type TransitionListener = Callable[[Transition], None]


@dataclass(frozen=True, slots=True)
class Transition:
    """A change a device's samples show, at the time of the sample that first showed it."""

    device_id: str
    type: str
    sampled_at: datetime


@dataclass
class _Device:
    """What the ledger keeps per device."""

    mark: datetime | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    meter: Meter | None = None
    # The newest sample taken of a kind shown from its latest sample; in memory only, as the polled devices are.
    latest: Sample | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "mark": None if self.mark is None else self.mark.isoformat(),
            "flags": dict(self.flags),
            "meter": None if self.meter is None else self.meter.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> _Device:
        if not isinstance(data, dict):
            return cls()
        mark = dt_util.parse_datetime(str(data.get("mark") or ""))
        flags = data.get("flags")
        return cls(
            mark=mark,
            flags={
                key: value
                for key, value in (flags.items() if isinstance(flags, dict) else ())
                if isinstance(value, bool)
            },
            meter=None if data.get("meter") is None else Meter.from_dict(data["meter"]),
        )


def _flags(sample: Sample) -> dict[str, bool]:
    """Return the flags of a sample that it reports (a flag the API left out is not a change)."""
    flags: dict[str, bool] = {}
    if not isinstance(sample, EvseStatusLog | VehicleStatusLog):
        return flags  # a kind shown from its latest sample has no transitions
    if sample.is_plugged_in is not None:
        flags["plugged"] = sample.is_plugged_in
    if sample.is_charging is not None:
        flags["charging"] = sample.is_charging
    if isinstance(sample, VehicleStatusLog) and sample.state not in (None, VehicleState.UNKNOWN):
        flags["complete"] = sample.state is VehicleState.PLUGGED_IN_COMPLETE
    return flags


def _transitions(before: dict[str, bool], after: dict[str, bool]) -> list[str]:
    found = []
    for flag, rising, falling in _EDGES:
        if flag not in before or flag not in after or before[flag] == after[flag]:
            continue
        edge = rising if after[flag] else falling
        if edge is not None:
            found.append(edge)
    return found


class SampleLedger:
    """Processes each device's samples once, in time order, and keeps what it learned across restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the ledger of one config entry in ``ev_energy.<entry_id>.ledger``."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[dict[str, Any]] = entry_stores(hass, entry_id).store("ledger")
        self._devices: dict[str, _Device] = {}
        self._listeners: dict[str, list[TransitionListener]] = {}
        # Listeners to every device's transitions, also of devices the ledger has not seen yet.
        self._any_device_listeners: list[TransitionListener] = []

    async def async_load(self) -> None:
        """Load the stored ledger (none on the first start)."""
        stored = await self._store.async_load()
        if stored is None:
            return
        devices = stored.get("devices")
        if isinstance(devices, dict):
            self._devices = {
                str(device_id): _Device.from_dict(data) for device_id, data in devices.items()
            }

    async def async_save(self) -> None:
        """Write the ledger now (on unload: the next set-up reads it at once)."""
        await self._store.async_save(self._data_to_store())

    def high_water_mark(self, device_id: str) -> datetime | None:
        """Return the time of the newest sample processed for a device: the history is read from there."""
        device = self._devices.get(device_id)
        return None if device is None else device.mark

    def energy_total_wh(self, device_id: str) -> float | None:
        """Return the energy counted from a charger's meter, or None before its first reading."""
        device = self._devices.get(device_id)
        return None if device is None or device.meter is None else device.meter.total_wh

    @callback
    def async_add_listener(
        self, device_id: str, listener: TransitionListener
    ) -> Callable[[], None]:
        """Call ``listener`` with each transition of a device, in order; return the remover."""
        listeners = self._listeners.setdefault(device_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_any_device_listener(self, listener: TransitionListener) -> Callable[[], None]:
        """Call ``listener`` with each transition of every device, those found later too; return the remover."""
        self._any_device_listeners.append(listener)
        return lambda: self._any_device_listeners.remove(listener)

    @callback
    def accept[S: (EvseStatusLog, VehicleStatusLog)](
        self,
        device_id: str,
        samples: Iterable[S],
        *,
        now: datetime,
        max_power_w: float | None = None,
    ) -> list[S]:
        """Process the samples not processed before, oldest first, and return them.

        Samples at or below the device's mark were processed before; samples dated after ``now`` (beyond a
        small tolerance) are held out and neither count nor move the mark.
        """
        return self._accept(device_id, samples, now, max_power_w)

    @callback
    def accept_latest[S: Sample](
        self, device_id: str, sample: S | None, *, now: datetime
    ) -> S | None:
        """Take a device's latest sample, of a kind shown from it alone; return the newest sample taken.

        The sample is taken as ``accept`` takes one (no transitions or meter for a kind without them). One older
        than the mark, or dated in the future, is not shown: the newest taken is, until a newer one comes. The
        sample at the mark is the one taken before: shown again, also after a restart forgot it.
        """
        device = self._devices.setdefault(device_id, _Device())
        if sample is not None and (
            self._accept(device_id, [sample], now, None)
            or (sample.sampled_at is not None and sample.sampled_at == device.mark)
        ):
            device.latest = sample
        # Only samples of this device's kind are taken for it.
        return cast("S | None", device.latest)

    def _accept[S: Sample](
        self,
        device_id: str,
        samples: Iterable[S],
        now: datetime,
        max_power_w: float | None,
    ) -> list[S]:
        device = self._devices.setdefault(device_id, _Device())
        newest_allowed = now + FUTURE_TOLERANCE
        fresh: dict[datetime, S] = {}
        for sample in samples:
            at = sample.sampled_at
            if at is None or (device.mark is not None and at <= device.mark):
                continue
            if at > newest_allowed:
                LOGGER.debug("Holding out a sample of %s dated in the future (%s)", device_id, at)
                continue
            fresh.setdefault(at, sample)
        for at in sorted(fresh):
            self._process(device_id, device, fresh[at], at, max_power_w)
        if fresh:
            self._store.async_delay_save(self._data_to_store, SAVE_DELAY_SECONDS)
        return [fresh[at] for at in sorted(fresh)]

    def _process(
        self,
        device_id: str,
        device: _Device,
        sample: Sample,
        at: datetime,
        max_power_w: float | None,
    ) -> None:
        if isinstance(sample, EvseStatusLog) and sample.meter_reading_watt_hours is not None:
            device.meter = device.meter or Meter()
            device.meter.add_reading(
                sample.meter_reading_watt_hours, at, max_power_w or DEFAULT_MAX_POWER_W
            )
        flags = _flags(sample)
        # The first sample of a device is only the baseline: the state found at set-up is no transition.
        changes = _transitions(device.flags, flags)
        device.flags.update(flags)
        device.mark = at
        for change in changes:
            transition = Transition(device_id, change, at)
            for listener in [*self._listeners.get(device_id, ()), *self._any_device_listeners]:
                listener(transition)

    def _data_to_store(self) -> dict[str, Any]:
        return {"devices": {device_id: d.as_dict() for device_id, d in self._devices.items()}}
