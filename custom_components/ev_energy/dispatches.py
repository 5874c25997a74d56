"""Charging slots in the layout of Octopus Energy's *Intelligent dispatching* sensor, which energy managers read.

BottlecapDave's Octopus Energy integration gives its ``binary_sensor.octopus_energy_<device>_intelligent_dispatching``
two attributes (``intelligent/dispatching.py``, ``api_client/intelligent_dispatches.py``): ``planned_dispatches``
and ``completed_dispatches``, lists of ``{start, end, charge_in_kwh, source, location}``. ``start`` and ``end`` are
datetimes in local time (ISO 8601 with the offset once serialised), ``charge_in_kwh`` a float, ``source``
``smart-charge`` or ``bump-charge``, ``location`` e.g. ``AT_HOME``. A planned item leaves out a key Octopus gives no
value for; a completed item keeps it as None. Predbat (``octopus_intelligent_slot`` in ``apps.yaml``;
``fetch.py`` and ``decode_octopus_slot`` in ``octopus.py``) reads both lists, parses the times with
``%Y-%m-%dT%H:%M:%S%z`` (no fraction of a second), takes the absolute ``charge_in_kwh`` (a missing one it sizes
from its own ``car_charging_rate``), counts a slot only at location ``AT_HOME`` or none, and never at the low rate
when its source is ``bump-charge``.

How ev.energy maps onto it:
- planned: the open sub-session's schedule slots not yet over. ev.energy plans a current per slot, not an energy,
  and does not say on how many phases the charger runs (threefold the energy on three), so ``charge_in_kwh`` is
  left out, as Octopus leaves out an unknown one: Predbat then takes the user's charging rate.
- completed: when energy flowed (the ``energy_usage`` intervals, consecutive ones joined) in the current plug-in's
  sub-sessions, over the last day, with the energy delivered. Only sub-sessions ev.energy dispatched count:
  unmanaged charging (smart charging off) is no dispatch, as Octopus lists none for it.
- source: a BOOST sub-session (*Charge now*) is ``bump-charge``; every other one ``smart-charge``.
- location: ``AT_HOME`` for the home modes; ``NOT_AT_HOME`` on the go, which Predbat leaves out of the home's plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .api import ChargingSubSession, EnergyUsage, SubSessionMode

PLANNED_DISPATCHES: Final = "planned_dispatches"
COMPLETED_DISPATCHES: Final = "completed_dispatches"
SMART_CHARGE: Final = "smart-charge"
BUMP_CHARGE: Final = "bump-charge"
AT_HOME: Final = "AT_HOME"
NOT_AT_HOME: Final = "NOT_AT_HOME"
# How far back completed dispatches go: a day covers the plug-in a plan is made for (Octopus keeps up to three).
COMPLETED_WINDOW: Final = timedelta(days=1)
# Sub-sessions whose charging ev.energy dispatched (a plan, or a boost asked through it).
DISPATCHED_MODES: Final = frozenset(
    {SubSessionMode.SMART, SubSessionMode.BOOST, SubSessionMode.MANAGED_OTG}
)
ON_THE_GO_MODES: Final = frozenset({SubSessionMode.MANAGED_OTG, SubSessionMode.UNMANAGED_OTG})


@dataclass(frozen=True)
class Delivery:
    """A period energy flowed into the car: consecutive energy usage intervals with energy, joined."""

    start: datetime
    end: datetime
    energy_wh: int


def deliveries(usage: EnergyUsage) -> list[Delivery]:
    """Return the periods of a sub-session's energy usage that delivered energy, oldest first."""
    found: list[Delivery] = []
    intervals = [
        item
        for item in usage.intervals or []
        if item.started_at is not None
        and item.interval_seconds
        and (item.total_energy_delivered_watt_hours or 0) > 0
    ]
    for item in sorted(intervals, key=lambda item: item.started_at):  # type: ignore[arg-type, return-value]
        start: datetime = item.started_at  # type: ignore[assignment]
        end = start + timedelta(seconds=item.interval_seconds)  # type: ignore[arg-type]
        energy: int = item.total_energy_delivered_watt_hours  # type: ignore[assignment]
        if found and found[-1].end == start:
            found[-1] = Delivery(found[-1].start, end, found[-1].energy_wh + energy)
        else:
            found.append(Delivery(start, end, energy))
    return found


def recent_deliveries(
    held: Mapping[str, list[Delivery]], subs: Iterable[ChargingSubSession], now: datetime
) -> dict[str, list[Delivery]]:
    """Return the deliveries per sub-session, those just read replacing the held ones, over the last day only.

    A finished sub-session is read once, so what it delivered is held from that read on; an open one is read
    again each cycle, its last period growing.
    """
    found = dict(held)
    for sub in subs:
        if isinstance(sub.energy_usage, EnergyUsage):
            found[sub.id] = deliveries(sub.energy_usage)
    oldest = now - COMPLETED_WINDOW
    return {
        sub_id: [period for period in periods if period.end > oldest]
        for sub_id, periods in found.items()
        if any(period.end > oldest for period in periods)
    }


def _time(value: datetime) -> datetime:
    """Return a time as Octopus's integration shows it: local, and in whole seconds, which Predbat parses."""
    return dt_util.as_local(value).replace(microsecond=0)


def _origin(mode: SubSessionMode | None) -> dict[str, str]:
    return {
        "source": BUMP_CHARGE if mode is SubSessionMode.BOOST else SMART_CHARGE,
        "location": NOT_AT_HOME if mode in ON_THE_GO_MODES else AT_HOME,
    }


def planned_dispatch(start: datetime, end: datetime, mode: SubSessionMode | None) -> dict[str, Any]:
    """Return a planned slot as a planned dispatch (no ``charge_in_kwh``: ev.energy plans no energy)."""
    return {"start": _time(start), "end": _time(end), **_origin(mode)}


def completed_dispatch(delivery: Delivery, mode: SubSessionMode | None) -> dict[str, Any]:
    """Return a delivery as a completed dispatch, with the energy delivered in kWh."""
    return {
        "start": _time(delivery.start),
        "end": _time(delivery.end),
        "charge_in_kwh": round(delivery.energy_wh / 1000, 3),
        **_origin(mode),
    }
