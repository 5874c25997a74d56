"""Application credentials for ev.energy: where Home Assistant sends the user to sign in."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer, ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation

from .auth import EvEnergyAuthImplementation
from .const import OAUTH2_AUTHORIZE_PATH, OAUTH2_TOKEN_PATH, api_origin


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Return the OAuth implementation that checks ev.energy's token answers."""
    origin = api_origin()
    return EvEnergyAuthImplementation(
        hass,
        auth_domain,
        credential,
        AuthorizationServer(
            authorize_url=str(origin.with_path(OAUTH2_AUTHORIZE_PATH)),
            token_url=str(origin.with_path(OAUTH2_TOKEN_PATH)),
        ),
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the user how to get credentials and which redirect URI to register."""
    return {
        "developer_url": "https://developers.ev.energy/docs/auth",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
