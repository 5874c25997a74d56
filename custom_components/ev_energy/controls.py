"""Writes from the switches and the battery level, through the command gate, with a translated error per refusal.

The gate (`commands.async_send_command`) waits out a 429, refreshes a refused token once, and turns anything else
into ``command_failed``; the refusals these controls can meet are told apart before that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    EvEnergyBadRequestError,
    EvEnergyConflictError,
    EvEnergyDeviceUnreachableError,
    EvEnergyForbiddenError,
)
from .commands import async_send_command
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator


async def send_command[T](
    coordinator: EvEnergyCoordinator, write: Callable[[], Awaitable[T]], conflict_key: str
) -> T:
    """Send a write through the command gate; return ev.energy's answer.

    ``conflict_key`` names what a 409 means for this command (nothing to boost, not boosting, ...); a 503 is an
    unreachable device, a 403 a sign-in without the permission. Then polling runs a few quick polls.
    """

    async def send() -> T:
        try:
            return await write()
        except EvEnergyConflictError as err:
            # Keys that name the conflict ignore the detail; "command_refused" shows it.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=conflict_key,
                translation_placeholders={"error": str(err)},
            ) from err
        except EvEnergyDeviceUnreachableError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="device_unreachable"
            ) from err
        except EvEnergyForbiddenError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="command_forbidden"
            ) from err

    return await async_send_command(coordinator, send, _refused)


def _refused(err: EvEnergyBadRequestError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="command_refused",
        translation_placeholders={"error": str(err)},
    )
