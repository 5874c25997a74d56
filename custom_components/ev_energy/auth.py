"""Home Assistant's OAuth 2 session as the access-token source of the ev.energy client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import ClientError, ClientResponseError
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from .api import AbstractAuth, EvEnergyConnectionError
from .const import DOMAIN


class ConfigEntryAuth(AbstractAuth):
    """Gives the client a valid token, refreshing (and storing the rotated refresh token) when needed.

    A refresh ev.energy refuses (``invalid_grant`` and other 4xx) means the user must sign in again; a 429,
    a 5xx or no answer from the token endpoint is temporary and must never start reauthentication.
    """

    def __init__(self, oauth_session: OAuth2Session) -> None:
        """Wrap the entry's OAuth 2 session."""
        self._session = oauth_session
        # Two refreshes at once would each spend the same rotating refresh token.
        self._lock = asyncio.Lock()

    async def async_get_access_token(self) -> str:
        """Return a valid access token."""
        async with self._lock:
            await self._mapping_token_errors(self._session.async_ensure_token_valid)
        return str(self._session.token["access_token"])

    async def async_force_refresh(self) -> None:
        """Refresh now: the API refused a token that had not expired yet."""
        async with self._lock:
            await self._mapping_token_errors(self._refresh_now)

    async def _refresh_now(self) -> None:
        session = self._session
        new_token = await session.implementation.async_refresh_token(session.token)
        session.hass.config_entries.async_update_entry(
            session.config_entry, data={**session.config_entry.data, "token": new_token}
        )

    @staticmethod
    async def _mapping_token_errors(refresh: Callable[[], Awaitable[None]]) -> None:
        try:
            await refresh()
        except ClientResponseError as err:
            if _is_refused(err.status):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="token_refused"
                ) from err
            raise EvEnergyConnectionError(f"token refresh failed with HTTP {err.status}") from err
        except (ClientError, TimeoutError) as err:
            raise EvEnergyConnectionError("token refresh failed: no answer") from err


def _is_refused(status: int) -> bool:
    return status != HTTPStatus.TOO_MANY_REQUESTS and 400 <= status < 500
