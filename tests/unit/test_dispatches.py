"""Deliveries, the completed dispatches' source: when energy flowed, joined, over the last day."""

from __future__ import annotations

from datetime import datetime, timedelta

from custom_components.ev_energy.api import (
    ChargingSubSession as ApiSubSession,
    EnergyUsage,
    UsageInterval,
)
from custom_components.ev_energy.dispatches import Delivery, deliveries, recent_deliveries

HALF_HOUR = timedelta(minutes=30)


def test_deliveries_join_the_intervals_that_follow_each_other_and_skip_those_without_energy() -> (
    None
):
    start = datetime.fromisoformat("2026-11-20T18:00:00+00:00")

    def interval(offset: int, wh: int | None, seconds: int | None = 1800) -> UsageInterval:
        return UsageInterval(
            started_at=start + offset * HALF_HOUR,
            interval_seconds=seconds,
            total_energy_delivered_watt_hours=wh,
        )

    usage = EnergyUsage(
        intervals=[
            interval(1, 3000),
            interval(0, 3600),
            interval(2, 0),
            interval(3, None),
            interval(4, 500),
            interval(5, 900, seconds=None),
            UsageInterval(interval_seconds=1800, total_energy_delivered_watt_hours=10),
        ]
    )
    assert deliveries(usage) == [
        Delivery(start, start + 2 * HALF_HOUR, 6600),
        Delivery(start + 4 * HALF_HOUR, start + 5 * HALF_HOUR, 500),
    ]


def test_recent_deliveries_replace_what_was_read_again_and_forget_what_ended_a_day_ago() -> None:
    now = datetime.fromisoformat("2026-11-21T12:00:00+00:00")
    old = Delivery(now - timedelta(hours=25), now - timedelta(hours=24), 7000)
    kept = Delivery(now - timedelta(hours=23), now - timedelta(hours=22), 7000)
    usage = EnergyUsage(
        intervals=[
            UsageInterval(
                started_at=now - HALF_HOUR,
                interval_seconds=1800,
                total_energy_delivered_watt_hours=3500,
            )
        ]
    )
    held = {"finished": [old, kept], "gone": [old], "running": [kept]}
    subs = [
        ApiSubSession(id="running", energy_usage=usage),
        # Read without its energy usage (a link, not expanded): what was held stays.
        ApiSubSession(id="finished", energy_usage="https://api.ev.energy/v2/energy_usage"),
    ]
    assert recent_deliveries(held, subs, now) == {
        "finished": [kept],
        "running": [Delivery(now - HALF_HOUR, now, 3500)],
    }
