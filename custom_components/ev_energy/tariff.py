"""The tariff reader: the account's electricity prices ahead, read hourly on a cadence of its own.

ev.energy publishes prices day-ahead, in intervals (a start, a length, a price in minor units per kWh), so one read
an hour sees every published change in time. The entities work out the price now, the next change and the cheapest
window from the intervals held, at the moment they are asked; the reader only wakes them at each interval boundary,
without a request. A price whose interval has passed is never current: when the held intervals run out (ev.energy
could not be read for that long) the price entities go unavailable.

Which tariff: the user's ``default_location.tariff``, read (with the tariff expanded, for its currency) every few
hours. A sign-in from before the tariff scopes existed gets a 403: the reader says so once, raises the missing
permission repair (through the entry's set-up, which listens) and asks again hourly (`ScopedReader`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api import EvEnergyIncompleteListError, ItemList, Tariff, TariffPrice
from .const import LOGGER
from .gateway import RequestGateway
from .money import minor_unit_decimals
from .runtime import EvEnergyConfigEntry
from .scoped_reader import ScopedReader
from .windows import Interval, Window, ahead, best_window, intervals_from, next_change, value_at

# The reader's name in the budget (its requests and its reservation).
BUDGET_READER: Final = "tariff"
# Every tariff read needs both (which tariff, its prices): the repair asks for both at once.
SCOPE: Final = "tariff:read tariff:prices:read"
# Day-ahead prices change at most once a day: an hourly read sees them within the hour they are published.
READ_INTERVAL: Final = timedelta(hours=1)
# Which tariff the account has changes rarely (the user picks another in the ev.energy app).
TARIFF_INTERVAL: Final = timedelta(hours=6)
# After a failed read: sooner than hourly, so a short outage costs no prices (after a 403: hourly, as other readers).
RETRY_INTERVAL: Final = timedelta(minutes=15)
# One read covers the interval holding now (hourly prices started at most an hour ago) and the day ahead: at
# 15-minute prices that is 96 rows, one page.
LOOK_BACK: Final = timedelta(hours=1)
LOOK_AHEAD: Final = timedelta(hours=23)
MAX_PAGES: Final = 2
# What the sensors look at: the cheapest window and the list of prices ahead cover this much.
HORIZON: Final = timedelta(hours=12)
# The attribute list stays bounded (and is not recorded), whatever the interval length.
MAX_PRICES_AHEAD: Final = 48
# Requests per hour when all is well: the prices hourly, the tariff every six hours.
REQUESTS_PER_HOUR: Final = READ_INTERVAL / READ_INTERVAL + READ_INTERVAL / TARIFF_INTERVAL
# The cheapest window's length (an option) and its bounds, in minutes.
CONF_CHEAPEST_WINDOW: Final = "cheapest_window_minutes"
DEFAULT_WINDOW_MINUTES: Final = 120
MIN_WINDOW_MINUTES: Final = 30
MAX_WINDOW_MINUTES: Final = 360


def window_length(entry: EvEnergyConfigEntry) -> timedelta:
    """Return the cheapest window's length from the entry's options (the default when unset or unreadable)."""
    minutes = entry.options.get(CONF_CHEAPEST_WINDOW, DEFAULT_WINDOW_MINUTES)
    if not isinstance(minutes, int | float) or isinstance(minutes, bool):
        minutes = DEFAULT_WINDOW_MINUTES
    return timedelta(minutes=min(max(minutes, MIN_WINDOW_MINUTES), MAX_WINDOW_MINUTES))


@dataclass(frozen=True)
class TariffPrices:
    """The account's tariff and the price intervals known for it (price in minor units per kWh)."""

    tariff_id: str | None = None
    name: str | None = None
    currency: str | None = None
    intervals: tuple[Interval, ...] = ()
    read_at: datetime | None = None

    def current(self, now: datetime) -> Interval | None:
        """Return the interval holding now (None when no published price covers now)."""
        return value_at(self.intervals, now) if self.currency else None

    def next_change(self, now: datetime) -> Interval | None:
        """Return the first interval ahead whose price differs from now's."""
        return next_change(self.intervals, now) if self.currency else None

    def ahead(self, now: datetime) -> list[Interval]:
        """Return the intervals of the next hours, from the one holding now (bounded)."""
        return ahead(self.intervals, now, HORIZON)[:MAX_PRICES_AHEAD]

    def cheapest(self, now: datetime, length: timedelta) -> Window | None:
        """Return the cheapest window of ``length`` in the next hours (only where every minute has a price)."""
        return best_window(self.intervals, now=now, length=length, horizon=HORIZON)

    def to_major(self, minor: float) -> float:
        """Return a price in minor units in the currency's major unit (pence -> pounds)."""
        decimals = minor_unit_decimals(self.currency or "")
        # Two more decimals than the currency's: prices per kWh have fractions of a penny (averages do).
        return round(minor / 10.0**decimals, decimals + 2)


class TariffCoordinator(ScopedReader[TariffPrices]):
    """Reads the account's tariff and its prices; wakes its entities at each interval boundary."""

    # Held prices stay shown until their intervals pass (the entities check): a failed read is retried soon.
    failed_retry = RETRY_INTERVAL

    def __init__(
        self, hass: HomeAssistant, entry: EvEnergyConfigEntry, gateway: RequestGateway
    ) -> None:
        """Set up the reader of one entry (its user is the entry's unique id)."""
        super().__init__(
            hass,
            entry,
            gateway,
            name=BUDGET_READER,
            interval=READ_INTERVAL,
            per_hour=REQUESTS_PER_HOUR,
        )
        self.user_id = str(entry.unique_id)
        self.data = TariffPrices()
        # Which tariff the account has, as last read (its prices are in `data`), and when to read it again.
        self._tariff = TariffPrices()
        self._tariff_due: datetime | None = None
        self._unsub_boundary: CALLBACK_TYPE | None = None
        entry.async_on_unload(self._cancel_boundary)
        entry.async_on_unload(entry.add_update_listener(self._async_options_changed))

    def _read_cost(self) -> int:
        # Which tariff (every few hours) and its prices: polling the devices comes first.
        return 2

    async def _read(self, now: datetime) -> TariffPrices:
        if self._tariff_due is None or now >= self._tariff_due:
            self._tariff = await self._read_tariff()
            self._tariff_due = now + TARIFF_INTERVAL
        tariff = self._tariff
        # Another tariff's prices say nothing about this one's.
        held = self.data.intervals if self.data.tariff_id == tariff.tariff_id else ()
        if tariff.tariff_id is None:
            return replace(tariff, read_at=now)
        tariff_id = tariff.tariff_id
        rows = await _partially(
            self._request(
                SCOPE,
                lambda: self.client.list_tariff_prices(
                    tariff_id,
                    started_at_gte=now - LOOK_BACK,
                    started_at_lte=now + LOOK_AHEAD,
                    max_pages=MAX_PAGES,
                ),
            )
        )
        return replace(tariff, intervals=_merged(held, rows, now), read_at=now)

    async def _read_tariff(self) -> TariffPrices:
        """Return which tariff the account has now (no prices yet)."""
        user = await self._request(
            SCOPE, lambda: self.client.get_user(self.user_id, expand=("default_location.tariff",))
        )
        location = user.default_location
        tariff: str | Tariff | None = None if location is None else location.tariff
        if isinstance(tariff, str):
            # Not expanded: only the tariff itself says which currency its prices are in.
            tariff_id = _last_segment(tariff)
            tariff = await self._request(SCOPE, lambda: self.client.get_tariff(tariff_id))
        if tariff is None:
            return TariffPrices()
        return TariffPrices(tariff_id=tariff.id, name=tariff.name, currency=tariff.currency)

    async def _async_options_changed(
        self, _hass: HomeAssistant, _entry: EvEnergyConfigEntry
    ) -> None:
        """Show a new cheapest window length at once: the sensors work it out from the prices held."""
        self.async_update_listeners()

    @callback
    def async_update_listeners(self) -> None:
        """Tell the entities, and wake them again at the next interval boundary."""
        super().async_update_listeners()
        self._schedule_boundary()

    @callback
    def _schedule_boundary(self) -> None:
        self._cancel_boundary()
        now = dt_util.utcnow()
        edges = (edge for i in self.data.intervals for edge in (i.start, i.end) if edge > now)
        if (boundary := min(edges, default=None)) is not None:
            self._unsub_boundary = async_track_point_in_utc_time(
                self.hass, self._at_boundary, boundary
            )

    @callback
    def _at_boundary(self, _now: datetime) -> None:
        self._unsub_boundary = None
        # No request: the intervals held already say what holds from now on.
        self.async_update_listeners()

    @callback
    def _cancel_boundary(self) -> None:
        if self._unsub_boundary is not None:
            self._unsub_boundary()
            self._unsub_boundary = None

    def diagnostics(self) -> dict[str, Any]:
        """Return what the reader holds, for the entry's diagnostics (no secrets, no personal data)."""
        data = self.data
        return {
            "has_tariff": data.tariff_id is not None,
            "tariff": data.name,
            "currency": data.currency,
            "intervals": len(data.intervals),
            "first_start": None if not data.intervals else data.intervals[0].start.isoformat(),
            "last_end": None if not data.intervals else data.intervals[-1].end.isoformat(),
            "read_at": None if data.read_at is None else data.read_at.isoformat(),
            "refused_scope": self.refused_scope,
            "last_update_success": self.last_update_success,
            "requests_per_hour": REQUESTS_PER_HOUR,
        }


def _merged(
    held: tuple[Interval, ...], rows: ItemList[TariffPrice], now: datetime
) -> tuple[Interval, ...]:
    """Return the held intervals with the new ones over them (a revised price wins), the passed ones left out."""
    old = ((i.start, (i.end - i.start).total_seconds(), i.value) for i in held)
    new = ((p.started_at, p.interval_seconds, p.price_minor_units) for p in rows)
    return tuple(i for i in intervals_from([*old, *new]) if i.end > now - LOOK_BACK)


def _last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


async def _partially(read: Awaitable[ItemList[TariffPrice]]) -> ItemList[TariffPrice]:
    """Return a price list, also when it was cut short: the rows read are prices all the same."""
    try:
        return await read
    except EvEnergyIncompleteListError as err:
        LOGGER.debug("ev.energy's price list was cut short: %s", err)
        items: ItemList[TariffPrice] = err.items
        return items
