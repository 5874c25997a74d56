"""Devices leave Home Assistant only when they certainly left the account; the user's settings survive faults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.devices import ABSENT_FOR
from simulator.testing import Simulator

from .conftest import Clock
from .helpers import IDLE_POLL, device_for, entity_id, state

DAY = ABSENT_FOR.total_seconds()


def _customise(hass: HomeAssistant, device_id: str) -> tuple[str, str]:
    """Give a device a name and an area, hide one of its entities and disable another, as a user would."""
    device = device_for(hass, device_id)
    assert device is not None
    dr.async_get(hass).async_update_device(
        device.id, name_by_user="Garage charger", area_id="garage"
    )
    entities = er.async_get(hass)
    hidden = entity_id(hass, "sensor", f"{device_id}_charge_power")
    disabled = entity_id(hass, "binary_sensor", f"{device_id}_plugged_in")
    entities.async_update_entity(hidden, hidden_by=er.RegistryEntryHider.USER)
    entities.async_update_entity(disabled, disabled_by=er.RegistryEntryDisabler.USER)
    return hidden, disabled


def _settings(hass: HomeAssistant, device_id: str) -> tuple[object, ...]:
    device = device_for(hass, device_id)
    assert device is not None
    entries = er.async_entries_for_device(
        er.async_get(hass), device.id, include_disabled_entities=True
    )
    return (
        device.id,
        device.name_by_user,
        device.area_id,
        sorted(
            (entry.id, entry.entity_id, entry.hidden_by, entry.disabled_by) for entry in entries
        ),
    )


async def test_a_charger_missing_from_one_answer_keeps_its_entities_and_the_users_settings(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    evse_id = sim.evse_ids[0]
    hidden, _ = _customise(hass, evse_id)
    await hass.async_block_till_done()
    before = _settings(hass, evse_id)

    # The list leaves the charger out for one poll; its own GET fails too, so nothing proves it gone.
    evse = sim.state.evses.pop(evse_id)
    sim.faults.server_errors(1, status=500, path_prefix=f"/v2/evses/{evse_id}")
    await clock.run_for(IDLE_POLL, step=60)
    assert device_for(hass, evse_id) is not None
    assert hass.states.get(hidden).state == "unavailable"
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "unavailable"

    sim.state.evses[evse_id] = evse
    await clock.run_for(IDLE_POLL, step=60)
    assert _settings(hass, evse_id) == before
    assert "already exists" not in caplog.text, "its entities were not added a second time"
    assert state(hass, "binary_sensor", f"{evse_id}_online").state == "on"
    assert float(hass.states.get(hidden).state) * 1000 == pytest.approx(
        sim.state.evse_logs[evse_id][-1].charge_rate_watts, abs=1
    )


async def test_a_charger_is_removed_after_a_day_missing_also_across_a_restart(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    evse_id = sim.evse_ids[0]
    sim.faults.remove_evse(evse_id)
    # Its own GET does not answer, so only time can tell.
    sim.faults.server_errors(1, status=502, path_prefix=f"/v2/evses/{evse_id}")
    await clock.run_for(600, step=60)
    await clock.run_for(DAY / 2, step=3600)
    assert device_for(hass, evse_id) is not None

    # A restart continues the wait where it was; it neither starts it again nor skips it.
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    await clock.run_for(DAY / 2 - 3600, step=3600)
    assert device_for(hass, evse_id) is not None
    await clock.run_for(3600 + 600, step=300)
    assert device_for(hass, evse_id) is None
    assert not [r for r in sim.requests if r.path == f"/v2/evses/{evse_id}" and r.status == 404]


async def test_a_404_on_the_device_itself_removes_it_at_once(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    inverter_id = sim.inverter_ids[0]
    sim.state.inverters.pop(inverter_id)
    await clock.run_for(IDLE_POLL, step=60)
    assert device_for(hass, inverter_id) is None
    lookups = [r for r in sim.requests if r.path == f"/v2/inverters/{inverter_id}"]
    assert [r.status for r in lookups] == [404], "one request asks, only once"
    assert device_for(hass, sim.evse_ids[0]) is not None


def _device_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    }


@pytest.mark.parametrize(
    ("fault", "pages_at_first"),
    [
        pytest.param(lambda sim: sim.faults.endless_pagination("/v2/evses"), 10, id="never ends"),
        pytest.param(
            lambda sim: sim.faults.endless_pagination("/v2/evses", loop=True), 2, id="loops"
        ),
        pytest.param(
            lambda sim: sim.faults.foreign_next_link("/v2/evses"), 1, id="next on another server"
        ),
        pytest.param(
            lambda sim: sim.faults.malformed_next_link("/v2/evses"), 1, id="unreadable next link"
        ),
    ],
)
async def test_a_list_cut_short_still_shows_its_devices_removes_none_and_costs_little(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    *,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Callable[[Simulator], None],
    pages_at_first: int,
) -> None:
    devices = _device_ids(hass, integration)
    fault(sim)
    mark = len(sim.requests)
    await clock.run_for(3600, step=60)

    coordinator = integration.runtime_data.coordinator
    assert coordinator.last_update_success, "the charger the first page holds is still data"
    assert state(hass, "sensor", f"{sim.evse_ids[0]}_charge_power").state != "unavailable"
    assert _device_ids(hass, integration) == devices, "nothing removed"
    assert caplog.text.count("ev.energy's list of evses was cut short") == 1, "logged once"
    # The walk that found the fault read its pages; every poll after it one page, not fifty.
    polls = [r for r in sim.requests[mark:] if r.path == "/v2/vehicles"]  # one read a poll
    lists = [r for r in sim.requests[mark:] if r.path == "/v2/evses"]
    assert len(lists) <= pages_at_first + len(polls), (len(lists), len(polls))

    sim.faults.clear()
    await clock.run_for(3600, step=60)
    assert "ev.energy's list of evses is complete again" in caplog.text
    assert coordinator.last_update_success


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("location", "nowhere"),  # the item is dropped, its id reported
        ("id", 12345),  # the item is dropped and no id is known: it could be any charger
    ],
)
@pytest.mark.usefixtures("integration")
async def test_an_unparsable_charger_stays_with_its_entities_unavailable(
    hass: HomeAssistant, sim: Simulator, clock: Clock, field: str, value: object
) -> None:
    evse_id = sim.evse_ids[0]
    device = device_for(hass, evse_id)
    sim.faults.unknown_enum(f"evses.*.{field}", value)
    await clock.run_for(DAY + 3600, step=3600)
    assert device_for(hass, evse_id) == device
    assert state(hass, "sensor", f"{evse_id}_charge_power").state == "unavailable"
    assert state(hass, "sensor", f"{sim.vehicle_ids[0]}_battery_level").state != "unavailable"
    assert not [r for r in sim.requests if r.path == f"/v2/evses/{evse_id}"]


async def test_a_rate_limited_lookup_is_obeyed_and_the_device_waits_its_day(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    inverter_id = sim.inverter_ids[0]
    sim.state.inverters.pop(inverter_id)
    sim.faults.rate_limit_now(retry_after=600, path_prefix=f"/v2/inverters/{inverter_id}")
    start = len(sim.requests)
    await clock.run_for(1200, step=60)
    assert device_for(hass, inverter_id) is not None
    lookups = [r for r in sim.requests[start:] if r.path == f"/v2/inverters/{inverter_id}"]
    assert [r.status for r in lookups] == [429], "asked once, when it went missing"
    blocked = [r for r in sim.requests[start:] if r.time - lookups[0].time < timedelta(minutes=10)]
    assert blocked[-1] is lookups[0], "nothing sent inside the 429's wait"

    await clock.run_for(DAY, step=3600)
    assert device_for(hass, inverter_id) is None


async def test_a_device_of_unknown_kind_is_kept_while_a_collection_cannot_be_read(
    hass: HomeAssistant, sim: Simulator, clock: Clock, integration: MockConfigEntry
) -> None:
    # A device from before the integration recorded which collection lists it.
    leftover = dr.async_get(hass).async_get_or_create(
        config_entry_id=integration.entry_id,
        identifiers={(DOMAIN, "evse01LEFTOVER0000000000000000")},
    )
    sim.faults.server_errors(100_000, status=403, path_prefix="/v2/inverters")
    await clock.run_for(DAY + 3600, step=3600)
    assert dr.async_get(hass).async_get(leftover.id) is not None
    assert device_for(hass, sim.inverter_ids[0]) is not None

    sim.faults.clear()
    await clock.run_for(DAY + 3600, step=3600)
    assert dr.async_get(hass).async_get(leftover.id) is None
    assert device_for(hass, sim.inverter_ids[0]) is not None
