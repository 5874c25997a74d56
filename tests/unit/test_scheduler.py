"""The poll schedule: timed to the next report inside the budget, never more often than fixed intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.core import HomeAssistant

from custom_components.ev_energy.budget import RequestBudget
from custom_components.ev_energy.scheduler import (
    CHARGING_INTERVAL,
    COMMAND_BURST,
    EARLY_ALLOWANCE,
    IDLE_BUDGET_PART,
    IDLE_INTERVAL,
    PollScheduler,
)

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
CADENCE = timedelta(minutes=5)


class Reports:
    """Reports readable every ``period``, the first ``offset`` seconds after NOW."""

    def __init__(self, offset: float, period: timedelta = CADENCE) -> None:
        """Report every ``period`` from ``offset`` seconds after NOW on."""
        self.offset, self.period = timedelta(seconds=offset), period
        self.asked: list[datetime] = []

    def __call__(self, earliest: datetime) -> datetime:
        """Return the first report readable from ``earliest`` on."""
        self.asked.append(earliest)
        readable = NOW + self.offset
        while readable < earliest:
            readable += self.period
        return readable


def _reports_at(offset: float) -> Reports:
    return Reports(offset)


def _scheduler(
    hass: HomeAssistant, budget: RequestBudget | None = None, **kwargs: bool
) -> PollScheduler:
    return PollScheduler(hass, "entry", budget or RequestBudget(), **kwargs)


async def test_the_poll_moves_to_just_after_the_next_report(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass)
    reports = _reports_at(3)
    # Polled 2 minutes after a report: the next poll comes just after the next report rather than in 5 minutes,
    # and from then on, every 5 minutes.
    now = NOW + timedelta(seconds=120)
    assert scheduler.next_interval(False, CADENCE, now, reports) == timedelta(seconds=183)
    now += timedelta(seconds=183)
    assert scheduler.next_interval(False, CADENCE, now, reports) == CADENCE
    # A poll that came late (Home Assistant busy) is made up, as the reports do not wait.
    now += CADENCE + timedelta(seconds=4)
    assert scheduler.next_interval(False, CADENCE, now, reports) == CADENCE - timedelta(seconds=4)


async def test_a_report_too_soon_after_the_poll_is_left_for_the_next(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass)
    # A report due 1 minute after this poll (after one that missed it): the poll after waits for the next one.
    now = NOW + timedelta(seconds=240)
    assert scheduler.next_interval(False, CADENCE, now, _reports_at(3)) == timedelta(seconds=363)


async def test_without_timing_or_with_it_off_fixed_intervals_stay(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass, report_timed=False)
    reports = _reports_at(3)
    assert scheduler.next_interval(False, CADENCE, NOW, reports) == IDLE_INTERVAL
    assert reports.asked == []
    timed = _scheduler(hass)
    assert timed.next_interval(False, CADENCE, NOW, lambda earliest: None) == IDLE_INTERVAL
    assert timed.next_interval(True, timedelta(0), NOW) == timedelta(seconds=60)


async def test_timed_polls_send_no_more_than_fixed_intervals(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass)
    # Reports come every 290 s where fixed intervals poll every 300 s: the polls follow them only until the early
    # allowance is spent, then wait for a later report.
    reports = Reports(0, CADENCE - timedelta(seconds=10))
    now, waits = NOW, []
    for _ in range(36):
        waits.append(scheduler.next_interval(False, CADENCE, now, reports))
        now += waits[-1]
    assert now - NOW >= CADENCE * len(waits) - EARLY_ALLOWANCE
    assert min(waits) == CADENCE - timedelta(seconds=10), "the polls did follow the reports"


async def test_polls_between_the_timed_ones_do_not_move_them(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass)
    reports = _reports_at(3)
    now = NOW + timedelta(seconds=3)
    assert scheduler.next_interval(False, CADENCE, now, reports) == CADENCE
    for _ in range(3):
        # A webhook's poll a minute later, then the timed poll just after the next report, as planned.
        push = now + timedelta(seconds=60)
        assert scheduler.next_interval(False, CADENCE, push, reports) == timedelta(seconds=240)
        now += CADENCE
        assert scheduler.next_interval(False, CADENCE, now, reports) == CADENCE


async def test_the_budget_keeps_precedence(hass: HomeAssistant) -> None:
    budget = RequestBudget()
    budget.observe(
        1000, 60, NOW
    )  # 40 requests left for polling: one 3-request poll every 270 s at most
    scheduler = _scheduler(hass, budget)
    shortest = budget.min_interval(scheduler.requests_per_cycle, NOW)
    assert shortest == timedelta(seconds=270)
    reports = _reports_at(3)
    assert scheduler.next_interval(True, CADENCE, NOW, reports) == timedelta(seconds=303)
    assert reports.asked == [NOW + shortest], (
        "no report sooner than the budget allows is looked for"
    )

    # Reports every minute but polls every 270 s at most: timing them would skip reports, so the budget's pace stays.
    reports = _reports_at(3)
    assert scheduler.next_interval(True, timedelta(seconds=60), NOW, reports) == shortest
    assert reports.asked == []

    budget.rate_limited(900, NOW)
    wait = scheduler.next_interval(True, CADENCE, NOW, reports)
    assert wait >= timedelta(seconds=900), "a 429's wait comes first"


async def test_a_command_burst_comes_before_the_report_timing(hass: HomeAssistant) -> None:
    scheduler = _scheduler(hass)
    assert scheduler.start_burst() == COMMAND_BURST[0]
    assert scheduler.next_interval(True, CADENCE, NOW, _reports_at(3)) == COMMAND_BURST[1]
    assert scheduler.next_interval(True, CADENCE, NOW, _reports_at(3)) == timedelta(seconds=303)


async def test_a_report_further_away_than_the_slowest_poll_keeps_fixed_intervals(
    hass: HomeAssistant,
) -> None:
    scheduler = _scheduler(hass)
    far = lambda earliest: earliest + timedelta(hours=1)  # noqa: E731
    assert scheduler.next_interval(False, CADENCE, NOW, far) == IDLE_INTERVAL
    assert scheduler.diagnostics(NOW)["report_timed"] is True


async def test_idle_polls_follow_the_report_cadence_inside_their_part_of_the_budget(
    hass: HomeAssistant,
) -> None:
    scheduler = _scheduler(hass)
    minute = timedelta(seconds=60)
    assert scheduler.next_interval(False, minute, NOW) == minute, (
        "a home can afford a poll a minute"
    )
    assert scheduler.next_interval(False, timedelta(seconds=10), NOW) == CHARGING_INTERVAL
    assert scheduler.next_interval(False, timedelta(minutes=30), NOW) == timedelta(minutes=30)
    assert scheduler.next_interval(False, timedelta(0), NOW) == IDLE_INTERVAL, (
        "no cadence known yet"
    )

    # 200 requests an hour: polling may spend 100, a 3-request poll every 108 s while charging.
    budget = RequestBudget(limit=200)
    tight = _scheduler(hass, budget)
    shortest = budget.min_interval(tight.requests_per_cycle, NOW)
    assert shortest == timedelta(seconds=108)
    assert tight.next_interval(True, minute, NOW) == shortest
    assert tight.next_interval(False, minute, NOW) == shortest / IDLE_BUDGET_PART


async def test_after_a_push_one_poll_lands_just_after_the_next_report(hass: HomeAssistant) -> None:
    # A message 100 s before a report: the usual timing leaves that report for the poll after (half an interval).
    message = NOW - timedelta(seconds=100)
    assert _scheduler(hass).next_interval(False, CADENCE, message, _reports_at(3)) == timedelta(
        seconds=403
    )
    scheduler = _scheduler(hass)
    scheduler.follow_next_report()
    reports = _reports_at(3)
    assert scheduler.next_interval(False, CADENCE, message, reports) == timedelta(seconds=103)
    # Once: then the usual timing, which counts nothing early for the extra poll.
    after = NOW + timedelta(seconds=3)
    assert scheduler.next_interval(False, CADENCE, after, reports) == CADENCE


async def test_no_poll_follows_a_push_without_a_report_expected_or_room_in_the_budget(
    hass: HomeAssistant,
) -> None:
    scheduler = _scheduler(hass)
    scheduler.follow_next_report()
    far = lambda earliest: earliest + timedelta(hours=1)  # noqa: E731
    assert scheduler.next_interval(False, CADENCE, NOW, far) == IDLE_INTERVAL
    budget = RequestBudget()
    spent = _scheduler(hass, budget)
    for _ in range(500):
        budget.record_request(NOW)
    spent.follow_next_report()
    message = NOW - timedelta(seconds=100)
    assert spent.next_interval(False, CADENCE, message, _reports_at(3)) == timedelta(seconds=403)
