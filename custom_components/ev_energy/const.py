"""Constants for the ev.energy integration."""

from __future__ import annotations

import logging
import os
from typing import Final

from yarl import URL

DOMAIN: Final = "ev_energy"
LOGGER = logging.getLogger(__package__)

DEFAULT_API_ORIGIN: Final = "https://api.ev.energy"
# Development setting: points OAuth and the API at another origin (the simulator), read when the integration loads.
API_ORIGIN_ENV: Final = "EV_ENERGY_API_URL"

OAUTH2_AUTHORIZE_PATH: Final = "/o/authorize/"
OAUTH2_TOKEN_PATH: Final = "/o/token/"  # noqa: S105 - a URL path, not a secret
OAUTH2_REVOKE_PATH: Final = "/o/revoke_token/"
API_BASE_PATH: Final = "/v2"

# What the entities need: reading devices and sessions, and writing the vehicle's charge limit and boost; and the
# home's energy flows for the Energy panel.
SCOPES: Final = (
    "user:read",
    "evse:read",
    "vehicle:read",
    "vehicle:write",
    "inverter:read",
    "charging_session:read",
    "charging_session:write",
    "carbon:read",
    "home_energy:read",
    # The tariff's prices (an entry granted before they were asked for keeps working without them).
    "tariff:read",
    "tariff:prices:read",
)


def api_origin() -> URL:
    """Return the ev.energy origin: production, or the EV_ENERGY_API_URL override."""
    override = os.environ.get(API_ORIGIN_ENV, "").strip()
    return URL(override or DEFAULT_API_ORIGIN).with_path("")


def api_base_url() -> str:
    """Return the API root the client talks to (the origin's /v2), for the flow and the entry alike."""
    return str(api_origin().with_path(API_BASE_PATH))
