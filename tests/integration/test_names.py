"""Names users can tell apart, on entities that keep their unique ids (and so their history)."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator

from .conftest import set_up_entry
from .helpers import device_for, state

TRANSLATIONS = (
    Path(__file__).resolve().parents[2] / "custom_components" / "ev_energy" / "translations"
)


async def test_the_cars_reported_limit_is_not_named_like_the_control(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    vehicle_id = sim.vehicle_ids[0]
    # The unique id ends in "target_level" since the first release (then named "Charge target").
    reported = state(hass, "sensor", f"{vehicle_id}_target_level")
    control = state(hass, "number", f"{vehicle_id}_target_charge_level")
    car = device_for(hass, vehicle_id)
    assert car is not None
    assert reported.name == f"{car.name} Car's charge limit"
    assert control.name == f"{car.name} Target charge level"


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("language", ["de", "fr", "es", "nl"])
async def test_entity_names_follow_the_language_of_home_assistant(
    hass: HomeAssistant, sim: Simulator, language: str
) -> None:
    names = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))["entity"]
    hass.config.language = language
    entry = await set_up_entry(hass, sim)
    vehicle_id = sim.vehicle_ids[0]
    car = device_for(hass, vehicle_id)
    assert car is not None
    for platform, key in (("sensor", "target_level"), ("number", "target_charge_level")):
        shown = state(hass, platform, f"{vehicle_id}_{key}").name
        assert shown == f"{car.name} {names[platform][key]['name']}"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_charging_calendar_is_not_named_like_the_charging_state(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    """'Charging: On' beside 'Charging: Not charging' on one device page read as a contradiction."""
    vehicle_id = sim.vehicle_ids[0]
    car = device_for(hass, vehicle_id)
    assert car is not None
    calendar = state(hass, "calendar", f"{vehicle_id}_charging_calendar")
    charging = state(hass, "binary_sensor", f"{vehicle_id}_charging")
    assert calendar.name == f"{car.name} Charging schedule"
    assert calendar.entity_id.endswith("_charging_schedule")
    assert calendar.name != charging.name
