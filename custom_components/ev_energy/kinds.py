"""The kinds of device ev.energy lists (chargers, vehicles, solar inverters, home batteries), each in one place.

A kind says how the account's devices of that kind are read (the list call, its expansions and the single-item
call that tells a removed device from a missing one), which OAuth scopes that needs, what the device registry
shows of one, and which status log it reports. The polling coordinator reads every kind in ``KINDS``; the
device reconciler, diagnostics, the missing-permission repair, device removal, the OAuth scopes asked at
sign-in and the entity platforms all find the kinds here.

To add a kind:

1. Here: its ``DeviceKind`` (collection key, ``list_devices``, ``get_device``, ``expand``, ``read_scope``,
   ``write_scopes`` for its commands, the status-log type, ``stale_after``, and for a kind most accounts lack
   or whose state matters less than a charge's, ``read_interval`` and ``absent_read_interval``), its models in
   ``Device`` and
   ``Sample``, and the kind in ``KINDS``. Its device info is a function beside the others in
   ``device_info.py``. Leave ``status_logs`` out: it is for the chargers and cars, whose every sample the
   ledger takes for plug-in and charge events and the meter; a kind shown from its latest sample needs none.
   Set ``ledger_latest_only`` for such a kind when an older or future-dated sample must not be shown (the
   ledger's marks, at no extra request); the ledger's ``Sample`` type then names its status log.
2. Its entity descriptions in the platform modules (``sensor.py``'s ``SENSORS``, ``binary_sensor.py``'s
   ``BINARY_SENSORS``, ``event.py``'s ``EVENTS``), under the new kind.
3. The translations of the new entity keys in ``strings.json`` and every ``translations/*.json``, their icons in
   ``icons.json`` (and, when the kind needs a new scope, the README's scopes line and the application credentials'
   description, which list the scopes).

Below the coordinators and above the API client: it names client calls and models, and sends nothing itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from homeassistant.helpers.device_registry import DeviceInfo

from .api import (
    EvEnergyClient,
    Evse,
    EvseStatusLog,
    HomeBattery,
    HomeBatteryStatusLog,
    Inverter,
    InverterStatusLog,
    ItemList,
    Vehicle,
    VehicleStatusLog,
)
from .device_info import (
    evse_device_info,
    home_battery_device_info,
    inverter_device_info,
    vehicle_device_info,
)

type Device = Evse | Vehicle | Inverter | HomeBattery
type Sample = EvseStatusLog | VehicleStatusLog | InverterStatusLog | HomeBatteryStatusLog

# The OAuth scopes beside the devices': the account (and its grid carbon intensity), the charging sessions
# (read, and boosted), and the home's energy flows for the Energy panel.
ACCOUNT_SCOPE: Final = "user:read"
OTHER_SCOPES: Final = (
    "charging_session:read",
    "charging_session:write",
    "carbon:read",
    "home_energy:read",
    # The solar forecast for the Energy dashboard, scaled by the arrays' capacity.
    "solar_forecast:read",
    "solar:read",
    # The tariff's prices (an entry granted before they were asked for keeps working without them).
    "tariff:read",
    "tariff:prices:read",
)


@dataclass(frozen=True, kw_only=True, eq=False)
class DeviceKind[DeviceT: Device, SampleT: Sample]:
    """One kind of device on an ev.energy account, and how the integration reads and shows it."""

    # The kind's key in the polled data, the device reconciler's store and the missing-permission repairs.
    collection: str
    list_devices: Callable[[EvEnergyClient], Callable[..., Awaitable[ItemList[DeviceT]]]]
    get_device: Callable[[EvEnergyClient], Callable[[str], Awaitable[DeviceT]]]
    expand: tuple[str, ...]
    read_scope: str
    # Scopes of the kind's commands (the vehicle's charge limit and smart charging).
    write_scopes: tuple[str, ...] = ()
    device_info: Callable[[DeviceT], DeviceInfo]
    status_log: type[SampleT]
    # The status-log history, for the kinds whose every sample the ledger takes (plug-ins, charge starts, meter
    # readings: chargers and cars); None for kinds shown from their latest sample alone.
    status_logs: Callable[[EvEnergyClient], Callable[..., Awaitable[Sequence[SampleT]]]] | None = (
        None
    )
    # For a kind without ``status_logs``: its latest sample goes through the ledger's marks (ledger.py's
    # ``accept_latest``), and the newest sample taken is shown, never an older one served after it.
    ledger_latest_only: bool = False
    # A sample older than this no longer describes the device. Cars sleep and report rarely when parked.
    stale_after: timedelta
    # The kind's list is read at most this often (zero: at every poll), and only this often while the account's
    # last complete read listed none of it: a kind most accounts lack must not add a request to every poll.
    read_interval: timedelta = timedelta(0)
    absent_read_interval: timedelta = timedelta(0)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Return every scope the kind needs: reading its devices, and its commands."""
        return (self.read_scope, *self.write_scopes)

    def latest_sample(self, device: DeviceT) -> SampleT | None:
        """Return the device's expanded latest status log, or None (not sent, or only its URL)."""
        log: object = device.latest_status_log
        return log if isinstance(log, self.status_log) else None


EVSE = DeviceKind[Evse, EvseStatusLog](
    collection="evses",
    list_devices=lambda client: client.list_evses,
    get_device=lambda client: client.get_evse,
    expand=("latest_status_log", "model", "model.make"),
    read_scope="evse:read",
    device_info=evse_device_info,
    status_log=EvseStatusLog,
    status_logs=lambda client: client.list_evse_status_logs,
    stale_after=timedelta(minutes=30),
)
VEHICLE = DeviceKind[Vehicle, VehicleStatusLog](
    collection="vehicles",
    list_devices=lambda client: client.list_vehicles,
    get_device=lambda client: client.get_vehicle,
    expand=("latest_status_log", "trim", "trim.model", "trim.model.make"),
    read_scope="vehicle:read",
    write_scopes=("vehicle:write",),
    device_info=vehicle_device_info,
    status_log=VehicleStatusLog,
    status_logs=lambda client: client.list_vehicle_status_logs,
    stale_after=timedelta(hours=12),
)
INVERTER = DeviceKind[Inverter, InverterStatusLog](
    collection="inverters",
    list_devices=lambda client: client.list_inverters,
    get_device=lambda client: client.get_inverter,
    expand=("latest_status_log", "model", "model.make"),
    read_scope="inverter:read",
    device_info=inverter_device_info,
    status_log=InverterStatusLog,
    stale_after=timedelta(minutes=30),
)
# Most homes have no battery: they pay one request an hour to find one added. A battery's state of charge moves
# slowly beside a car's charge, and the live power's battery flows (live_power.py) follow its power every minute:
# its device is read every 5 minutes, not at each poll (every minute while a car charges).
HOME_BATTERY = DeviceKind[HomeBattery, HomeBatteryStatusLog](
    collection="home_batteries",
    list_devices=lambda client: client.list_home_batteries,
    get_device=lambda client: client.get_home_battery,
    expand=("latest_status_log", "model", "model.make"),
    read_scope="home_battery:read",
    device_info=home_battery_device_info,
    status_log=HomeBatteryStatusLog,
    ledger_latest_only=True,
    stale_after=timedelta(minutes=30),
    # Status, mode, capacity and limit change slowly; its power and charge level also come every minute from the
    # HEM system's live power. Every 10 minutes keeps the home's requests under 15 % of ev.energy's limit.
    read_interval=timedelta(minutes=10),
    absent_read_interval=timedelta(hours=1),
)

# Every kind, in the order they are polled and their entities are added. Typed loosely: each kind pairs its
# own device and sample types, which the loops over all kinds do not need.
type AnyKind = DeviceKind[Any, Any]
KINDS: Final[tuple[AnyKind, ...]] = (EVSE, VEHICLE, INVERTER, HOME_BATTERY)

# What the integration asks for at sign-in: the account, every kind's devices and commands, and the rest.
SCOPES: Final = (
    ACCOUNT_SCOPE,
    *(scope for kind in KINDS for scope in kind.scopes),
    *OTHER_SCOPES,
)
