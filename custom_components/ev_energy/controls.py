"""Writes to ev.energy from controls: refused while rate limited, every refusal a translated error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.exceptions import HomeAssistantError

from .api import (
    EvEnergyConflictError,
    EvEnergyDeviceUnreachableError,
    EvEnergyError,
    EvEnergyForbiddenError,
)
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator


async def send_command[T](
    coordinator: EvEnergyCoordinator, write: Callable[[], Awaitable[T]], conflict_key: str
) -> T:
    """Send a write to ev.energy; every refusal becomes a translated error.

    ``conflict_key`` names what a 409 means for this command (nothing to boost, not boosting, ...).
    """
    coordinator.check_command_allowed()
    try:
        return await write()
    except EvEnergyConflictError as err:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key=conflict_key) from err
    except EvEnergyDeviceUnreachableError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="device_unreachable"
        ) from err
    except EvEnergyForbiddenError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="command_forbidden"
        ) from err
    except EvEnergyError as err:
        coordinator.note_command_error(err)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"error": str(err)},
        ) from err
