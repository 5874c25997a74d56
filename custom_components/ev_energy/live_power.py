"""Live power: the home's power flows now (W), from each HEM system's ``live_power``, on a cadence of its own.

One request per HEM system per cycle: every minute at home scale (one system, 60 requests an hour). A fleet of
systems stretches the cycle so the reader never spends more than ``MAX_PER_HOUR`` (20 systems: every 12 minutes),
nor more than ``BUDGET_SHARE`` of the budget's share (a small hourly limit reads less often, polling first).
An account without a HEM system sends no live-power request at all; the list of systems (rarely more than one, and
it rarely changes) is read daily, and again when a system answers 404.

A reading is shown while it is fresh: after failed reads the last one shows for ``STALE_CYCLES`` cycles, then the
sensors go unavailable, so an old value is never shown as the home's power now. A failed read is logged at debug
level only: the polling coordinator already reports an outage of ev.energy, once. A sign-in without
``home_energy:read`` raises the missing permission repair and is asked again daily (`ScopedReader`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import EvEnergyError, EvEnergyNotFoundError, HemLivePower
from .budget import RequestBudget
from .const import LOGGER
from .gateway import RequestGateway
from .runtime import EvEnergyConfigEntry
from .scoped_reader import ScopedReader, read_failed

# The reader's name in the budget (requests and reservations).
CALLER: Final = "live_power"
SCOPE: Final = "home_energy:read"
# One read of each system a minute, at home scale ...
CADENCE: Final = timedelta(seconds=60)
# ... and never more than this many requests an hour, however many systems (a fleet reads each less often).
MAX_PER_HOUR: Final = 100
# ... and at most this part of the requests the integration may use in an hour (half of 1000: 100).
BUDGET_SHARE: Final = 0.2
# The systems are listed this often (as the home energy reader does); also the cadence without any.
SYSTEMS_INTERVAL: Final = timedelta(days=1)
# Without home_energy:read the reader asks again this rarely, as the home energy reader does for the same scope.
REFUSED_RETRY: Final = timedelta(days=1)
# A reading survives this many failed cycles; after that its sensors are unavailable.
STALE_CYCLES: Final = 3
# A reading whose sample is older than this is a frozen feed, not the power now. Wide on purpose: the spec calls
# sampled_at "the timestamp of the energy statistics period" without saying how long a period is.
SAMPLE_MAX_AGE: Final = timedelta(hours=1)
HOUR: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LiveReading:
    """One system's power flows and when the reader received them."""

    power: HemLivePower
    read_at: datetime

    def is_current(self, now: datetime, stale_after: timedelta) -> bool:
        """Return whether the reading still tells the power now (received lately, sampled lately)."""
        sampled = self.power.sampled_at
        if sampled is None or now - sampled > SAMPLE_MAX_AGE:
            return False
        return now - self.read_at <= stale_after


def allowance(budget: RequestBudget) -> float:
    """Return the reads an hour the reader may spend: the cap, or less of a small budget."""
    return min(MAX_PER_HOUR, budget.limit * budget.share * BUDGET_SHARE)


def cycle_for(systems: int, per_hour: float = MAX_PER_HOUR) -> timedelta:
    """Return the time between two reads of every system: a minute, or longer to stay inside ``per_hour``."""
    if systems <= 0:
        return SYSTEMS_INTERVAL
    return max(CADENCE, timedelta(seconds=3600 * systems / max(per_hour, 1)))


def requests_per_hour(systems: int, per_hour: float = MAX_PER_HOUR) -> float:
    """Return what the reader spends in an hour: one read per system per cycle, and the daily list."""
    reads = 0.0 if systems <= 0 else systems * HOUR / cycle_for(systems, per_hour)
    return reads + HOUR / SYSTEMS_INTERVAL


class LivePowerCoordinator(ScopedReader[dict[str, LiveReading]]):
    """Reads the power flows of every HEM system of the account, by system id."""

    refused_retry = REFUSED_RETRY

    def __init__(
        self, hass: HomeAssistant, entry: EvEnergyConfigEntry, gateway: RequestGateway
    ) -> None:
        """Set up the reader of one entry (it finds the systems at its first read)."""
        super().__init__(hass, entry, gateway, name=CALLER, interval=CADENCE)
        self.systems: list[str] | None = None
        self._systems_read_at: datetime | None = None

    @property
    def stale_after(self) -> timedelta:
        """Return how long a reading is shown without a newer one."""
        return STALE_CYCLES * self._cycle()

    def _cycle(self) -> timedelta:
        return cycle_for(len(self.systems or ()), allowance(self.gateway.budget))

    def reading(self, hem_id: str, now: datetime) -> HemLivePower | None:
        """Return a system's flows if they are current, else None."""
        reading = (self.data or {}).get(hem_id)
        if reading is None or not reading.is_current(now, self.stale_after):
            return None
        return reading.power

    def _read_cost(self) -> int:
        # Polling the devices comes first: without room for every system the last readings stand while fresh.
        return len(self.systems or ())

    async def _read(self, now: datetime) -> dict[str, LiveReading]:
        systems = await self._systems(now)
        per_hour = allowance(self.gateway.budget)
        self._set_pace(self._cycle(), requests_per_hour(len(systems), per_hour))
        return {hem_id: LiveReading(await self._read_one(hem_id), now) for hem_id in systems}

    async def _read_one(self, hem_id: str) -> HemLivePower:
        client = self.client
        return await self._request(SCOPE, lambda: client.get_hem_live_power(hem_id))

    async def _systems(self, now: datetime) -> list[str]:
        """Return the HEM systems' ids, listed again when the list is a day old."""
        listed_at = self._systems_read_at
        if (
            self.systems is not None
            and listed_at is not None
            and now - listed_at < SYSTEMS_INTERVAL
        ):
            return self.systems
        systems = await self._request(SCOPE, self.client.list_hem_systems)
        self.systems = [system.id for system in systems]
        self._systems_read_at = now
        return self.systems

    def _failed(self, err: EvEnergyError, now: datetime) -> dict[str, LiveReading]:
        """Keep the last readings: each sensor shows its reading only while it is fresh (``reading``).

        Not an update failure, so an outage the polling already reports is not logged again every few minutes;
        only a reader that never read anything fails (the sensors are unavailable either way).
        """
        if isinstance(err, EvEnergyNotFoundError):
            self._systems_read_at = None  # a system removed: list them again at the next read
        # A 429 blocked every caller at the gateway; a refused sign-in started re-authentication there.
        LOGGER.debug("Reading the home's live power failed: %s", err)
        if self.data is None:
            raise read_failed(err)
        return self.data

    def diagnostics(self) -> dict[str, object]:
        """Return counts and times for diagnostics (no system ids)."""
        now = dt_util.utcnow()
        return {
            "systems": None if self.systems is None else len(self.systems),
            "refused_scope": self.refused_scope,
            "cycle_seconds": self._cycle().total_seconds(),
            "current_readings": sum(1 for hem_id in self.data or {} if self.reading(hem_id, now)),
            "sent_last_hour": self.gateway.budget.sent_last_hour(now, CALLER),
        }
