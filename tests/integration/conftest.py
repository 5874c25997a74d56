"""Home Assistant tests of the integration, against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
from datetime import timedelta
import importlib
import time
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_energy.api import models
from custom_components.ev_energy.const import API_ORIGIN_ENV, DOMAIN
from simulator.testing import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Simulator


def _compile_model_parsers() -> None:
    """Compile every model's parser now, before the freezer fixture replaces datetime.

    mashumaro compiles a parser on its first use and bakes in the datetime class it sees; under freezegun
    that is freezegun's class, which the compiled code cannot find later.
    """
    for name in models.__all__:
        model = getattr(models, name)
        if isinstance(model, type) and issubclass(model, models.EvEnergyModel):
            # Parsing {} fails on required fields, but compiles the parser first.
            with contextlib.suppress(Exception):
                model.from_dict({})


_compile_model_parsers()
# Diagnostics import hassio on first use, whose models compile the same way.
importlib.import_module("homeassistant.components.hassio")


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default enabled (as Home Assistant core's fixture does)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/ev_energy."""


@pytest.fixture
async def sim(
    simulator: Simulator, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> Simulator:
    """The home scenario, with Home Assistant's clock at the simulator's time and the integration pointed at it."""
    freezer.move_to(simulator.clock.now())
    monkeypatch.setenv(API_ORIGIN_ENV, simulator.origin)
    return simulator


class Clock:
    """Moves the simulator's world and Home Assistant's clock together."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory) -> None:
        """Bind the two clocks."""
        self.hass, self.sim, self.freezer = hass, sim, freezer

    async def advance(self, seconds: float) -> None:
        """Let time pass, fire Home Assistant's timers, and wait for what they started."""
        self.sim.clock.advance(seconds)
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        # Polls run as background tasks; the next tick would jump past their request timeout.
        await self.hass.async_block_till_done(wait_background_tasks=True)

    async def run_for(self, seconds: float, step: float = 30) -> None:
        """Advance in steps, as time passes for a running Home Assistant."""
        elapsed = 0.0
        while elapsed < seconds:
            await self.advance(min(step, seconds - elapsed))
            elapsed += step


@pytest.fixture
def clock(hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory) -> Clock:
    """The shared clock of Home Assistant and the simulator."""
    return Clock(hass, sim, freezer)


@pytest.fixture
async def credentials(hass: HomeAssistant, sim: Simulator) -> None:
    """The simulator's OAuth client as the user's application credentials."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), DOMAIN
    )


def token_data(sim: Simulator, **kwargs: Any) -> dict[str, Any]:
    """Return a config entry's token as Home Assistant stores it, issued by the simulator."""
    pair = sim.issue_token(**kwargs)
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": 36000,
        "expires_at": time.time() + 36000,
    }


def entry_for(sim: Simulator, **token_kwargs: Any) -> MockConfigEntry:
    """Return an entry for the simulator's account, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Test account",
        unique_id=sim.primary_user_id,
        data={"auth_implementation": DOMAIN, "token": token_data(sim, **token_kwargs)},
    )


async def set_up_entry(hass: HomeAssistant, sim: Simulator, **token_kwargs: Any) -> MockConfigEntry:
    """Add an entry for the simulator's account and set it up."""
    entry = entry_for(sim, **token_kwargs)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
def config_entry(sim: Simulator) -> MockConfigEntry:
    """An entry for the simulator's account, not yet added."""
    return entry_for(sim)


@pytest.fixture
async def integration(
    hass: HomeAssistant, credentials: None, config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """The integration set up against the simulator."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    yield config_entry
    # Stop the coordinator's timers before the simulator goes away (after any reload a test started).
    await hass.async_block_till_done()
    if config_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def credentials_factory(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Point Home Assistant at a simulator of another scenario; return the shared clock."""

    async def point_at(sim: Simulator) -> Clock:
        freezer.move_to(sim.clock.now())
        monkeypatch.setenv(API_ORIGIN_ENV, sim.origin)
        assert await async_setup_component(hass, "application_credentials", {})
        await async_import_client_credential(
            hass, DOMAIN, ClientCredential(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), DOMAIN
        )
        return Clock(hass, sim, freezer)

    return point_at
