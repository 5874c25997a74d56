"""Carbon intensity forecast: the grid's gCO2/kWh ahead, from the account's carbon feed, and the greenest window.

ev.energy gives intensities in half-hour intervals (newest first, revised as the forecast is). The reader asks for
the current interval and the next ``HORIZON`` every half hour: two requests an hour, whatever the fleet, since a feed
belongs to a region, not a device.

Which feed is the account's: ev.energy names no feed on the user. The documentation infers it from a charging
sub-session's ``carbon_feed``. So: when the client sees a single feed (the usual case) that is the one; otherwise
the newest sub-session that names a feed decides. Both are read daily (one request, two with several feeds).
Without a feed the forecast is simply not shown.

A forecast read more than ``FORECAST_MAX_AGE`` ago is not shown: it was revised since, and nothing newer came; until
then a failed read keeps it. A sign-in without ``carbon:read`` raises the missing permission repair and is asked
again hourly (`ScopedReader`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import (
    CarbonFeed,
    CarbonIntensity,
    ChargingSubSession,
    EvEnergyError,
    EvEnergyIncompleteListError,
    ItemList,
)
from .const import LOGGER
from .gateway import RequestGateway
from .runtime import EvEnergyConfigEntry
from .scoped_reader import ScopedReader, read_failed
from .windows import Interval, Window, ahead, best_window, intervals_from

CALLER: Final = "carbon"
SCOPE: Final = "carbon:read"
# With several feeds, the newest sub-session names the account's.
SUB_SESSIONS_SCOPE: Final = "charging_session:read"
# ev.energy's intervals are half hours: a read each half hour sees every new one.
READ_INTERVAL: Final = timedelta(minutes=30)
FEED_INTERVAL: Final = timedelta(days=1)
# How far ahead the forecast attribute and the greenest window look.
HORIZON: Final = timedelta(hours=12)
# The greenest window's length: a typical overnight top-up. A constant for now; the tariff's cheapest window
# length (an option) may later set both.
GREENEST_WINDOW: Final = timedelta(hours=2)
FORECAST_MAX_AGE: Final = timedelta(hours=3)
# Reads of the forecast and, daily, the feed list and one page of sub-sessions.
REQUESTS_PER_HOUR: Final = 2 + 2 / 24
# Pages of intensities per read: 25 half hours fit on one page; a loop or an endless next link stops early.
MAX_PAGES: Final = 3


@dataclass(frozen=True, slots=True)
class CarbonForecast:
    """The feed's intervals as read, oldest first, and when they were read."""

    intervals: list[Interval]
    read_at: datetime

    def ahead(self, now: datetime) -> list[Interval]:
        """Return the intervals that have not ended, up to the horizon (none when the read is too old)."""
        if now - self.read_at > FORECAST_MAX_AGE:
            return []
        return ahead(self.intervals, now, HORIZON)

    def greenest(self, now: datetime) -> Window | None:
        """Return the window of ``GREENEST_WINDOW`` with the lowest average intensity in the horizon."""
        if now - self.read_at > FORECAST_MAX_AGE:
            return None
        return best_window(self.intervals, now=now, length=GREENEST_WINDOW, horizon=HORIZON)


def forecast_attribute(forecast: CarbonForecast | None, now: datetime) -> list[dict[str, object]]:
    """Return the forecast ahead as the attribute lists it: start, end and intensity (gCO2/kWh)."""
    if forecast is None:
        return []
    return [
        {"start": i.start, "end": i.end, "intensity": round(i.value)} for i in forecast.ahead(now)
    ]


def _id_of(reference: str | CarbonFeed | None) -> str | None:
    """Return the id of a feed given as an object or as its URL (``.../carbon_feeds/{id}``)."""
    if isinstance(reference, CarbonFeed):
        return reference.id
    if isinstance(reference, str):
        return reference.rstrip("/").rsplit("/", 1)[-1] or None
    return None


class CarbonCoordinator(ScopedReader[CarbonForecast | None]):
    """Reads the account's carbon intensity forecast."""

    def __init__(
        self, hass: HomeAssistant, entry: EvEnergyConfigEntry, gateway: RequestGateway
    ) -> None:
        """Set up the reader of one entry; it finds the feed at its first read."""
        super().__init__(
            hass,
            entry,
            gateway,
            name=CALLER,
            interval=READ_INTERVAL,
            per_hour=REQUESTS_PER_HOUR,
        )
        self.feed_id: str | None = None
        self._feed_read_at: datetime | None = None

    def forecast_ahead(self, now: datetime) -> list[dict[str, object]]:
        """Return the forecast attribute's list for now."""
        return forecast_attribute(self.data, now)

    async def _read(self, now: datetime) -> CarbonForecast | None:
        feed_id = await self._feed(now)
        if feed_id is None:
            return None
        client = self.client
        rows = await self._partial(
            SCOPE,
            lambda: client.list_carbon_intensities(
                feed_id,
                # The interval holding now started up to half an hour ago.
                started_at_gte=now - READ_INTERVAL,
                started_at_lte=now + HORIZON,
                max_pages=MAX_PAGES,
            ),
        )
        return CarbonForecast(intervals_from(_rows(rows)), now)

    async def _feed(self, now: datetime) -> str | None:
        """Return the account's feed id, found again daily."""
        read_at = self._feed_read_at
        if read_at is not None and now - read_at < FEED_INTERVAL:
            return self.feed_id
        client = self.client
        feeds = [feed.id for feed in await self._partial(SCOPE, client.list_carbon_feeds)]
        if len(feeds) > 1:
            subs = await self._partial(
                SUB_SESSIONS_SCOPE, lambda: client.list_charging_sub_sessions(max_pages=1)
            )
            named = (_id_of(sub.carbon_feed) for sub in subs)
            self.feed_id = next((feed for feed in named if feed in feeds), None)
        else:
            self.feed_id = next(iter(feeds), None)
        if self.feed_id is None:
            LOGGER.debug("No carbon feed found for this account (%s feeds listed)", len(feeds))
        self._feed_read_at = now
        return self.feed_id

    async def _partial[M: (CarbonFeed, CarbonIntensity, ChargingSubSession)](
        self, scope: str, send: Callable[[], Awaitable[ItemList[M]]]
    ) -> ItemList[M]:
        """Send a list read; a list cut short is still data (what was read)."""
        try:
            return await self._request(scope, send)
        except EvEnergyIncompleteListError as err:
            LOGGER.debug("A carbon list was cut short: %s", err)
            items: ItemList[M] = err.items
            return items

    def _failed(self, err: EvEnergyError, now: datetime) -> CarbonForecast | None:
        """Keep a forecast that is still recent enough to show; fail once it is not."""
        LOGGER.debug("Reading the carbon intensity forecast failed: %s", err)
        if self.data is not None and now - self.data.read_at <= FORECAST_MAX_AGE:
            return self.data
        raise read_failed(err)

    def diagnostics(self) -> dict[str, object]:
        """Return what the reader knows (no feed id)."""
        now = dt_util.utcnow()
        return {
            "feed_found": self.feed_id is not None,
            "refused_scope": self.refused_scope,
            "intervals_ahead": len(self.data.ahead(now)) if self.data else 0,
            "sent_last_hour": self.gateway.budget.sent_last_hour(now, CALLER),
        }


def _rows(
    items: ItemList[CarbonIntensity],
) -> list[tuple[datetime | None, int | None, int | None]]:
    return [
        (row.started_at, row.interval_seconds, row.co2_intensity_grams_per_kilowatt_hour)
        for row in items
    ]
