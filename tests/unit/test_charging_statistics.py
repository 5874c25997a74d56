"""Energy usage intervals to hourly figures: shares, prices, hour boundaries, replacing a sub-session's part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_energy.api import EvEnergyIncompleteListError, ItemList
from custom_components.ev_energy.api.models import ChargingSubSession, EnergyUsage, UsageInterval
from custom_components.ev_energy.api.pagination import IncompleteListReason
from custom_components.ev_energy.charging_statistics import (
    ChargingStatistics,
    Contribution,
    Figures,
    hourly_figures,
    interval_figures,
    series_id,
    split_by_hour,
)
from custom_components.ev_energy.hourly import HourlyStatistics
from custom_components.ev_energy.sessions import _newest_pages
from custom_components.ev_energy.storage import async_remove_entry_stores

H0 = datetime(2026, 11, 1, 0, tzinfo=UTC)


def interval(**fields: Any) -> UsageInterval:
    return UsageInterval.from_dict(
        {"started_at": "2026-11-01T00:00:00Z", "interval_seconds": 1800, **fields}
    )


def test_grid_share_prices_and_minor_units() -> None:
    figures = interval_figures(
        interval(
            total_energy_delivered_watt_hours=2000,
            percentage_import=25,
            electricity_cost_sub_unit="99",
            energy_delivered_by_price=[
                {"price": "20", "energy_delivered_watt_hours": 1000},
                {"price": "50", "energy_delivered_watt_hours": 1000},
            ],
        ),
        "GBP",
    )
    # 2 kWh, a quarter from the grid; the priced energy (70 p for 2 kWh) is paid on the grid share only.
    assert figures == Figures(2.0, 0.5, 1.5, 0.175)


def test_the_rate_prices_an_interval_without_a_breakdown_and_no_share_means_grid() -> None:
    figures = interval_figures(
        interval(total_energy_delivered_watt_hours=1500, electricity_cost_sub_unit="30"), "EUR"
    )
    assert figures == Figures(1.5, 1.5, 0.0, 0.45)


def test_no_price_no_currency_no_energy() -> None:
    assert interval_figures(interval(total_energy_delivered_watt_hours=1000), "GBP") == Figures(
        1.0, 1.0, 0.0, None
    )
    priced = interval(total_energy_delivered_watt_hours=1000, electricity_cost_sub_unit="30")
    assert interval_figures(priced, None) == Figures(1.0, 1.0, 0.0, None)
    assert interval_figures(interval(), "GBP") is None
    assert interval_figures(interval(total_energy_delivered_watt_hours=-5), "GBP") is None
    # Yen have no minor unit: 30 per kWh for 1 kWh is 30.
    assert interval_figures(priced, "JPY") == Figures(1.0, 1.0, 0.0, 30.0)
    # A share beyond 0-100 is clamped.
    assert interval_figures(
        interval(total_energy_delivered_watt_hours=1000, percentage_import=150), "GBP"
    ) == Figures(1.0, 1.0, 0.0, None)


def test_an_interval_crossing_an_hour_is_split_by_time() -> None:
    parts = split_by_hour(H0 + timedelta(minutes=45), 1800, Figures(3.0, 3.0, 0.0, 0.6))
    assert parts == {
        H0: Figures(1.5, 1.5, 0.0, 0.3),
        H0 + timedelta(hours=1): Figures(1.5, 1.5, 0.0, 0.3),
    }
    assert split_by_hour(H0 + timedelta(minutes=5), None, Figures(1.0, 1.0, 0.0, None)) == {
        H0: Figures(1.0, 1.0, 0.0, None)
    }
    # Two hours and a bit: three parts, in proportion.
    parts = split_by_hour(H0 + timedelta(minutes=30), 9000, Figures(5.0, 5.0, 0.0, None))
    assert [round(part.energy, 9) for part in parts.values()] == [1.0, 2.0, 2.0]


def test_intervals_of_one_hour_are_summed() -> None:
    usage = EnergyUsage.from_dict(
        {
            "currency": "GBP",
            "intervals": [
                {"started_at": "2026-11-01T00:00:00Z", "interval_seconds": 1800,
                 "total_energy_delivered_watt_hours": 1000, "electricity_cost_sub_unit": "10"},
                {"started_at": "2026-11-01T00:30:00Z", "interval_seconds": 1800,
                 "total_energy_delivered_watt_hours": 500},
                {"interval_seconds": 1800, "total_energy_delivered_watt_hours": 700},
                {"started_at": "2026-11-01T01:00:00Z", "interval_seconds": 1800},
            ],
        }
    )  # fmt: skip
    assert hourly_figures(usage) == {H0: Figures(1.5, 1.5, 0.0, 0.1)}
    assert Figures(1.0, 1.0, 0.0, None) + Figures(1.0, 0.5, 0.5, None) == Figures(
        2.0, 1.5, 0.5, None
    )


def test_stored_contributions_round_trip_and_bad_ones_are_dropped() -> None:
    part = Contribution("evse1", "vhcl1", "GBP", {H0: Figures(1.0, 0.5, 0.5, 0.1)})
    assert Contribution.from_store(part.to_store()) == part
    assert Contribution.from_store({"hours": {"nonsense": [1, 2, 3, 4]}}) is None
    assert Contribution.from_store({"hours": {H0.isoformat(): [1]}}) is None
    assert Contribution.from_store({}) is None


def sub(sub_id: str, *intervals: dict[str, Any], currency: str = "GBP") -> ChargingSubSession:
    return ChargingSubSession.from_dict(
        {
            "id": sub_id,
            "evse": "https://api.ev.energy/v2/evses/evse1",
            "vehicle": {"id": "vhcl1"},
            "currency": currency,
            "energy_usage": {"currency": currency, "intervals": list(intervals)},
        }
    )


def usage_at(minute: int, watt_hours: int, price: str = "10") -> dict[str, Any]:
    return {
        "started_at": (H0 + timedelta(minutes=minute)).isoformat(),
        "interval_seconds": 1800,
        "total_energy_delivered_watt_hours": watt_hours,
        "electricity_cost_sub_unit": price,
    }


async def test_a_sub_session_read_again_replaces_its_part(hass: HomeAssistant) -> None:
    statistics = HourlyStatistics(hass, "entry")
    charging = ChargingStatistics(
        hass, "entry", statistics, lambda device_id: f"Device {device_id}"
    )
    assert charging.add(sub("a", usage_at(0, 1000), usage_at(60, 2000)))
    assert charging.add(sub("b", usage_at(30, 500)))
    assert not charging.add(sub("b", usage_at(30, 500))), "the same figures again change nothing"
    assert not charging.add(ChargingSubSession.from_dict({"id": "c"})), "no energy usage expanded"
    # Without the recorder the hours wait for it, with their values.
    assert await charging.async_import(H0) == 0
    hours = statistics.pending[series_id("vhcl1", "energy")].hours
    assert hours == {H0: 1.5, H0 + timedelta(hours=1): 2.0}
    assert statistics.pending[series_id("evse1", "cost")].info.unit == "GBP"
    assert (
        statistics.pending[series_id("evse1", "energy")].info.name == "Device evse1 energy charged"
    )

    # Revised: the second hour's interval is gone, the first grows.
    assert charging.add(sub("a", usage_at(0, 1200)))
    await charging.async_import(H0)
    assert hours == {H0: 1.7, H0 + timedelta(hours=1): 0.0}
    # Until the recorder runs, the total is what its hours will sum to.
    assert charging.total("vhcl1") == pytest.approx(1.7)
    assert charging.total("nobody") is None


async def test_a_sub_session_in_another_currency_adds_energy_but_no_cost(
    hass: HomeAssistant,
) -> None:
    statistics = HourlyStatistics(hass, "entry")
    charging = ChargingStatistics(hass, "entry", statistics, str)
    charging.add(sub("a", usage_at(0, 1000), currency="EUR"))
    charging.add(sub("b", usage_at(30, 1000)))
    await charging.async_import(H0)
    assert statistics.pending[series_id("vhcl1", "energy")].hours == {H0: 2.0}
    assert statistics.pending[series_id("vhcl1", "cost")].hours == {H0: 0.1}


async def test_what_is_kept_survives_a_restart_and_old_sub_sessions_are_forgotten(
    hass: HomeAssistant,
) -> None:
    statistics = HourlyStatistics(hass, "entry")
    charging = ChargingStatistics(hass, "entry", statistics, str)
    charging.add(sub("a", usage_at(0, 1000)))
    charging.backfill_before = H0
    charging.backfill_until = H0 - timedelta(days=30)
    await charging.async_import(H0)
    await charging.async_save()

    again = ChargingStatistics(hass, "entry", statistics, str)
    await again.async_load()
    assert again.contributions == charging.contributions
    assert (again.backfill_before, again.backfill_until) == (H0, H0 - timedelta(days=30))
    assert again.last_revision_read is None
    assert again.diagnostics()["sub_sessions"] == 1

    await again.async_import(H0 + timedelta(days=40))
    assert again.contributions == {}
    await async_remove_entry_stores(hass, "entry")
    empty = ChargingStatistics(hass, "entry", statistics, str)
    await empty.async_load()
    assert empty.contributions == {}


async def test_a_gap_widens_the_backfill_to_cover_both(hass: HomeAssistant) -> None:
    charging = ChargingStatistics(hass, "entry", HourlyStatistics(hass, "entry"), str)
    day = timedelta(days=1)
    charging.backfill_between(H0 - day, H0)
    assert charging.backfill_before is None, "before the first backfill started: it covers the gap"
    charging.backfill_until, charging.backfill_before = H0 - 30 * day, H0 - 20 * day
    charging.backfill_between(H0 - 2 * day, H0 - day)
    assert (charging.backfill_until, charging.backfill_before) == (H0 - 30 * day, H0 - day)
    charging.backfill_before = None  # done
    charging.backfill_between(H0 - 2 * day, H0 - day)
    assert (charging.backfill_until, charging.backfill_before) == (H0 - 2 * day, H0 - day)
    charging.backfill_before = None
    charging.backfill_between(H0, H0 - day)
    assert charging.backfill_before is None, "an empty gap asks for nothing"


async def test_only_a_list_cut_at_the_page_cap_gives_its_newest_pages() -> None:
    items = ItemList(["newest", "older"])

    async def cut(reason: IncompleteListReason) -> ItemList[str]:
        raise EvEnergyIncompleteListError("cut", reason=reason, items=items)

    newest = await _newest_pages(cut(IncompleteListReason.PAGE_CAP))
    assert list(newest) == ["newest", "older"]
    assert newest.cut_short
    with pytest.raises(EvEnergyIncompleteListError):
        await _newest_pages(cut(IncompleteListReason.LOOP))

    async def whole() -> ItemList[str]:
        return items

    complete = await _newest_pages(whole())
    assert list(complete) == ["newest", "older"]
    assert not complete.cut_short
