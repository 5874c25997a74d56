"""Access-token providers for the ev.energy API client."""

from __future__ import annotations

from abc import ABC, abstractmethod


class AbstractAuth(ABC):
    """Supplies a valid OAuth 2 access token for each request.

    Implementations refresh the token as needed (e.g. Home Assistant's
    ``OAuth2Session``). Whatever they raise propagates out of the client
    unchanged, so callers can handle token-refresh failures themselves.
    """

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return an access token that is valid now."""


class StaticTokenAuth(AbstractAuth):
    """A fixed access token, for tests and scripts."""

    def __init__(self, token: str) -> None:
        """Remember the token."""
        self._token = token

    async def async_get_access_token(self) -> str:
        """Return the fixed token."""
        return self._token
