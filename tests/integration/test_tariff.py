"""The tariff's prices: now, next, the cheapest window, as the simulator serves them, and what happens when it cannot.

The expected values come from the simulator's own API, read with another OAuth application (so its requests are
told apart from the integration's), never hard-coded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.kinds import SCOPES
from simulator.testing import DEFAULT_CLIENT_ID, Simulator

from .conftest import Clock, set_up_entry
from .helpers import state

REFERENCE_CLIENT = "tariff-reference"
TARIFF_SCOPES = ("tariff:read", "tariff:prices:read")
HORIZON = timedelta(hours=12)
# The home without its HEM system: the tariff reader does not depend on it, and the day-long runs here need not
# pay for the home energy and live power readers (tested in their own files).
pytestmark = pytest.mark.simulator(home_energy=False)


@dataclass(frozen=True)
class Price:
    """One price interval as ev.energy serves it (minor units per kWh)."""

    start: datetime
    end: datetime
    minor: int


class Reference:
    """Reads what the simulator serves, as another ev.energy application would."""

    def __init__(self, hass: HomeAssistant, sim: Simulator) -> None:
        """Register the application and sign it in to the same account."""
        sim.register_client(REFERENCE_CLIENT, "secret")
        self.hass, self.sim = hass, sim

    async def get(self, path: str, **params: str) -> Any:
        """Return the JSON body of a GET."""
        session = async_get_clientsession(self.hass)
        # A token of its own each time: tests run the clock past a token's lifetime.
        token = self.sim.issue_token(client_id=REFERENCE_CLIENT).access_token
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(
            f"{self.sim.origin}/v2/{path}", params=params, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def tariff(self) -> dict[str, Any]:
        """Return the account's tariff."""
        user = await self.get(f"users/{self.sim.primary_user_id}", expand="default_location.tariff")
        tariff: dict[str, Any] = user["default_location"]["tariff"]
        return tariff

    async def prices(self, since: datetime, until: datetime) -> list[Price]:
        """Return the prices starting between two times, oldest first."""
        tariff = await self.tariff()
        rows = await self.get(
            f"tariffs/{tariff['id']}/prices",
            started_at__gte=since.isoformat(),
            started_at__lte=until.isoformat(),
            page_size="100",
        )
        prices = [
            Price(
                start := dt_util.parse_datetime(row["started_at"]),  # type: ignore[arg-type]
                start + timedelta(seconds=row["interval_seconds"]),  # type: ignore[operator]
                row["price_minor_units"],
            )
            for row in rows
        ]
        return sorted(prices, key=lambda price: price.start)

    async def prices_around(self, now: datetime) -> list[Price]:
        """Return the prices the integration reads at ``now``: from an hour before to the day ahead."""
        return await self.prices(now - timedelta(hours=1), now + timedelta(hours=23))


def price_at(prices: list[Price], when: datetime) -> Price:
    """Return the price holding at a time."""
    return next(price for price in prices if price.start <= when < price.end)


def brute_force_cheapest(
    prices: list[Price], now: datetime, length: timedelta
) -> tuple[datetime, float]:
    """Try every whole minute from now: the start and average (minor units) of the cheapest window, earliest."""
    minutes = int(length.total_seconds() // 60)
    per_minute = [
        price_at(prices, now + timedelta(minutes=m)).minor
        for m in range(int(HORIZON.total_seconds() // 60))
    ]
    averages = [
        sum(per_minute[start : start + minutes]) / minutes
        for start in range(len(per_minute) - minutes + 1)
    ]
    best = min(range(len(averages)), key=lambda start: (averages[start], start))
    return now + timedelta(minutes=best), averages[best]


def tariff_requests(sim: Simulator, since: int = 0) -> list[Any]:
    """Return the integration's requests to the tariffs since an index of the request log."""
    return [
        request
        for request in sim.requests[since:]
        # A faulted answer never reached sign-in: no client (the reference reads with its own).
        if request.client_id in {DEFAULT_CLIENT_ID, None} and request.path.startswith("/v2/tariffs")
    ]


def tariff_state(hass: HomeAssistant, sim: Simulator, key: str) -> State:
    """Return a tariff sensor's state (on the account device)."""
    return state(hass, "sensor", f"{sim.primary_user_id}_{key}")


def as_time(value: str) -> datetime:
    """Return a timestamp sensor's state as a datetime."""
    parsed = dt_util.parse_datetime(value)
    assert parsed is not None
    return parsed


@pytest.fixture
def reference(hass: HomeAssistant, sim: Simulator) -> Reference:
    """The simulator's prices, read with another application."""
    return Reference(hass, sim)


async def test_the_price_sensors_show_what_ev_energy_serves(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, reference: Reference
) -> None:
    now = dt_util.utcnow()
    tariff = await reference.tariff()
    prices = await reference.prices(now - timedelta(hours=1), now + timedelta(hours=23))
    current = price_at(prices, now)

    price = tariff_state(hass, sim, "electricity_price")
    assert float(price.state) == current.minor / 100
    # The Energy dashboard takes a grid price entity by its unit, <currency>/kWh.
    assert price.attributes["unit_of_measurement"] == f"{tariff['currency']}/kWh"
    assert price.attributes["state_class"] == "measurement"
    ahead = [p for p in prices if p.end > now and p.start < now + HORIZON]
    assert price.attributes["prices_ahead"] == [
        {"start": p.start.isoformat(), "end": p.end.isoformat(), "price": p.minor / 100}
        for p in ahead
    ]

    change = next(p for p in prices if p.start > now and p.minor != current.minor)
    assert float(tariff_state(hass, sim, "next_electricity_price").state) == change.minor / 100
    assert as_time(tariff_state(hass, sim, "next_price_change").state) == change.start

    start, average = brute_force_cheapest(prices, now, timedelta(minutes=120))
    window = tariff_state(hass, sim, "cheapest_window_start")
    assert as_time(window.state) == start
    assert window.attributes["end"] == (start + timedelta(minutes=120)).isoformat()
    assert window.attributes["average_price"] == pytest.approx(average / 100)
    assert window.attributes["length_minutes"] == 120


async def test_the_price_changes_at_the_interval_boundary_without_a_request(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    reference: Reference,
) -> None:
    now = dt_util.utcnow()
    prices = await reference.prices_around(now)
    change = next(p for p in prices if p.start > now and p.minor != price_at(prices, now).minor)
    # Up to a second before the change, reads included (hourly), then the boundary itself.
    await clock.run_for((change.start - now).total_seconds() - 1, step=60)
    assert float(tariff_state(hass, sim, "electricity_price").state) != change.minor / 100
    requests = len(tariff_requests(sim))

    await clock.advance(1)
    assert float(tariff_state(hass, sim, "electricity_price").state) == change.minor / 100
    assert len(tariff_requests(sim)) == requests
    following = next(p for p in prices if p.start > change.start and p.minor != change.minor)
    assert as_time(tariff_state(hass, sim, "next_price_change").state) == following.start


async def test_the_reader_costs_about_one_request_an_hour(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    start = len(sim.requests)
    await clock.run_for(6 * 3600, step=300)
    reads = [
        request
        for request in sim.requests[start:]
        if request.client_id == DEFAULT_CLIENT_ID
        and (
            request.path.startswith("/v2/tariffs")
            or "default_location.tariff" in request.query.get("expand", [])
        )
    ]
    # Six hours: the prices hourly and which tariff the account has once (every six hours).
    assert len(reads) == 7
    assert all(request.status == 200 for request in reads)


@pytest.mark.parametrize("minutes", [60, 240])
async def test_the_cheapest_window_follows_the_option_without_a_request(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    reference: Reference,
    minutes: int,
) -> None:
    now = dt_util.utcnow()
    prices = await reference.prices_around(now)
    requests = len(tariff_requests(sim))

    flow = await hass.config_entries.options.async_init(integration.entry_id)
    assert "cheapest_window_minutes" in flow["data_schema"].schema
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"cheapest_window_minutes": minutes}
    )
    await hass.async_block_till_done()
    assert result["type"] == "create_entry"
    assert integration.options["cheapest_window_minutes"] == minutes

    start, average = brute_force_cheapest(prices, now, timedelta(minutes=minutes))
    window = tariff_state(hass, sim, "cheapest_window_start")
    assert as_time(window.state) == start
    assert window.attributes["average_price"] == pytest.approx(average / 100)
    assert window.attributes["length_minutes"] == minutes
    assert len(tariff_requests(sim)) == requests


async def test_a_sign_in_without_the_tariff_scopes_keeps_working_and_raises_the_repair_once(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    credentials: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old_scopes = [scope for scope in SCOPES if scope not in TARIFF_SCOPES]
    caplog.set_level(logging.WARNING)
    entry = await set_up_entry(hass, sim, scopes=old_scopes)
    issue_id = f"{entry.entry_id}_missing_scope_tariff"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"scope": "tariff:read tariff:prices:read"}
    for key in ("electricity_price", "next_price_change", "cheapest_window_start"):
        assert tariff_state(hass, sim, key).state == STATE_UNAVAILABLE
    assert tariff_state(hass, sim, "grid_carbon_intensity").state != STATE_UNAVAILABLE
    assert state(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level").state != STATE_UNAVAILABLE

    start = len(sim.requests)
    await clock.run_for(3 * 3600, step=300)
    refused = [r.status for r in tariff_requests(sim, start)]
    assert refused == [403, 403, 403], "asked again hourly, not at every poll"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    warnings = [r for r in caplog.records if "tariff:read" in r.getMessage()]
    assert len(warnings) == 1, "one log line, not one per attempt"
    assert tariff_state(hass, sim, "grid_carbon_intensity").state != STATE_UNAVAILABLE
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "fault",
    [
        lambda sim: sim.faults.server_errors(100_000, status=503, path_prefix="/v2/tariffs"),
        lambda sim: sim.faults.html_error(100_000, path_prefix="/v2/tariffs"),
        lambda sim: sim.faults.malformed_json(100_000, path_prefix="/v2/tariffs"),
    ],
    ids=["5xx", "html", "broken_json"],
)
@pytest.mark.usefixtures("integration")
async def test_unreadable_prices_keep_the_last_ones_until_they_pass(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    reference: Reference,
    fault: Callable[[Simulator], None],
) -> None:
    read_at = dt_util.utcnow()
    prices = await reference.prices(read_at, read_at + timedelta(hours=26))
    fault(sim)
    # The last read covered the next 23 hours: until then each price shows in its own interval. Half-hour steps:
    # each one meets a retry that is due (at most 15 minutes apart), and a price boundary fires its own timer.
    await clock.run_for(22 * 3600, step=1800)
    now = dt_util.utcnow()
    assert float(tariff_state(hass, sim, "electricity_price").state) == (
        price_at(prices, now).minor / 100
    )
    # Retried (every 15 minutes), each read failing: the prices shown are the ones read before the fault.
    assert len([r for r in tariff_requests(sim) if r.time > read_at]) >= 22

    await clock.run_for(2 * 3600, step=1800)
    for key in ("electricity_price", "next_electricity_price", "cheapest_window_start"):
        assert tariff_state(hass, sim, key).state == STATE_UNAVAILABLE
    assert tariff_state(hass, sim, "grid_carbon_intensity").state != STATE_UNAVAILABLE

    sim.faults.clear()
    await clock.run_for(900, step=300)
    assert tariff_state(hass, sim, "electricity_price").state != STATE_UNAVAILABLE


async def test_a_refused_read_raises_the_repair_until_ev_energy_allows_it_again(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    issue_id = f"{integration.entry_id}_missing_scope_tariff"
    sim.faults.server_errors(100_000, status=403, path_prefix="/v2/tariffs")
    await clock.run_for(3600, step=300)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    sim.faults.clear()
    await clock.run_for(3600, step=300)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert tariff_state(hass, sim, "electricity_price").state != STATE_UNAVAILABLE


async def test_a_tariff_sent_as_a_link_is_read_for_its_currency(
    hass: HomeAssistant, sim: Simulator, credentials: None, reference: Reference
) -> None:
    tariff = await reference.tariff()
    # ev.energy may leave the tariff unexpanded: only the tariff itself then says the currency.
    sim.faults.bad_value("users.*.default_location.tariff", tariff["url"])
    entry = await set_up_entry(hass, sim)
    price = tariff_state(hass, sim, "electricity_price")
    assert price.attributes["unit_of_measurement"] == f"{tariff['currency']}/kWh"
    assert [r.path for r in tariff_requests(sim)][:1] == [f"/v2/tariffs/{tariff['id']}"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_an_account_without_a_tariff_shows_no_price_and_reads_none(
    hass: HomeAssistant, sim: Simulator, credentials: None
) -> None:
    sim.faults.null_field("users.*.default_location.tariff")
    entry = await set_up_entry(hass, sim)
    for key in ("electricity_price", "next_electricity_price", "cheapest_window_start"):
        assert tariff_state(hass, sim, key).state == STATE_UNAVAILABLE
    assert tariff_requests(sim) == []
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_price_list_that_never_ends_is_read_two_pages_at_a_time(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    sim.faults.endless_pagination("/v2/tariffs", loop=False)
    start = len(sim.requests)
    await clock.run_for(3600, step=300)
    assert len(tariff_requests(sim, start)) == 2
    assert tariff_state(hass, sim, "electricity_price").state != STATE_UNAVAILABLE


async def test_a_429_blocks_the_reader_and_the_prices_held_stay(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    shown = tariff_state(hass, sim, "electricity_price").state
    sim.faults.rate_limit_now(retry_after=1800, path_prefix="/v2/tariffs")
    start = len(sim.requests)
    await clock.run_for(3600 + 2400, step=300)
    statuses = [r.status for r in tariff_requests(sim, start)]
    # One 429, then nothing until ev.energy's wait and the reader's own retry have passed; then read again.
    assert statuses[0] == 429
    assert statuses[1:] == [200]
    assert tariff_state(hass, sim, "electricity_price").state != STATE_UNAVAILABLE
    assert shown != STATE_UNAVAILABLE


async def test_diagnostics_show_the_reader_without_the_tariff_id(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    reference: Reference,
) -> None:
    tariff = await reference.tariff()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    reader = diagnostics["tariff"]
    assert reader["has_tariff"] is True
    assert reader["currency"] == tariff["currency"]
    assert reader["intervals"] > 0
    assert reader["refused_scope"] is None
    assert tariff["id"] not in str(diagnostics)


async def test_the_options_form_keeps_the_window_when_the_secret_is_refused(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    flow = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"webhook_secret": "not a secret", "cheapest_window_minutes": 90}
    )
    assert result["errors"] == {"base": "invalid_secret"}
    (window,) = (key for key in result["data_schema"].schema if key == "cheapest_window_minutes")
    assert window.description == {"suggested_value": 90}
    assert "cheapest_window_minutes" not in integration.options
