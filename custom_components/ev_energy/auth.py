"""Home Assistant's OAuth 2 session as the access-token source of the ev.energy client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import cast

from aiohttp import ClientError, ClientResponseError
from homeassistant.components.application_credentials import AuthImplementation
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from .api import AbstractAuth, EvEnergyConnectionError
from .api.const import DEFAULT_REQUEST_TIMEOUT
from .const import DOMAIN, LOGGER, OAUTH2_REVOKE_PATH, api_origin

# A token request gets as long as an API request: a hanging token endpoint must not hold up polls.
TOKEN_REQUEST_TIMEOUT = DEFAULT_REQUEST_TIMEOUT
# Revoking is a courtesy on the way out: removing the entry never waits longer than this for it.
REVOKE_TIMEOUT = 5.0
# RFC 6749 makes expires_in optional. Without a usable one the token is kept and assumed to last this long; a 401
# before then refreshes it at once (ConfigEntryAuth.async_force_refresh).
ASSUMED_TOKEN_LIFETIME = 3600


class InvalidTokenAnswerError(ValueError):
    """The token endpoint answered 200 with something that is not a usable token."""


class EvEnergyAuthImplementation(AuthImplementation):
    """The application-credentials implementation, refusing token answers it cannot use.

    A malformed answer raises before Home Assistant stores it, so the entry keeps its refresh token.
    """

    async def _token_request(self, data: dict[str, str]) -> dict[str, object]:
        try:
            answer: object = await super()._token_request(data)
        except ValueError as err:  # the body is not JSON (cut off, or a proxy's page)
            raise InvalidTokenAnswerError("the token answer is not JSON") from err
        return _checked_token(answer)


def _checked_token(answer: object) -> dict[str, object]:
    if not isinstance(answer, dict):
        raise InvalidTokenAnswerError("the token answer is not a JSON object")
    token = cast("dict[str, object]", answer)
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise InvalidTokenAnswerError("the token answer has no access token")
    refresh_token = token.get("refresh_token", "kept")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise InvalidTokenAnswerError("the token answer has an unusable refresh token")
    token["expires_in"] = _lifetime(token.get("expires_in"))
    return token


def _lifetime(expires_in: object) -> int:
    """Return the token's lifetime in seconds; an absent or unreadable one must not cost the rotated tokens."""
    if not isinstance(expires_in, bool) and isinstance(expires_in, int | float | str):
        try:
            lifetime = int(expires_in)
        except ValueError:
            pass
        else:
            if lifetime > 0:
                return lifetime
    LOGGER.debug("The token answer has no usable lifetime (%r): assuming one hour", expires_in)
    return ASSUMED_TOKEN_LIFETIME


class ConfigEntryAuth(AbstractAuth):
    """Gives the client a valid token, refreshing (and storing the rotated refresh token) when needed.

    A refresh ev.energy refuses (``invalid_grant`` and other 4xx) means the user must sign in again; a 429,
    a 5xx, no answer in time or an answer that is no token is temporary and must never start
    reauthentication.
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
            async with asyncio.timeout(TOKEN_REQUEST_TIMEOUT):
                await refresh()
        except ClientResponseError as err:
            if _is_refused(err.status):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="token_refused"
                ) from err
            raise EvEnergyConnectionError(f"token refresh failed with HTTP {err.status}") from err
        except InvalidTokenAnswerError as err:
            raise EvEnergyConnectionError(f"token refresh failed: {err}") from err
        except (ClientError, TimeoutError) as err:
            raise EvEnergyConnectionError("token refresh failed: no answer") from err


def _is_refused(status: int) -> bool:
    return status != HTTPStatus.TOO_MANY_REQUESTS and 400 <= status < 500


async def async_revoke_tokens(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Ask ev.energy to revoke the entry's refresh and access tokens (RFC 7009); best effort, bounded."""
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
    except ValueError:
        LOGGER.debug("The application credentials are gone; the tokens cannot be revoked")
        return
    if not isinstance(implementation, config_entry_oauth2_flow.LocalOAuth2Implementation):
        return  # pragma: no cover - ev.energy only has application credentials
    token: Mapping[str, object] = entry.data.get("token", {})
    try:
        async with asyncio.timeout(REVOKE_TIMEOUT):
            # The refresh token first: once it is gone, no new access token can be made.
            for hint in ("refresh_token", "access_token"):
                if isinstance(value := token.get(hint), str):
                    await _revoke(hass, implementation, value, hint)
    except (ClientError, TimeoutError) as err:
        LOGGER.warning("Could not revoke the ev.energy tokens of the removed entry: %r", err)


async def _revoke(
    hass: HomeAssistant,
    implementation: config_entry_oauth2_flow.LocalOAuth2Implementation,
    token: str,
    hint: str,
) -> None:
    form = {
        "token": token,
        "token_type_hint": hint,
        "client_id": implementation.client_id,
        "client_secret": implementation.client_secret,
    }
    url = str(api_origin().with_path(OAUTH2_REVOKE_PATH))
    async with async_get_clientsession(hass).post(url, data=form) as response:
        if response.status >= HTTPStatus.BAD_REQUEST:
            LOGGER.warning("ev.energy refused to revoke the %s (HTTP %s)", hint, response.status)
