"""Tariffs, suppliers and prices. Money units follow the API and are named per field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .base import EvEnergyModel, expandable, nested, nested_list, url_or_list
from .enums import TariffType


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplier(EvEnergyModel):
    """An electricity supplier."""

    id: str
    url: str | None = None
    name: str | None = None
    icon: str | None = None
    highlighted: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceTimes(EvEnergyModel):
    """A local-time window (``HH:MM:SS``) in which a price applies."""

    start: str | None = None
    end: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceSummary(EvEnergyModel):
    """A price band of a tariff; ``price`` is a major-unit string such as ``"0.10"``."""

    price: str | None = None
    times: list[PriceTimes] | None = field(default=None, metadata=nested_list(lambda: PriceTimes))


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyPrices(EvEnergyModel):
    """Peak, mid-peak and off-peak bands of a tariff."""

    peak: PriceSummary | None = field(default=None, metadata=nested(lambda: PriceSummary))
    mid_peak: PriceSummary | None = field(default=None, metadata=nested(lambda: PriceSummary))
    off_peak: PriceSummary | None = field(default=None, metadata=nested(lambda: PriceSummary))


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerTariff(EvEnergyModel):
    """The tariff the scheduler actually optimises against."""

    id: str
    url: str | None = None
    supplier: str | None = None
    name: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffPrice(EvEnergyModel):
    """One price interval of a tariff, in minor currency units (e.g. pence)."""

    started_at: datetime | None = None
    interval_seconds: int | None = None
    price_minor_units: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tariff(EvEnergyModel):
    """An electricity tariff.

    ``current_price`` (minor units) and ``prices`` are only sent by ``GET /tariffs/{id}``.
    """

    id: str
    url: str | None = None
    supplier: str | Supplier | None = field(default=None, metadata=expandable(lambda: Supplier))
    name: str | None = None
    currency: str | None = None
    highlighted: bool | None = None
    type: TariffType | None = None
    type_raw: str | None = None
    daily_prices: DailyPrices | None = field(default=None, metadata=nested(lambda: DailyPrices))
    timezone_name: str | None = None
    price_chart_url: str | None = None
    gsp_group: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    scheduler_tariff: str | SchedulerTariff | None = field(
        default=None, metadata=expandable(lambda: SchedulerTariff)
    )
    current_price: int | None = None
    prices: str | list[TariffPrice] | None = field(
        default=None, metadata=url_or_list(lambda: TariffPrice)
    )
