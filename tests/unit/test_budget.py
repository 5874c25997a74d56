"""The request budget: polling stays inside ev.energy's hourly limit and obeys 429s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ev_energy.budget import (
    COMMAND_RESERVE,
    MAX_RETRY_AFTER,
    SLOWEST_INTERVAL,
    RequestBudget,
    SamplingCadence,
)

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def test_polling_uses_at_most_the_configured_share_of_the_limit() -> None:
    budget = RequestBudget(share=0.5)
    budget.observe(1000, 1000, NOW)
    # 3 requests a cycle inside 500 an hour: a cycle every 21.6 s at the most.
    assert budget.min_interval(3, NOW) == timedelta(seconds=21.6)


def test_a_nearly_empty_bucket_slows_polling_down() -> None:
    budget = RequestBudget(share=0.5)
    budget.observe(1000, 1000, NOW)
    roomy = budget.min_interval(3, NOW)
    budget.observe(1000, COMMAND_RESERVE + 30, NOW)
    assert budget.min_interval(3, NOW) == timedelta(seconds=3600 * 3 / 30)
    assert budget.min_interval(3, NOW) > roomy


def test_headers_older_than_an_hour_no_longer_restrict() -> None:
    budget = RequestBudget(share=0.5)
    budget.observe(1000, 25, NOW)
    later = NOW + timedelta(hours=1, seconds=1)
    assert budget.min_interval(3, later) == timedelta(seconds=21.6)


def test_after_a_429_nothing_is_sent_before_the_retry_time() -> None:
    budget = RequestBudget()
    budget.rate_limited(120, NOW)
    assert budget.seconds_blocked(NOW) == 120
    assert not budget.can_spend(1, NOW + timedelta(seconds=119))
    assert budget.min_interval(3, NOW) >= timedelta(seconds=120)
    assert budget.seconds_blocked(NOW + timedelta(seconds=120)) == 0


def test_a_429_without_retry_header_still_waits() -> None:
    budget = RequestBudget()
    budget.rate_limited(None, NOW)
    assert budget.seconds_blocked(NOW) == 60


def test_a_later_shorter_429_does_not_shorten_the_wait() -> None:
    budget = RequestBudget()
    budget.rate_limited(300, NOW)
    budget.rate_limited(10, NOW + timedelta(seconds=5))
    assert budget.seconds_blocked(NOW + timedelta(seconds=5)) == 295


def test_optional_requests_stop_at_the_share_and_at_the_reserve() -> None:
    budget = RequestBudget(share=0.01)  # 10 requests an hour
    for second in range(10):
        budget.record_request(NOW + timedelta(seconds=second))
    assert not budget.can_spend(1, NOW + timedelta(seconds=10))
    # An hour later those requests no longer count.
    assert budget.can_spend(1, NOW + timedelta(hours=1, seconds=11))
    budget.observe(1000, COMMAND_RESERVE, NOW + timedelta(hours=1, seconds=11))
    assert not budget.can_spend(1, NOW + timedelta(hours=1, seconds=11))


def test_cadence_is_the_median_gap_between_samples() -> None:
    cadence = SamplingCadence()
    assert cadence.interval is None
    for minutes in (0, 5, 10, 10, 3, 15, 21):
        cadence.add(NOW + timedelta(minutes=minutes))
    # Duplicates and out-of-order samples are ignored: 0, 5, 10, 15, 21.
    assert cadence.interval == timedelta(minutes=5)


@pytest.mark.parametrize("retry_after", [1e9, 1e300, float(2**80)])
def test_a_huge_retry_after_waits_at_most_an_hour(retry_after: float) -> None:
    budget = RequestBudget()
    budget.rate_limited(retry_after, NOW)
    assert budget.seconds_blocked(NOW) == MAX_RETRY_AFTER.total_seconds()
    assert budget.seconds_blocked(NOW + MAX_RETRY_AFTER) == 0


def test_a_stored_block_is_capped_too() -> None:
    budget = RequestBudget()
    budget.block_until(NOW + timedelta(days=400), NOW)
    assert budget.seconds_blocked(NOW) == MAX_RETRY_AFTER.total_seconds()
    budget.block_until(NOW + timedelta(minutes=5), NOW)
    assert budget.seconds_blocked(NOW) == MAX_RETRY_AFTER.total_seconds(), (
        "a shorter one is ignored"
    )


@pytest.mark.parametrize("remaining", [0, 1, COMMAND_RESERVE])
def test_an_empty_bucket_slows_polling_to_one_poll_in_15_minutes_not_less(remaining: int) -> None:
    budget = RequestBudget()
    budget.observe(1000, remaining, NOW)
    assert budget.min_interval(3, NOW) == SLOWEST_INTERVAL
    # Once the window rolled, the old answer no longer slows anything.
    assert budget.min_interval(3, NOW + timedelta(hours=1)) == timedelta(seconds=21.6)


def test_slowing_down_is_in_proportion_to_what_remains() -> None:
    budget = RequestBudget()
    budget.observe(1000, COMMAND_RESERVE + 60, NOW)
    assert budget.min_interval(3, NOW) == timedelta(minutes=3)
    budget.observe(1000, COMMAND_RESERVE + 30, NOW)
    assert budget.min_interval(3, NOW) == timedelta(minutes=6)


def test_headers_left_out_keep_what_was_known() -> None:
    budget = RequestBudget()
    budget.observe(600, 400, NOW)
    budget.observe(None, None, NOW + timedelta(minutes=1))
    assert (budget.limit, budget.remaining) == (600, 400)
    budget.observe(0, -5, NOW + timedelta(minutes=2))
    assert (budget.limit, budget.remaining) == (600, 0), "nonsense is not taken as a limit"


def test_every_new_block_is_reported_for_storage_and_only_new_ones() -> None:
    reported: list[datetime] = []
    budget = RequestBudget(on_block=reported.append)
    budget.rate_limited(300, NOW)
    budget.rate_limited(10, NOW + timedelta(seconds=5))
    assert reported == [NOW + timedelta(seconds=300)]


def test_each_request_counts_once_under_its_caller_in_one_rolling_hour() -> None:
    budget = RequestBudget()
    budget.reserve("sessions", 2)
    budget.record_request(NOW, "sessions")
    budget.record_request(NOW, "home_energy")
    budget.record_request(NOW + timedelta(minutes=30), "polling")
    assert budget.sent_last_hour(NOW + timedelta(minutes=30)) == 3
    assert budget.sent_by_caller(NOW + timedelta(minutes=30)) == {
        "sessions": 1,
        "home_energy": 1,
        "polling": 1,
    }
    assert budget.within_reservation("sessions", 1, NOW)
    assert not budget.within_reservation("sessions", 2, NOW)
    assert not budget.within_reservation("unreserved", 1, NOW)
    # The hour rolls for every caller alike; what was sent since start stays counted.
    later = NOW + timedelta(hours=1, seconds=1)
    assert budget.sent_by_caller(later) == {"polling": 1}
    assert budget.within_reservation("sessions", 2, later)
    assert budget.sent_since_start == {"sessions": 1, "home_energy": 1, "polling": 1}
