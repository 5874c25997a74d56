"""Carbon-intensity feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .base import EvEnergyModel


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonFeed(EvEnergyModel):
    """A regional carbon-intensity feed."""

    id: str
    url: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonIntensity(EvEnergyModel):
    """Grid carbon intensity (gCO2/kWh) over one interval."""

    started_at: datetime | None = None
    interval_seconds: int | None = None
    co2_intensity_grams_per_kilowatt_hour: int | None = None
    created_at: datetime | None = None
