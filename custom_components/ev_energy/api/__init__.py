"""Asyncio client for the ev.energy v2 REST API.

Independent of Home Assistant: it needs only aiohttp, mashumaro, orjson and yarl.

    async with aiohttp.ClientSession() as session:
        client = EvEnergyClient(session, StaticTokenAuth("token"))
        for vehicle in await client.list_vehicles(expand=["latest_status_log"]):
            ...
"""

from .auth import AbstractAuth, StaticTokenAuth
from .client import EvEnergyClient, format_datetime
from .const import DEFAULT_BASE_URL, DEFAULT_MAX_PAGES, MAX_RETRY_AFTER_SECONDS, __version__
from .exceptions import (
    EvEnergyAuthError,
    EvEnergyBadRequestError,
    EvEnergyConflictError,
    EvEnergyConnectionError,
    EvEnergyDeviceUnreachableError,
    EvEnergyError,
    EvEnergyForbiddenError,
    EvEnergyIncompleteListError,
    EvEnergyInvalidResponseError,
    EvEnergyNotFoundError,
    EvEnergyRateLimitError,
    EvEnergyServerError,
    EvEnergyTimeoutError,
)
from .item_list import DroppedItem, ItemList
from .models import *  # noqa: F403 - the models package defines __all__
from .models import __all__ as _models_all
from .pagination import IncompleteListReason
from .rate_limit import RateLimitState
from .webhooks import SvixVerifier, WebhookVerificationError, decode_webhook_secret

__all__ = [  # noqa: PLE0604 - extended with the models' names below
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_PAGES",
    "MAX_RETRY_AFTER_SECONDS",
    "AbstractAuth",
    "DroppedItem",
    "EvEnergyAuthError",
    "EvEnergyBadRequestError",
    "EvEnergyClient",
    "EvEnergyConflictError",
    "EvEnergyConnectionError",
    "EvEnergyDeviceUnreachableError",
    "EvEnergyError",
    "EvEnergyForbiddenError",
    "EvEnergyIncompleteListError",
    "EvEnergyInvalidResponseError",
    "EvEnergyNotFoundError",
    "EvEnergyRateLimitError",
    "EvEnergyServerError",
    "EvEnergyTimeoutError",
    "IncompleteListReason",
    "ItemList",
    "RateLimitState",
    "StaticTokenAuth",
    "SvixVerifier",
    "WebhookVerificationError",
    "__version__",
    "decode_webhook_secret",
    "format_datetime",
    *_models_all,
]
