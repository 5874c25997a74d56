"""Repair issues: things only the user can fix, raised and cleared from what each poll sees.

Every issue belongs to one config entry: its id starts with the entry id, so two ev.energy accounts never clear
each other's issues.
"""

from __future__ import annotations

from typing import Any, cast

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .api import EvEnergyError, IntegrationStatus
from .const import DOMAIN
from .gateway import REPAIR
from .kinds import ACCOUNT_SCOPE, KINDS, VEHICLE
from .runtime import EvEnergyConfigEntry

VEHICLE_DISCONNECTED = "vehicle_disconnected"
MISSING_SCOPE = "missing_scope"
# The OAuth scope each read of polling needs: the account's and each kind's list of devices. The readers beside
# polling name theirs in the entry's refused scopes.
SCOPE_OF = {
    "account": ACCOUNT_SCOPE,
    **{kind.collection: kind.read_scope for kind in KINDS},
}


def issue_id(entry_id: str, key: str, subject: str) -> str:
    """Return the id of an entry's issue ``key`` about ``subject`` (a vehicle id, a collection)."""
    return f"{entry_id}_{key}_{subject}"


@callback
def async_update_issues(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Raise and clear the entry's issues from the latest poll."""
    wanted = {**_vehicle_issues(entry), **_scope_issues(entry)}
    for issue, (key, placeholders) in wanted.items():
        # Both are fixable: signing in again, or the car's reconnect link.
        data = {"entry_id": entry.entry_id}
        if key == VEHICLE_DISCONNECTED:
            data["vehicle_id"] = issue.removeprefix(issue_id(entry.entry_id, key, ""))
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue,
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR if key == MISSING_SCOPE else ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders,
            data=cast("dict[str, str | int | float | None]", data),
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
            {"vehicle": str(VEHICLE.device_info(vehicle)["name"])},
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
    } | {
        issue_id(entry.entry_id, MISSING_SCOPE, reader): (MISSING_SCOPE, {"scope": scope})
        for reader, scope in entry.runtime_data.refused_scopes.items()
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


class ReconnectVehicleFlow(RepairsFlow):
    """Shows ev.energy's link where the user reconnects the car to its maker's cloud."""

    def __init__(self, entry: EvEnergyConfigEntry, vehicle_id: str, vehicle_name: str) -> None:
        """Fix one car's connection."""
        self.entry = entry
        self.vehicle_id = vehicle_id
        self.vehicle_name = vehicle_name
        self._link = ""

    # Typed as the reauthentication flow above, with the same ignores for Home Assistant 2026's RepairsFlowResult.
    async def async_step_init(  # type: ignore[override, unused-ignore]
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Ask ev.energy for a reconnect link and show it."""
        gateway = self.entry.runtime_data.gateway
        try:
            reconnection = await gateway.request(
                REPAIR, lambda: gateway.client.reconnect_vehicle(self.vehicle_id)
            )
            self._link = reconnection.url or ""
        except EvEnergyError:
            self._link = ""
        if not self._link:
            return self.async_abort(reason="reconnect_failed")  # type: ignore[return-value, unused-ignore]
        return await self.async_step_confirm()

    async def async_step_confirm(  # type: ignore[override, unused-ignore]
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Show the link; the issue goes away by itself once ev.energy reaches the car again."""
        if user_input is not None:
            return self.async_create_entry(data={})  # type: ignore[return-value, unused-ignore]
        return self.async_show_form(  # type: ignore[return-value, unused-ignore]
            step_id="confirm",
            data_schema=vol.Schema({}),  # type: ignore[arg-type, unused-ignore]
            description_placeholders={"vehicle": self.vehicle_name, "url": self._link},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes an issue: the car's reconnect link, or signing in again."""
    entry_id = str((data or {})["entry_id"])
    vehicle_id = (data or {}).get("vehicle_id")
    if vehicle_id is None:
        return ReauthenticateFlow(entry_id)
    entry = cast("EvEnergyConfigEntry | None", hass.config_entries.async_get_entry(entry_id))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    if entry is None or issue is None or entry.state is not ConfigEntryState.LOADED:
        # Nothing to ask ev.energy with: the flow only shows the issue's text.
        return ConfirmRepairFlow()
    name = (issue.translation_placeholders or {}).get("vehicle", str(vehicle_id))
    return ReconnectVehicleFlow(entry, str(vehicle_id), name)
