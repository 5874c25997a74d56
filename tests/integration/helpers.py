"""Finding the integration's entities by the unique ids they are registered with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
import logging
from typing import Any

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest

from custom_components.ev_energy.const import DOMAIN
from simulator.faults import BurstFault
from simulator.testing import Simulator

from .conftest import Clock

# One idle poll at the simulator's default 5-minute reports: polls are timed just after a report (a few seconds
# past it), so waiting exactly 5 minutes can end just before the poll.
IDLE_POLL = 310


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity id registered for a unique id."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity with unique id {unique_id}"
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> State:
    """Return the current state of the entity with this unique id."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    assert current is not None
    return current


def on_off(value: bool | None) -> str:
    """Return how a binary sensor shows a flag."""
    return "on" if value else "off"


def device_for(hass: HomeAssistant, device_id: str) -> dr.DeviceEntry | None:
    """Return the registry device of an ev.energy id (works on every supported Home Assistant)."""
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, device_id) in device.identifiers:
                return device
    return None


async def set_number(hass: HomeAssistant, target: str, value: float | str) -> None:
    """Set a number entity through Home Assistant's service, as a user or an automation does."""
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: target, ATTR_VALUE: value}, blocking=True
    )


async def update_entity(hass: HomeAssistant, target: str) -> None:
    """Ask Home Assistant to refresh an entity now, as a user or an automation does."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant", "update_entity", {ATTR_ENTITY_ID: target}, blocking=True
    )


def reauth_flows(hass: HomeAssistant) -> list[dict[str, object]]:
    """Return the integration's reauthentication flows in progress."""
    return [
        dict(flow)
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"].get("source") == SOURCE_REAUTH
    ]


async def spin(times: int) -> None:
    """Let the event loop run (Home Assistant's frozen clock stops timers, not I/O)."""
    for _ in range(times):
        await asyncio.sleep(0)


async def when_stuck_in(sim: Simulator, fault: BurstFault, operation: Awaitable[Any]) -> Any:
    """Start an operation and return its task once the simulator holds its request (the fault is used)."""
    task: asyncio.Task[Any] = asyncio.ensure_future(operation)
    for _ in range(100_000):
        if fault.remaining == 0 or task.done():
            break
        await asyncio.sleep(0)
    assert fault.remaining == 0, "the request never reached the simulator"
    assert not task.done()
    return task


async def admin(hass: HomeAssistant, sim: Simulator, path: str, body: dict[str, Any]) -> Any:
    """Act on the simulator through its control API over HTTP, as the control page's buttons do."""
    session = async_get_clientsession(hass)
    async with session.post(f"{sim.origin}/_admin/{path}", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def first_report(sim: Simulator, evse_id: str, since: datetime, *, plugged_in: bool) -> datetime:
    """Return when the charger first reported this plug state at or after ``since`` (the simulator's truth)."""
    return next(
        log.sampled_at
        for log in sim.state.evse_logs[evse_id]
        if log.sampled_at >= since and log.is_plugged_in is plugged_in
    )


async def until_shown(
    hass: HomeAssistant, clock: Clock, unique_id: str, shown: str, step: float = 2
) -> datetime:
    """Step the clock until a binary sensor shows ``shown``; return when (within 10 minutes)."""
    for _ in range(round(600 / step)):
        if state(hass, "binary_sensor", unique_id).state == shown:
            return clock.sim.clock.now()
        await clock.advance(step)
    raise AssertionError(f"{unique_id} never showed {shown}")


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the logged records that carry a traceback.

    Newer Home Assistant logs every failed coordinator update's exception at debug level ("Full error:"), for
    every integration; that is the coordinator's own record, not ours, and is left out.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if record.exc_info and not (record.levelno == logging.DEBUG and record.msg == "Full error:")
    ]
