"""Solar forecasts: a place and its predicted solar output per kW of panels, by period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import EvEnergyModel, expandable, nested
from .users import Coordinates


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarForecast(EvEnergyModel):
    """A solar forecast for one location (ev.energy forecasts a place, not an array)."""

    id: str
    url: str | None = None
    location: Coordinates | None = field(default=None, metadata=nested(lambda: Coordinates))


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarForecastLog(EvEnergyModel):
    """The predicted output of one period in W per kW of installed capacity.

    Multiply by an array's ``capacity_watts / 1000`` for its power; ``sampled_at`` is
    when the forecast was generated.
    """

    url: str | None = None
    started_at: datetime | None = None
    sampled_at: datetime | None = None
    interval_seconds: int | None = None
    forecast_watts_per_kilowatt: int | None = None
    solar_forecast: str | SolarForecast | None = field(
        default=None, metadata=expandable(lambda: SolarForecast)
    )
