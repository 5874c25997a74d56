"""Every device kind of kinds.py is polled, registered, diagnosed, kept and repaired through the registry.

The home has a charger, a car, a solar inverter and a home battery: one device of each kind. Each check loops over
``KINDS``, so a kind added to the registry is checked here as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_energy import async_remove_config_entry_device
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.kinds import KINDS, AnyKind
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator, run_simulator

from .conftest import set_up_entry
from .helpers import device_for


@pytest.fixture
async def simulator(local_sockets: None) -> AsyncIterator[Simulator]:
    """The home scenario with a home battery: one device of every kind."""
    async with run_simulator("home", home_battery=True) as sim:
        yield sim


def _owned(sim: Simulator, kind: AnyKind) -> list[str]:
    """Return the ids of the account's devices of a kind, as the simulator holds them."""
    devices = getattr(sim.state, kind.collection)
    return [device.id for device in devices.values() if device.user_id == sim.primary_user_id]


async def test_every_kind_is_read_with_its_expansions_and_its_devices_registered(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    for kind in KINDS:
        reads = [entry for entry in sim.requests if entry.path == f"/v2/{kind.collection}"]
        assert reads, f"{kind.collection} were polled"
        assert all(entry.query.get("expand") == list(kind.expand) for entry in reads)
        assert all(entry.status == 200 for entry in reads)
        owned = _owned(sim, kind)
        assert owned, f"the home has {kind.collection}"
        for device_id in owned:
            device = device_for(hass, device_id)
            assert device is not None, f"{kind.collection} {device_id} is registered"
            assert device.manufacturer, "registered with its expanded maker"
            # A device ev.energy lists cannot be deleted by hand.
            assert not await async_remove_config_entry_device(hass, integration, device)


async def test_diagnostics_show_every_kind(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert list(diagnostics["data"]) == [*(kind.collection for kind in KINDS), "account"]
    for kind in KINDS:
        owned = _owned(sim, kind)
        assert len(diagnostics["data"][kind.collection]) == len(owned)
        device = device_for(hass, owned[0])
        assert device is not None
        shown = await get_diagnostics_for_device(hass, hass_client, integration, device)
        assert shown["device"] is not None, kind.collection


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.collection)
async def test_a_kind_without_its_scope_raises_its_repair_and_leaves_the_others(
    hass: HomeAssistant, sim: Simulator, credentials: None, kind: AnyKind
) -> None:
    entry = await set_up_entry(hass, sim, scopes=ALL_SCOPES - {kind.read_scope})

    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_missing_scope_{kind.collection}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"scope": kind.read_scope}
    assert all(device_for(hass, device_id) is None for device_id in _owned(sim, kind))
    for other in KINDS:
        if other is not kind:
            assert all(device_for(hass, device_id) for device_id in _owned(sim, other))
    await hass.config_entries.async_unload(entry.entry_id)
