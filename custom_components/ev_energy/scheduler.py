"""When the next poll runs: the request budget, a 429's wait kept across restarts, and quick polls after commands.

Idle polls follow the devices' reports (a plug-in shows in the next report), inside a part of the budget.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import RateLimitState
from .budget import SLOWEST_INTERVAL, RequestBudget
from .storage import entry_stores

CHARGING_INTERVAL = timedelta(seconds=60)
IDLE_INTERVAL = timedelta(minutes=5)
# Right after a command the user wants to see its effect, so poll a few times soon.
COMMAND_BURST = (timedelta(seconds=10), timedelta(seconds=30))
# Polls timed to the reports may come this much earlier than fixed intervals, in total (the time it takes to move
# onto the reports): however long they run, they send at most one poll more than fixed intervals would.
EARLY_ALLOWANCE = IDLE_INTERVAL
# A poll this much before its planned time was not planned by the timing (a webhook's, a manual refresh).
UNPLANNED_TOLERANCE = timedelta(seconds=1)
# Idle polls spend at most this part of what the budget lets polling spend (the share less the readers'
# reservations): the rest stays for charging, quick polls after commands or push messages, and history reads. At
# ev.energy's 1000 an hour, beside the readers' 130 or so (live power alone reserves 60), it lets idle polls follow
# reports every minute; below that part, a missed report costs a history read per device, which slows polls further.
IDLE_BUDGET_PART = 0.7

# From the earliest moment the next poll may go: when the first report that matters becomes readable (None: unknown).
type ReportClock = Callable[[datetime], datetime | None]


class _StoredBlock(TypedDict):
    blocked_until: str | None


def block_store(hass: HomeAssistant, entry_id: str) -> Store[_StoredBlock]:
    """Return the store of an entry's rate-limit block (also used to remove it with the entry)."""
    return entry_stores(hass, entry_id).store("rate_limit")


class PollScheduler:
    """Chooses the polling interval inside the request budget, and remembers a 429 across reloads."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        budget: RequestBudget,
        *,
        report_timed: bool = True,
    ) -> None:
        """Schedule the polls of one entry (with ``report_timed`` off, on fixed intervals only)."""
        self.hass = hass
        self.budget = budget
        self.report_timed = report_timed
        # How much earlier than fixed intervals the timed polls came so far (never more than EARLY_ALLOWANCE),
        # and the latest timed poll's plan: when it was made, the fixed interval of then, and the wait chosen.
        self._lead = timedelta(0)
        self._planned: tuple[datetime, timedelta, timedelta] | None = None
        self.requests_per_cycle = 3.0
        self._burst: deque[timedelta] = deque()
        # A push message asked for one poll just after the next report.
        self._follow_report = False
        self._store = block_store(hass, entry_id)
        self._saving: asyncio.Task[None] | None = None
        budget.on_block = self._store_block

    async def async_load(self) -> None:
        """Take over a 429's wait from before a reload or restart."""
        stored = await self._store.async_load()
        until = dt_util.parse_datetime(stored["blocked_until"] or "") if stored else None
        if until is not None:
            self.budget.block_until(until, dt_util.utcnow())

    async def async_flush(self) -> None:
        """Wait until the latest block is stored (before an unload, so a reload sees it)."""
        if self._saving is not None:
            await self._saving

    def seconds_blocked(self, now: datetime) -> float:
        """Return how long no request may be sent."""
        return self.budget.seconds_blocked(now)

    def _store_block(self, until: datetime) -> None:
        """Keep a 429's wait for after a reload or restart (whoever met the 429: a poll or a command)."""
        data: _StoredBlock = {"blocked_until": until.isoformat()}
        self._saving = self.hass.async_create_task(self._store.async_save(data))

    def account(self, sent: int, rate_limit: RateLimitState | None, now: datetime) -> None:
        """Take in a cycle's size (the gateway counted each request in the budget) and the latest rate-limit headers."""
        if sent:
            # A running average: history reads make some cycles larger than others.
            self.requests_per_cycle = 0.8 * self.requests_per_cycle + 0.2 * sent
        if rate_limit is not None:
            self.budget.observe(rate_limit.limit, rate_limit.remaining, rate_limit.observed_at)

    def start_burst(self) -> timedelta:
        """Plan the quick polls after a command; return the first one's delay."""
        self._burst = deque(COMMAND_BURST)
        return self._burst.popleft()

    def follow_next_report(self) -> None:
        """Have one poll land just after the next report (a push message comes before the report showing it)."""
        self._follow_report = True

    def next_interval(
        self,
        charging: bool,
        fastest_cadence: timedelta,
        now: datetime,
        next_report: ReportClock | None = None,
    ) -> timedelta:
        """Return the wait until the next poll after a successful one."""
        if self._burst and self.budget.can_spend(round(self.requests_per_cycle), now):
            return max(self._burst.popleft(), timedelta(seconds=self.seconds_blocked(now)))
        self._burst.clear()
        shortest = self.budget.min_interval(self.requests_per_cycle, now)
        fixed = max(self._wanted(charging, fastest_cadence, shortest), shortest, fastest_cadence)
        follow, self._follow_report = self._follow_report, False
        if follow and (wait := self._follow_up(fixed, now, next_report)) is not None:
            return wait
        if not self.report_timed or next_report is None or shortest >= fixed:
            # With the budget setting the pace, polls cannot follow every report: timing them would skip some.
            return fixed
        return self._timed_interval(fixed, shortest, now, next_report)

    @staticmethod
    def _wanted(charging: bool, fastest_cadence: timedelta, shortest: timedelta) -> timedelta:
        """Return the interval wanted: every minute while charging; while idle, the devices' report cadence.

        Idle, what matters is a plug-in, and it shows in the next report: polling slower than the reports delays
        it, faster brings nothing. Idle polls never come faster than charging ones, spend at most
        IDLE_BUDGET_PART of the budget, and with no cadence known yet keep IDLE_INTERVAL.
        """
        if charging:
            return CHARGING_INTERVAL
        if fastest_cadence <= timedelta(0):
            return IDLE_INTERVAL
        affordable = shortest / IDLE_BUDGET_PART
        return min(IDLE_INTERVAL, max(fastest_cadence, CHARGING_INTERVAL, affordable))

    def _follow_up(
        self, fixed: timedelta, now: datetime, next_report: ReportClock | None
    ) -> timedelta | None:
        """Return the wait until just after the next report, for the poll a push message asked for.

        None (the usual schedule) when no report is expected within a fixed interval or the budget has no room.
        Like a command's quick polls, it is an extra poll: it does not count against the timing's early allowance.
        """
        readable = None if next_report is None else next_report(now)
        if readable is None or readable - now > fixed:
            return None
        if not self.budget.can_spend(round(self.requests_per_cycle), now):
            return None
        self._planned = None
        return max(readable - now, timedelta(seconds=self.seconds_blocked(now)))

    def _timed_interval(
        self, fixed: timedelta, shortest: timedelta, now: datetime, next_report: ReportClock
    ) -> timedelta:
        """Move the poll to just after the next report, never sooner than the budget allows.

        The report is the next one after the newest seen (skipping one would make the next poll read the
        history), at least half a fixed interval away; a poll comes sooner than a fixed interval only by what is
        left of EARLY_ALLOWANCE.
        """
        self._settle_lead(now)
        readable = next_report(now + max(shortest, fixed / 2))
        wait = fixed
        if readable is not None and readable - now <= max(fixed, SLOWEST_INTERVAL):
            wait = max(readable - now, fixed - (EARLY_ALLOWANCE - self._lead))
        self._planned = (now, fixed, wait)
        return wait

    def _settle_lead(self, now: datetime) -> None:
        """Count how much earlier than fixed intervals the previous poll came, when it really came.

        A poll before its planned time was not a timed one (a webhook's, a manual refresh): polls of that kind
        came with fixed intervals too, so it is not counted.
        """
        if self._planned is None:
            return
        since, fixed, wait = self._planned
        self._planned = None
        if now - since >= wait - UNPLANNED_TOLERANCE:
            self._lead = max(timedelta(0), self._lead + fixed - (now - since))

    def diagnostics(self, now: datetime) -> dict[str, object]:
        """Return the budget's state (no secrets)."""
        return {
            "requests_per_cycle": round(self.requests_per_cycle, 2),
            "sent_last_hour": self.budget.sent_last_hour(now),
            "rate_limit": {"limit": self.budget.limit, "remaining": self.budget.remaining},
            "blocked_seconds": self.seconds_blocked(now),
            "report_timed": self.report_timed,
        }
