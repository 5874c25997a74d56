"""The home's solar production forecast, for the Energy dashboard: ev.energy's forecast scaled to the panels.

ev.energy forecasts a place, not an array: each forecast log gives the output of one period in W per kW of
installed capacity, so the home's forecast is that times the arrays' capacity (``solar_arrays``, in W). Forecasts
change slowly (the simulator issues one every 6 hours), so the reader reads hourly: the forecasts (one request),
the arrays (one) and today's and tomorrow's periods (one page of half-hours): 3 requests an hour, whatever the
number of devices. An account with forecasts for several places takes the first one: the arrays do not say
which place they are at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import EvEnergyIncompleteListError, ItemList, SolarForecastLog
from .const import LOGGER
from .gateway import RequestGateway
from .runtime import EvEnergyConfigEntry
from .scoped_reader import ScopedReader

READER = "solar_forecast"
FORECAST_SCOPE = "solar_forecast:read"
ARRAYS_SCOPE = "solar:read"
INTERVAL = timedelta(hours=1)
REQUESTS_PER_CYCLE = 3
# At most this part of the budget's share (on a small limit the forecast is read less often than hourly).
BUDGET_SHARE = 0.03
# Today (from local midnight, so the dashboard shows the whole day) and tomorrow.
DAYS_AHEAD = 2
MAX_PAGES = 3
# Panels give at most about their rated power per kW: a forecast above this is not believed.
MAX_WATTS_PER_KILOWATT = 1500
# A forecast read longer ago than this is no longer shown, even though reads keep failing.
MAX_AGE = timedelta(hours=6)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SolarForecastData:
    """The home's forecast: Wh per hour (keyed by the hour's start, UTC), and when it was read."""

    wh_hours: dict[datetime, float]
    read_at: datetime

    def current(self, now: datetime) -> dict[datetime, float] | None:
        """Return the forecast while it is recent enough to show (None when old or empty)."""
        if not self.wh_hours or now - self.read_at > MAX_AGE:
            return None
        return self.wh_hours


def wh_per_hour(logs: Iterable[SolarForecastLog], capacity_watts: float) -> dict[datetime, float]:
    """Return the energy each hour is forecast to bring, from periods in W per kW of capacity.

    A period that crosses an hour boundary is split by its overlap with each hour; a period missing a field or
    with an impossible value is left out (its hours then show less, never a made-up value).
    """
    hours: dict[datetime, float] = {}
    skipped = 0
    for log in logs:
        if not _plausible(log):
            skipped += 1
            continue
        watts = log.forecast_watts_per_kilowatt * capacity_watts / 1000  # type: ignore[operator]
        start: datetime = dt_util.as_utc(log.started_at)  # type: ignore[arg-type]
        end = start + timedelta(seconds=log.interval_seconds)  # type: ignore[arg-type]
        for hour, seconds in _hour_overlaps(start, end):
            hours[hour] = hours.get(hour, 0.0) + watts * seconds / 3600
    if skipped:
        LOGGER.debug(
            "Left out %s solar forecast periods ev.energy sent incomplete or impossible", skipped
        )
    return {hour: round(wh, 1) for hour, wh in sorted(hours.items())}


def _plausible(log: SolarForecastLog) -> bool:
    value, seconds = log.forecast_watts_per_kilowatt, log.interval_seconds
    return (
        log.started_at is not None
        and value is not None
        and 0 <= value <= MAX_WATTS_PER_KILOWATT
        and seconds is not None
        and 0 < seconds <= 86400
    )


def _hour_overlaps(start: datetime, end: datetime) -> Iterable[tuple[datetime, float]]:
    """Yield each hour a period touches with the seconds it spends in it."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        overlap = min(end, hour + HOUR) - max(start, hour)
        yield hour, overlap.total_seconds()
        hour += HOUR


class SolarForecastCoordinator(ScopedReader[SolarForecastData]):
    """Reads the home's solar forecast hourly."""

    def __init__(
        self, hass: HomeAssistant, entry: EvEnergyConfigEntry, gateway: RequestGateway
    ) -> None:
        """Set up the reader of one entry."""
        super().__init__(hass, entry, gateway, name=READER, interval=INTERVAL)
        self._pace()

    async def _read(self, now: datetime) -> SolarForecastData:
        self._pace()
        forecasts = await self._list(FORECAST_SCOPE, self.client.list_solar_forecasts)
        if not forecasts:
            return SolarForecastData({}, now)
        arrays = await self._list(ARRAYS_SCOPE, self.client.list_solar_arrays)
        capacity = sum(max(array.capacity_watts or 0, 0) for array in arrays)
        if not capacity:
            return SolarForecastData({}, now)
        today = dt_util.start_of_local_day(dt_util.as_local(now))
        logs = await self._list(
            FORECAST_SCOPE,
            partial(
                self.client.list_solar_forecast_logs,
                forecasts[0].id,
                started_at_gte=today,
                # Inclusive: the period starting at midnight after tomorrow is not asked for.
                started_at_lte=today + timedelta(days=DAYS_AHEAD) - timedelta(seconds=1),
            ),
        )
        return SolarForecastData(wh_per_hour(logs, capacity), now)

    def _pace(self) -> None:
        """Read hourly, or less often on a small budget; reserve what that costs."""
        cap = self.cap_per_hour(REQUESTS_PER_CYCLE, BUDGET_SHARE)
        interval = max(INTERVAL, timedelta(hours=REQUESTS_PER_CYCLE / cap))
        self._set_pace(interval, REQUESTS_PER_CYCLE * HOUR / interval)

    async def _list[T](self, scope: str, walk: Callable[..., Awaitable[ItemList[T]]]) -> list[T]:
        """Read a list; one cut short (a loop, the page cap) still gives the items it held."""
        try:
            return list(await self._request(scope, partial(walk, max_pages=MAX_PAGES)))
        except EvEnergyIncompleteListError as err:
            LOGGER.debug("ev.energy's list for the solar forecast was cut short (%s)", err.reason)
            return list(err.items)
