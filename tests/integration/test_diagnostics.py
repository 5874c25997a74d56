"""Diagnostics help debugging without leaking tokens, identity, addresses or serials."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulator.testing import Simulator

from .conftest import Clock
from .helpers import device_for


def _secrets(sim: Simulator, entry: MockConfigEntry) -> list[str]:
    user = sim.state.users[sim.primary_user_id]
    token = entry.data["token"]
    return [
        token["access_token"],
        token["refresh_token"],
        user.email,
        user.full_name,
        user.postal_code,
        str(user.latitude),
        *(evse.cpid for evse in sim.state.evses.values()),
    ]


async def test_entry_diagnostics_show_polling_and_devices_but_no_secret(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    text = json.dumps(diagnostics)
    for secret in _secrets(sim, integration):
        assert secret not in text
    assert diagnostics["last_update_success"] is True
    assert diagnostics["polling"]["requests_per_cycle"] > 0
    assert len(diagnostics["data"]["evses"]) == len(sim.evse_ids)
    assert len(diagnostics["data"]["vehicles"]) == len(sim.vehicle_ids)


async def test_device_diagnostics_show_the_device_but_no_secret(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    device = device_for(hass, sim.evse_ids[0])
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, integration, device)
    text = json.dumps(diagnostics)
    for secret in _secrets(sim, integration):
        assert secret not in text
    # The home scenario starts with the car just home, plugged in at the charger.
    assert sim.state.evse_logs[sim.evse_ids[0]][-1].is_plugged_in is True
    assert diagnostics["device"]["latest_status_log"]["is_plugged_in"] is True


async def test_entry_diagnostics_show_refused_reads_and_missing_devices(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    sim.faults.server_errors(100_000, status=403, path_prefix="/v2/inverters")
    vehicle_id = sim.vehicle_ids[0]
    sim.state.vehicles.pop(vehicle_id)
    # Every read below the car fails (its lookup, and its location logs the location reader asks for).
    sim.faults.server_errors(100_000, status=500, path_prefix=f"/v2/vehicles/{vehicle_id}")
    await clock.run_for(600, step=60)
    polling = (await get_diagnostics_for_config_entry(hass, hass_client, integration))["polling"]
    assert polling["forbidden"] == ["inverters"]
    assert polling["missing_devices"] == 1
    assert polling["blocked_seconds"] == 0


async def test_entry_diagnostics_show_the_sessions_reader_without_ids(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    sessions = diagnostics["sessions"]
    truth = [s for s in sim.state.sub_sessions.values() if s.user_id == sim.primary_user_id]
    assert sessions["sub_sessions_held"] == len(truth)
    # Every sub-session's energy usage came with the same reads, for the hourly statistics.
    assert sessions["charging_statistics"]["sub_sessions"] == len(truth)
    assert sessions["sub_sessions_open"] == sum(1 for s in truth if s.end is None)
    assert sessions["sent_last_hour"] == sum(
        1 for r in sim.requests if r.path.startswith("/v2/charging_")
    )
    assert sessions["interval_seconds"] == 300
    # No recorder runs here: the statistics' hours wait for it (counted, their ids left out).
    waiting = diagnostics["statistics"]
    assert waiting["waiting_for_import"] == 11, "a charger's and a car's four, the home's three"
    assert waiting["hours_waiting"] > 0
    text = json.dumps(diagnostics)
    assert not any(sub.id in text for sub in truth)
