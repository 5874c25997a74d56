"""Repair issues: things only the user can fix, raised and cleared from what each poll sees."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import IntegrationStatus
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
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
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
