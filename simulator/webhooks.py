"""Webhooks the way ev.energy sends them through Svix.

Each message is signed per the Svix scheme: ``svix-signature: v1,<base64 HMAC-SHA256>``
over ``"{svix-id}.{svix-timestamp}.{body}"``, keyed with the base64-decoded part of the
``whsec_`` secret. Failed deliveries are retried with a bounded backoff in simulated time.
``svix-timestamp`` is wall-clock Unix time because receivers check it against their clock.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

import aiohttp

from .clock import Clock
from .timeutil import iso

_LOGGER = logging.getLogger(__name__)
RETRY_BACKOFF_SECONDS = (5, 30, 120, 600, 1800)
MAX_ATTEMPTS = 1 + len(RETRY_BACKOFF_SECONDS)
EVENT_TYPES = ("charging_sub_session.created", "charging_sub_session.ended")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``svix-signature`` value for a message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class WebhookEndpoint:
    """A receiver registered through the portal or from Python."""

    id: str
    url: str
    secret: str
    created_at: datetime


@dataclass
class Delivery:
    """One message to one endpoint, with its attempts."""

    msg_id: str
    endpoint_id: str
    event_type: str
    body: bytes
    next_attempt_at: datetime
    attempts: int = 0
    delivered: bool = False
    failed: bool = False
    statuses: list[int | str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Return whether the message still waits for (another) attempt."""
        return not self.delivered and not self.failed


class WebhookSender:
    """Keeps endpoints and queued messages and delivers them when asked."""

    def __init__(
        self,
        clock: Clock,
        *,
        wall_time: Callable[[], float] = time.time,
        request_timeout: float = 5.0,
    ) -> None:
        """Queue against simulated ``clock``; sign with ``wall_time`` Unix seconds."""
        self._clock = clock
        self._wall_time = wall_time
        self._timeout = request_timeout
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.deliveries: list[Delivery] = []
        self._counter = 0

    def register(self, url: str) -> str:
        """Register an endpoint URL; return its ``whsec_`` secret."""
        self._counter += 1
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        endpoint_id = f"ep_{self._counter:04d}"
        self.endpoints[endpoint_id] = WebhookEndpoint(endpoint_id, url, secret, self._clock.now())
        return secret

    def restore_endpoints(self, endpoints: dict[str, WebhookEndpoint]) -> None:
        """Take the endpoints of a saved world; new IDs continue after theirs."""
        self.endpoints = dict(endpoints)
        numbers = [int(endpoint_id.removeprefix("ep_")) for endpoint_id in endpoints]
        self._counter = max([self._counter, *numbers])

    def enqueue(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue ``{type, timestamp, data}`` for every endpoint."""
        body = json.dumps(
            {"type": event_type, "timestamp": iso(self._clock.now()), "data": data}
        ).encode()
        for endpoint in self.endpoints.values():
            self._counter += 1
            self.deliveries.append(
                Delivery(
                    msg_id=f"msg_{self._counter:08d}{secrets.token_hex(4)}",
                    endpoint_id=endpoint.id,
                    event_type=event_type,
                    body=body,
                    next_attempt_at=self._clock.now(),
                )
            )

    @property
    def pending(self) -> list[Delivery]:
        """Return messages that still wait for an attempt."""
        return [d for d in self.deliveries if d.pending]

    async def deliver_pending(self) -> int:
        """Attempt every message that is due now; return how many were delivered."""
        due = [d for d in self.pending if d.next_attempt_at <= self._clock.now()]
        if not due:
            return 0
        delivered = 0
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for delivery in due:
                if await self._attempt(session, delivery):
                    delivered += 1
        return delivered

    async def _attempt(self, session: aiohttp.ClientSession, delivery: Delivery) -> bool:
        endpoint = self.endpoints.get(delivery.endpoint_id)
        if endpoint is None:
            delivery.failed = True
            return False
        timestamp = int(self._wall_time())
        headers = {
            "content-type": "application/json",
            "svix-id": delivery.msg_id,
            "svix-timestamp": str(timestamp),
            "svix-signature": sign(endpoint.secret, delivery.msg_id, timestamp, delivery.body),
            "svix-event-type": delivery.event_type,
        }
        delivery.attempts += 1
        try:
            async with session.post(endpoint.url, data=delivery.body, headers=headers) as resp:
                status: int | str = resp.status
        except (aiohttp.ClientError, TimeoutError) as err:
            status = type(err).__name__
        delivery.statuses.append(status)
        if isinstance(status, int) and 200 <= status < 300:
            delivery.delivered = True
            return True
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.failed = True
            _LOGGER.info(
                "Giving up on webhook %s after %s attempts", delivery.msg_id, delivery.attempts
            )
        else:
            backoff = RETRY_BACKOFF_SECONDS[delivery.attempts - 1]
            delivery.next_attempt_at = self._clock.now() + timedelta(seconds=backoff)
        return False
