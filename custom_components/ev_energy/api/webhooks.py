"""Verification of ev.energy's webhooks, which Svix signs.

Svix signs ``"{svix-id}.{svix-timestamp}.{body}"`` with HMAC-SHA256, keyed with the base64-decoded part of the
endpoint's ``whsec_`` secret, and sends ``svix-signature: v1,<base64>`` (several space-separated signatures while a
secret is rotated). See https://docs.svix.com/receiving/verifying-payloads/how-manual.

    verifier = SvixVerifier("whsec_...")
    message_id = verifier.verify(request.headers, await request.read())
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import hashlib
import hmac
import re
import time

__all__ = [
    "SECRET_PREFIX",
    "TIMESTAMP_TOLERANCE_SECONDS",
    "SvixVerifier",
    "WebhookVerificationError",
    "decode_webhook_secret",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
# Svix's own libraries refuse messages signed more than 5 minutes before or after the receiver's clock.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
_SIGNATURE_VERSION = "v1"
# A Unix time in whole seconds, as Svix sends it (twelve digits reach the year 33658).
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


class WebhookVerificationError(Exception):
    """A webhook message is not provably from ev.energy (missing header, bad signature, stale timestamp)."""


def decode_webhook_secret(secret: str) -> bytes:
    """Return the HMAC key of a ``whsec_`` signing secret.

    Raises ValueError when the secret lacks the prefix or its rest is not base64.
    """
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as err:
        raise ValueError("the signing secret is not valid base64") from err
    if not key:
        raise ValueError("the signing secret is empty")
    return key


class SvixVerifier:
    """Checks that a webhook message was signed with one endpoint's secret, recently."""

    def __init__(
        self, secret: str, *, tolerance_seconds: float = TIMESTAMP_TOLERANCE_SECONDS
    ) -> None:
        """Verify with ``secret`` (``whsec_...``); raises ValueError when it is malformed."""
        self._key = decode_webhook_secret(secret)
        self._tolerance = tolerance_seconds

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> str:
        """Return the message's ``svix-id`` when the message is authentic and recent.

        ``headers`` is the request's header mapping (case-insensitive, or with lower-case names); ``now`` is the
        receiver's Unix time (default: the system clock). Raises WebhookVerificationError otherwise.
        """
        message_id = _header(headers, "svix-id")
        timestamp = _header(headers, "svix-timestamp")
        signatures = _header(headers, "svix-signature")
        self._check_timestamp(timestamp, time.time() if now is None else now)
        expected = self._sign(message_id, timestamp, body)
        # Compare every offered signature, so the time taken does not tell which one was close.
        matches = [
            hmac.compare_digest(expected, offered.encode())
            for version, offered in _signatures(signatures)
            if version == _SIGNATURE_VERSION
        ]
        if not any(matches):
            raise WebhookVerificationError("no signature matches")
        return message_id

    def _check_timestamp(self, timestamp: str, now: float) -> None:
        # Whole seconds since 1970, as Svix sends them; a 400-digit number would overflow the comparison.
        if not _UNIX_TIME.fullmatch(timestamp):
            raise WebhookVerificationError("svix-timestamp is not a Unix time")
        if abs(now - int(timestamp)) > self._tolerance:
            raise WebhookVerificationError("svix-timestamp is too far from now")

    def _sign(self, message_id: str, timestamp: str, body: bytes) -> bytes:
        content = f"{message_id}.{timestamp}.".encode() + body
        return base64.b64encode(hmac.new(self._key, content, hashlib.sha256).digest())


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"{name} header missing")
    # Svix's ids, timestamps and signatures are ASCII; anything else (bytes that are no UTF-8 arrive as
    # surrogates) cannot be signed by Svix and would not even encode.
    if not value.isascii():
        raise WebhookVerificationError(f"{name} header is not ASCII")
    return value


def _signatures(header: str) -> list[tuple[str, str]]:
    """Split ``"v1,abc v1,def"`` into ``[("v1", "abc"), ("v1", "def")]``."""
    pairs = []
    for part in header.split():
        version, _, signature = part.partition(",")
        pairs.append((version, signature))
    return pairs
