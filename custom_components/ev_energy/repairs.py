"""Repair issues: things only the user can fix, raised and cleared from what each poll sees."""

from __future__ import annotations

from typing import cast

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .api import EvEnergyError, IntegrationStatus
from .const import DOMAIN
from .coordinator import EvEnergyConfigEntry
from .entity import VEHICLE, device_info

ISSUE_PREFIX = "vehicle_disconnected_"


def _issue_id(vehicle_id: str) -> str:
    return f"{ISSUE_PREFIX}{vehicle_id}"


@callback
def async_update_vehicle_issues(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Raise an issue for each car whose maker connection ev.energy lost; clear it once reconnected.

    ``INACTIVE`` means ev.energy can no longer reach the car through its maker's cloud: no battery level,
    no smart charging, until the user reconnects the car in the ev.energy app.
    """
    disconnected = {
        _issue_id(vehicle_id): vehicle
        for vehicle_id, vehicle in entry.runtime_data.coordinator.data.vehicles.items()
        if vehicle.integrated is IntegrationStatus.INACTIVE
    }
    for issue_id, vehicle in disconnected.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            data={"entry_id": entry.entry_id, "vehicle_id": vehicle.id},
            translation_key="vehicle_disconnected",
            translation_placeholders={"vehicle": str(device_info(VEHICLE, vehicle)["name"])},
        )
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(ISSUE_PREFIX) and issue_id not in disconnected:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_remove_all_issues(hass: HomeAssistant) -> None:
    """Remove this integration's issues (the entry was removed)."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


class ReconnectVehicleFlow(RepairsFlow):
    """Shows ev.energy's link where the user reconnects the car to its maker's cloud."""

    def __init__(self, entry: EvEnergyConfigEntry, vehicle_id: str, vehicle_name: str) -> None:
        """Fix one car's connection."""
        self.entry = entry
        self.vehicle_id = vehicle_id
        self.vehicle_name = vehicle_name
        self._link = ""

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Ask ev.energy for a reconnect link and show it."""
        try:
            self._link = (
                await self.entry.runtime_data.client.reconnect_vehicle(self.vehicle_id)
            ).url or ""
        except EvEnergyError:
            self._link = ""
        if not self._link:
            return self.async_abort(reason="reconnect_failed")
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Show the link; the issue goes away by itself once ev.energy reaches the car again."""
        if user_input is not None:
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={"vehicle": self.vehicle_name, "url": self._link},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow that fixes an issue: the reconnect link for a disconnected car."""
    entry_id = str((data or {}).get("entry_id"))
    vehicle_id = str((data or {}).get("vehicle_id"))
    entry = cast("EvEnergyConfigEntry | None", hass.config_entries.async_get_entry(entry_id))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    if entry is None or issue is None or entry.state is not ConfigEntryState.LOADED:
        # Nothing to ask ev.energy with: the flow only shows the issue's text.
        return ConfirmRepairFlow()
    name = (issue.translation_placeholders or {}).get("vehicle", vehicle_id)
    return ReconnectVehicleFlow(entry, vehicle_id, name)
