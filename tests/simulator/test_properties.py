"""Property tests: pagination walks and the engine's invariants hold for any input."""

from __future__ import annotations

import re

from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator.core import Simulator
from simulator.pagination import paginate

ORIGIN = "http://127.0.0.1:1"
NEXT = re.compile(r'<([^>]*)>; rel="next"')


@settings(max_examples=60, deadline=None)  # page_size=1 walks ~130 mocked requests
@given(count=st.integers(0, 130), size=st.integers(1, 100))
def test_following_next_links_visits_every_item_once(count: int, size: int) -> None:
    items = [f"item{n:04d}" for n in range(count)]
    seen: list[str] = []
    url = f"/v2/things?page_size={size}&cpid=x"
    pages = 0
    while url != "about:blank":
        page = paginate(make_mocked_request("GET", url), ORIGIN, items, lambda item: item)
        seen += page.items
        match = NEXT.search(page.link)
        assert match
        url = match.group(1).removeprefix(ORIGIN)
        assert url == "about:blank" or "cpid=x" in url
        pages += 1
    assert seen == items
    assert pages == max(1, -(-count // size))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    steps=st.lists(st.floats(1, 7200), min_size=1, max_size=20),
    limit=st.integers(50, 100),
    boost=st.booleans(),
)
def test_engine_invariants(seed: int, steps: list[float], limit: int, boost: bool) -> None:
    sim = Simulator("home", seed=seed, history_hours=2)
    vehicle = sim.state.vehicles[sim.vehicle_ids[0]]
    evse_id = sim.evse_ids[0]
    vehicle.maximum_charge_limit_percentage = limit
    sim.engine.vehicle_settings_changed(vehicle)
    open_session = next(s for s in sim.state.sessions.values() if s.end is None)
    if boost:
        sim.engine.boost_start(open_session.id)
    start_level = vehicle.charge_level_watt_hours
    for step in steps:
        level = vehicle.charge_level_watt_hours
        sim.clock.advance(step)
        if vehicle.charge_level_watt_hours > level:  # charged in this step
            assert vehicle.charge_level_watt_hours <= vehicle.limit_watt_hours
    readings = [log.meter_reading_watt_hours or 0 for log in sim.state.evse_logs[evse_id]]
    assert readings == sorted(readings)
    delivered = sum(s.energy_delivered_watt_hours for s in sim.state.sub_sessions.values())
    evse = sim.state.evses[evse_id]
    assert evse.delivered_watt_hours == delivered
    for sub in sim.state.sub_sessions.values():
        assert sum(i.watt_hours for i in sub.intervals.values()) == sub.energy_delivered_watt_hours
        assert 0 <= sub.solar_energy_delivered_watt_hours <= sub.energy_delivered_watt_hours
    assert (
        vehicle.charge_level_watt_hours
        >= min(start_level, vehicle.battery_size_watt_hours * 0.05) - 1
    )
