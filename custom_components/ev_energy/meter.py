"""A charger's energy total from its meter readings: never backwards, never counted twice, never implausible.

A charger's ``meter_reading_watt_hours`` is a lifetime counter, but a cloud API can send a stray value, low or high,
and a meter can be reset or replaced. The total adds the difference between consecutive good readings. A reading
is good when the meter rose by no more than the charger could have delivered since the last good one; anything
else is held as a suspect. The next readings decide: one that fits the last good reading shows the suspects were
single outliers, and they are dropped; one that fits a suspect shows the meter really moved (reset or replaced),
and counting resumes from that suspect, adding for the jump only what the charger could have delivered meanwhile.
The two latest suspects are kept, so an outlier right after a reset does not hide the reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.util import dt as dt_util

from .api import EvseStatusLog

# Used when the charger does not report its ratings: above any home or workplace AC charger.
DEFAULT_MAX_POWER_W = 50_000.0
NOMINAL_VOLTAGE_V = 230.0
PHASES = 3
# Ratings outside these bounds are not believed (a stray value would make every real reading implausible).
PLAUSIBLE_POWER_RANGE_W = (1_000.0, 350_000.0)
PLAUSIBLE_VOLTAGE_RANGE_V = (100.0, 500.0)
# Sample times are the device's clock and readings are whole Wh: a little slack for both.
POWER_SLACK = 1.1
SLACK_WH = 20.0
# Readings that fit nothing, kept until a later reading confirms one of them.
MAX_SUSPECTS = 2


def charger_max_power_w(sample: EvseStatusLog | None) -> float:
    """Return the most a charger can deliver, from its current rating and voltage on three phases."""
    current_ma = None if sample is None else sample.max_current_rating_milliamps
    if not current_ma:
        return DEFAULT_MAX_POWER_W
    voltage_v = NOMINAL_VOLTAGE_V
    if sample is not None and sample.voltage_millivolts:
        measured = sample.voltage_millivolts / 1000
        low_v, high_v = PLAUSIBLE_VOLTAGE_RANGE_V
        if low_v <= measured <= high_v:
            voltage_v = measured
    power = current_ma / 1000 * voltage_v * PHASES
    low, high = PLAUSIBLE_POWER_RANGE_W
    return power if low <= power <= high else DEFAULT_MAX_POWER_W


def plausible_wh(max_power_w: float, since: datetime | None, until: datetime) -> float:
    """Return the most energy a charger of ``max_power_w`` can deliver between two sample times."""
    if since is None:
        return SLACK_WH
    hours = max((until - since) / timedelta(hours=1), 0.0)
    return max_power_w * hours * POWER_SLACK + SLACK_WH


@dataclass
class Meter:
    """Energy counted from one charger's meter readings, in Wh, and what the next reading is judged against."""

    total_wh: float | None = None
    last_wh: float | None = None
    last_at: datetime | None = None
    suspects: list[tuple[float, datetime]] = field(default_factory=list)

    def add_reading(self, reading_wh: float | None, at: datetime, max_power_w: float) -> None:
        """Take in the next reading (readings come in time order, each once)."""
        if reading_wh is None or reading_wh < 0:
            return
        if self.last_wh is None:
            # The first reading is the baseline: the total starts at the meter (or at a migrated total).
            self.total_wh = reading_wh if self.total_wh is None else self.total_wh
            self._accept(reading_wh, at)
            return
        if self._fits(self.last_wh, self.last_at, reading_wh, at, max_power_w):
            self._count(reading_wh - self.last_wh)
            self._accept(reading_wh, at)
            return
        for suspect_wh, suspect_at in reversed(self.suspects):
            if self._fits(suspect_wh, suspect_at, reading_wh, at, max_power_w):
                self._resume_from(suspect_wh, suspect_at, max_power_w)
                self._count(reading_wh - suspect_wh)
                self._accept(reading_wh, at)
                return
        self.suspects = [*self.suspects, (reading_wh, at)][-MAX_SUSPECTS:]

    @staticmethod
    def _fits(
        before_wh: float,
        before_at: datetime | None,
        reading_wh: float,
        at: datetime,
        max_power_w: float,
    ) -> bool:
        delta = reading_wh - before_wh
        return 0 <= delta <= plausible_wh(max_power_w, before_at, at)

    def _resume_from(self, suspect_wh: float, suspect_at: datetime, max_power_w: float) -> None:
        """The meter was reset or replaced: count from the suspect, adding only what could have been delivered."""
        last_wh = self.last_wh or 0.0
        # After a reset the new reading is what the meter counted since; after a replacement, the jump.
        counted = suspect_wh if suspect_wh < last_wh else suspect_wh - last_wh
        self._count(min(counted, plausible_wh(max_power_w, self.last_at, suspect_at)))

    def _count(self, delta_wh: float) -> None:
        self.total_wh = (self.total_wh or 0.0) + delta_wh

    def _accept(self, reading_wh: float, at: datetime) -> None:
        self.last_wh, self.last_at = reading_wh, at
        self.suspects = []

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart (JSON-ready)."""
        return {
            "total_wh": self.total_wh,
            "last_wh": self.last_wh,
            "last_at": None if self.last_at is None else self.last_at.isoformat(),
            "suspects": [[wh, at.isoformat()] for wh, at in self.suspects],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Meter:
        """Restore from ``as_dict``; anything unreadable starts afresh."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                total_wh=_optional_float(data.get("total_wh")),
                last_wh=_optional_float(data.get("last_wh")),
                last_at=_optional_time(data.get("last_at")),
                suspects=[(float(wh), _time(at)) for wh, at in data.get("suspects") or ()][
                    -MAX_SUSPECTS:
                ],
            )
        except (TypeError, ValueError):
            return cls()


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _time(value: Any) -> datetime:
    parsed = dt_util.parse_datetime(str(value))
    if parsed is None:
        raise ValueError(value)
    return parsed
