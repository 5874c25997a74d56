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
