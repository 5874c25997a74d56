"""Config flow for ev.energy: OAuth 2 through Home Assistant's application credentials."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.helpers import config_entry_oauth2_flow

from .const import DOMAIN, SCOPES


class EvEnergyFlowHandler(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign in to ev.energy and create one entry per ev.energy account."""

    DOMAIN = DOMAIN

    @property
    def logger(self) -> logging.Logger:
        """Return the flow's logger."""
        return logging.getLogger(__name__)

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask for the scopes the entities use."""
        return {"scope": " ".join(SCOPES)}
