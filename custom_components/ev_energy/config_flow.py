"""Config flow for ev.energy: OAuth 2 through Home Assistant's application credentials."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import EvEnergyClient, EvEnergyError, StaticTokenAuth, User
from .const import DOMAIN, SCOPES, api_base_url

_LOGGER = logging.getLogger(__name__)


class EvEnergyFlowHandler(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign in to ev.energy; one entry per ev.energy account."""

    DOMAIN = DOMAIN
    VERSION = 1

    @property
    def logger(self) -> logging.Logger:
        """Return the flow's logger."""
        return _LOGGER

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask for the scopes the entities use."""
        return {"scope": " ".join(SCOPES)}

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start over when ev.energy refused our tokens."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user why they must sign in again."""
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        return await self.async_step_user()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in again, e.g. with new application credentials, keeping the entry."""
        return await self.async_step_user()

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Find whose account this is before creating (or updating) the entry."""
        try:
            user = await self._account_of(data["token"]["access_token"])
        except EvEnergyError as err:
            _LOGGER.debug("Reading the ev.energy account failed: %s", err)
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(user.id)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=data)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(self._get_reconfigure_entry(), data=data)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=user.full_name or "ev.energy", data=data)

    async def _account_of(self, access_token: str) -> User:
        client = EvEnergyClient(
            async_get_clientsession(self.hass),
            StaticTokenAuth(access_token),
            base_url=api_base_url(),
        )
        users = await client.list_users()
        if not users:
            raise EvEnergyError("ev.energy returned no user for this token")
        return users[0]
