"""Application credentials for ev.energy: where Home Assistant sends the user to sign in."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant

from .const import OAUTH2_AUTHORIZE_PATH, OAUTH2_TOKEN_PATH, api_origin


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Return ev.energy's OAuth endpoints."""
    origin = api_origin()
    return AuthorizationServer(
        authorize_url=str(origin.with_path(OAUTH2_AUTHORIZE_PATH)),
        token_url=str(origin.with_path(OAUTH2_TOKEN_PATH)),
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the user how to get credentials and which redirect URI to register."""
    return {
        "developer_url": "https://developers.ev.energy/docs/auth",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
