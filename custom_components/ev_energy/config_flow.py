"""Config flow for ev.energy: OAuth 2 through Home Assistant's application credentials; options for push."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers import config_entry_oauth2_flow, selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
import voluptuous as vol
from yarl import URL

from .api import (
    EvEnergyClient,
    EvEnergyError,
    EvEnergyIncompleteListError,
    StaticTokenAuth,
    User,
    decode_webhook_secret,
)
from .const import DOMAIN, api_base_url
from .gateway import CONFIG_FLOW
from .kinds import SCOPES
from .runtime import EvEnergyConfigEntry
from .tariff import CONF_CHEAPEST_WINDOW, MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES, window_length
from .webhook import CONF_WEBHOOK_SECRET, async_webhook_url

_LOGGER = logging.getLogger(__name__)


class EvEnergyFlowHandler(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign in to ev.energy; one entry per ev.energy account."""

    DOMAIN = DOMAIN
    VERSION = 1

    @property
    def logger(self) -> logging.Logger:
        """Return the flow's logger."""
        return _LOGGER

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> EvEnergyOptionsFlow:
        """Return the options flow: push through ev.energy's webhooks."""
        return EvEnergyOptionsFlow()

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
            on_request=self._count_in_entry_budget(),
        )
        try:
            users = await client.list_users(max_pages=1)
        except EvEnergyIncompleteListError as err:
            # The token's own user comes first; a next link the walk may not follow (another server, a
            # loop) does not make that first page wrong.
            _LOGGER.debug("Read the first page of users only (%s)", err.reason)
            users = err.items
        if not users:
            raise EvEnergyError("ev.energy returned no user for this token")
        return users[0]

    def _count_in_entry_budget(self) -> Callable[[], None] | None:
        """Count a re-authentication's request in its entry's budget, when the entry is loaded.

        It signs in to the same account (a wrong one is refused right after), so it spends the same bucket; a new
        entry has no budget yet.
        """
        if self.source not in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            return None
        entry: EvEnergyConfigEntry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        if entry.state is not ConfigEntryState.LOADED:
            return None
        return entry.runtime_data.gateway.count_as(CONFIG_FLOW)


class EvEnergyOptionsFlow(OptionsFlow):
    """Push: show where ev.energy should deliver webhooks, and take the endpoint's signing secret."""

    config_entry: EvEnergyConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the webhook URL, a fresh portal link and the secret field; an empty secret turns push off."""
        errors: dict[str, str] = {}
        # Keep options other features may add; only the secret is this step's.
        options = {k: v for k, v in self.config_entry.options.items() if k != CONF_WEBHOOK_SECRET}
        if user_input is not None:
            if CONF_CHEAPEST_WINDOW in user_input:
                # The tariff sensors read it at state time: no reload, no request.
                options[CONF_CHEAPEST_WINDOW] = int(user_input[CONF_CHEAPEST_WINDOW])
            secret = str(user_input.get(CONF_WEBHOOK_SECRET, "")).strip()
            if not secret:
                return self.async_create_entry(data=options)
            try:
                decode_webhook_secret(secret)
            except ValueError:
                errors["base"] = "invalid_secret"
            else:
                return self.async_create_entry(data={**options, CONF_WEBHOOK_SECRET: secret})
        webhook_url, url_error = await self._webhook_url()
        portal_url, portal_error = await self._portal_url()
        if notice := url_error or portal_error or _https_warning(webhook_url):
            errors.setdefault("base", notice)
        current = user_input or self.config_entry.options
        return self.async_show_form(
            step_id="init",
            # Home Assistant 2026 types schemas as probatio's (it accepts voluptuous's): the ignore holds there
            # and is unused on 2025.4.
            data_schema=vol.Schema(  # type: ignore[arg-type, unused-ignore]
                {
                    vol.Optional(
                        CONF_WEBHOOK_SECRET,
                        description={"suggested_value": current.get(CONF_WEBHOOK_SECRET)},
                    ): str,
                    vol.Optional(
                        CONF_CHEAPEST_WINDOW,
                        description={
                            "suggested_value": _window_minutes(self.config_entry, current)
                        },
                    ): _WINDOW_SELECTOR,
                }
            ),
            errors=errors,
            description_placeholders={"webhook_url": webhook_url, "portal_url": portal_url},
        )

    async def _webhook_url(self) -> tuple[str, str]:
        """Return the entry's webhook URL (its id made once and kept), or an error key."""
        entry = self.config_entry
        if not (webhook_id := entry.data.get(CONF_WEBHOOK_ID)):
            webhook_id = webhook.async_generate_id()
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_WEBHOOK_ID: webhook_id}
            )
        try:
            return await async_webhook_url(self.hass, webhook_id), ""
        except NoURLAvailableError:
            return "", "no_url_available"

    async def _portal_url(self) -> tuple[str, str]:
        """Return a fresh one-time link to ev.energy's webhook portal, or an error key."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return "", "portal_unavailable"  # no client to ask with
        gateway = self.config_entry.runtime_data.gateway
        try:
            return await gateway.request(CONFIG_FLOW, gateway.client.get_webhook_portal), ""
        except EvEnergyError as err:
            _LOGGER.debug("Reading the webhook portal link failed: %s", err)
            return "", "portal_unavailable"


_WINDOW_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=MIN_WINDOW_MINUTES,
        max=MAX_WINDOW_MINUTES,
        step=30,
        unit_of_measurement="min",
        mode=selector.NumberSelectorMode.SLIDER,
    )
)


def _window_minutes(entry: EvEnergyConfigEntry, shown: Mapping[str, Any]) -> int:
    """Return the cheapest window's length the form shows: as submitted, else as the entry has it."""
    submitted = shown.get(CONF_CHEAPEST_WINDOW)
    if isinstance(submitted, int | float):
        return int(submitted)
    return int(window_length(entry).total_seconds() // 60)


def _https_warning(webhook_url: str) -> str:
    """Svix delivers only to https:// URLs reachable from the internet."""
    if webhook_url and URL(webhook_url).scheme != "https":
        return "webhook_not_https"
    return ""
