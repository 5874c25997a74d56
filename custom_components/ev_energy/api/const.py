"""Constants of the ev.energy API client."""

from __future__ import annotations

from typing import Final

__version__: Final = "0.1.0"

DEFAULT_BASE_URL: Final = "https://api.ev.energy/v2"
DEFAULT_REQUEST_TIMEOUT: Final = 30.0
# The only API version; the server pins clients to the version current at their
# creation unless told, so we always say which one we speak.
API_VERSION: Final = "2"
# The API's maximum; fewer pages means fewer requests against the hourly rate limit.
PAGE_SIZE: Final = 100
# Big enough for any real fleet or a day of 1-minute status logs (5,000 items),
# small enough that a server that never ends a list is noticed within 50 requests.
DEFAULT_MAX_PAGES: Final = 50
# The longest wait a Retry-After header can ask for (one day): larger values, however
# written, are capped so they can never overflow a timedelta or stall a caller for ever.
MAX_RETRY_AFTER_SECONDS: Final = 86_400.0

USER_AGENT_PRODUCT: Final = "ev-energy-python"

HEADER_API_VERSION: Final = "EvEnergy-Version"
HEADER_RATE_LIMIT: Final = "x-ratelimit-limit"
HEADER_RATE_LIMIT_REMAINING: Final = "x-ratelimit-remaining"
# The docs, the spec and the wire disagree on the spelling; header lookup is
# case-insensitive, so these two cover Retry-After, RetryAfter and retry-after.
HEADERS_RETRY_AFTER: Final = ("Retry-After", "RetryAfter")
