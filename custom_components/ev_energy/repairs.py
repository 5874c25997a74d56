"""Repair issues: things only the user can fix, raised and cleared from what each poll sees.

Every issue belongs to one config entry: its id starts with the entry id, so two ev.energy accounts never clear
each other's issues.
"""

from __future__ import annotations

from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import IntegrationStatus
from .const import DOMAIN
from .coordinator import EvEnergyConfigEntry
from .entity import VEHICLE, device_info

VEHICLE_DISCONNECTED = "vehicle_disconnected"
MISSING_SCOPE = "missing_scope"
# The OAuth scope each read needs.
SCOPE_OF = {
    "evses": "evse:read",
    "vehicles": "vehicle:read",
    "inverters": "inverter:read",
    "account": "user:read",
}


def issue_id(entry_id: str, key: str, subject: str) -> str:
    """Return the id of an entry's issue ``key`` about ``subject`` (a vehicle id, a collection)."""
    return f"{entry_id}_{key}_{subject}"


@callback
def async_update_issues(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Raise and clear the entry's issues from the latest poll."""
    wanted = {**_vehicle_issues(entry), **_scope_issues(entry)}
    for issue, (key, placeholders) in wanted.items():
        fixable = key == MISSING_SCOPE
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue,
            is_fixable=fixable,
            severity=ir.IssueSeverity.ERROR if fixable else ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders,
            data={"entry_id": entry.entry_id} if fixable else None,
        )
    for existing in _entry_issue_ids(hass, entry.entry_id) - wanted.keys():
        ir.async_delete_issue(hass, DOMAIN, existing)


def _vehicle_issues(entry: EvEnergyConfigEntry) -> dict[str, tuple[str, dict[str, str]]]:
    """An issue for each car whose maker connection ev.energy lost.

    ``INACTIVE`` means ev.energy can no longer reach the car through its maker's cloud: no battery level,
    no smart charging, until the user reconnects the car in the ev.energy app.
    """
    return {
        issue_id(entry.entry_id, VEHICLE_DISCONNECTED, vehicle_id): (
            VEHICLE_DISCONNECTED,
            {"vehicle": str(device_info(VEHICLE, vehicle)["name"])},
        )
        for vehicle_id, vehicle in entry.runtime_data.coordinator.data.vehicles.items()
        if vehicle.integrated is IntegrationStatus.INACTIVE
    }


def _scope_issues(entry: EvEnergyConfigEntry) -> dict[str, tuple[str, dict[str, str]]]:
    """An issue for each read ev.energy refused (403): the sign-in lacks its scope."""
    return {
        issue_id(entry.entry_id, MISSING_SCOPE, name): (
            MISSING_SCOPE,
            {"scope": SCOPE_OF[name]},
        )
        for name in entry.runtime_data.coordinator.forbidden
    }


def _entry_issue_ids(hass: HomeAssistant, entry_id: str) -> set[str]:
    return {
        issue
        for domain, issue in ir.async_get(hass).issues
        if domain == DOMAIN and issue.startswith(f"{entry_id}_")
    }


@callback
def async_remove_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove one entry's issues (the entry was removed); other entries keep theirs."""
    for issue in _entry_issue_ids(hass, entry_id):
        ir.async_delete_issue(hass, DOMAIN, issue)


class ReauthenticateFlow(ConfirmRepairFlow):
    """Confirming the issue starts signing in again, to grant the missing scope."""

    def __init__(self, entry_id: str) -> None:
        """Fix an issue of this entry."""
        self.entry_id = entry_id

    # Home Assistant 2026 types repair flow results as RepairsFlowResult, which 2025.4 does not have: the
    # ignores hold on the newer version and are unused on the older.
    async def async_step_confirm(  # type: ignore[override, unused-ignore]
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Start the entry's reauthentication once the user confirms."""
        if user_input is not None and (
            entry := self.hass.config_entries.async_get_entry(self.entry_id)
        ):
            entry.async_start_reauth(self.hass)
        return await super().async_step_confirm(user_input)  # type: ignore[return-value, unused-ignore]


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes an issue: signing in again."""
    return ReauthenticateFlow(str((data or {})["entry_id"]))
