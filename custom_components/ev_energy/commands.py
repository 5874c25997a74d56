"""The one way a command reaches ev.energy.

Every write (today the target charge level) goes through `async_send_command`, so all commands share the
polling path's rules: nothing is sent while ev.energy asked us to wait, a refused access token gets one forced
refresh and one retry, a token refused again means the user must sign in again, and a 429 pauses polling too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.util import dt as dt_util

from .api import EvEnergyAuthError, EvEnergyBadRequestError, EvEnergyError, EvEnergyRateLimitError
from .const import DOMAIN
from .coordinator import EvEnergyCoordinator

type RejectionHandler = Callable[[EvEnergyBadRequestError], ServiceValidationError]


async def async_send_command[ResultT](
    coordinator: EvEnergyCoordinator,
    send: Callable[[], Awaitable[ResultT]],
    rejected: RejectionHandler,
) -> ResultT:
    """Send a command and return ev.energy's answer; then poll a few times soon to show its effect.

    ``rejected`` turns ev.energy refusing the request itself (HTTP 400) into the user's validation error.
    Raises translated `HomeAssistantError`s for everything else.
    """
    if blocked := coordinator.budget.seconds_blocked(dt_util.utcnow()):
        raise _rate_limited(blocked)
    try:
        result = await _with_one_token_refresh(coordinator, send)
    except EvEnergyBadRequestError as err:
        raise rejected(err) from err
    except EvEnergyRateLimitError as err:
        # ev.energy counts commands and polls against one bucket: polling waits too.
        now = dt_util.utcnow()
        coordinator.budget.rate_limited(err.retry_after, now)
        raise _rate_limited(coordinator.budget.seconds_blocked(now)) from err
    except EvEnergyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    coordinator.after_command()
    return result


def _rate_limited(seconds: float) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="rate_limited",
        translation_placeholders={"seconds": str(round(seconds))},
    )


async def _with_one_token_refresh[ResultT](
    coordinator: EvEnergyCoordinator, send: Callable[[], Awaitable[ResultT]]
) -> ResultT:
    """Send; a 401 gets one forced token refresh and one retry, a second 401 starts reauthentication.

    A refresh ev.energy refuses (``invalid_grant``) also means the user must sign in again.
    """
    try:
        try:
            return await send()
        except EvEnergyAuthError:
            await coordinator.auth.async_force_refresh()
        return await send()
    except (EvEnergyAuthError, ConfigEntryAuthFailed) as err:
        coordinator.config_entry.async_start_reauth(coordinator.hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="command_unauthorized"
        ) from err
