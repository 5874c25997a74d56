"""Names users can tell apart, on entities that keep their unique ids (and so their history)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.testing import Simulator

from .helpers import device_for, state


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
