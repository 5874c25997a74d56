"""Svix verification against Svix's published example and the ways a forged message differs from it."""

from __future__ import annotations

import base64

from multidict import CIMultiDict
import pytest

from custom_components.ev_energy.api import (
    SvixVerifier,
    WebhookVerificationError,
    decode_webhook_secret,
)

# The example of docs.svix.com, "Verifying payloads manually" (the simulator's tests check the same vector).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
OTHER_SECRET = "whsec_" + base64.b64encode(b"another endpoint").decode()


def _headers(signature: str = SIGNATURE, timestamp: int = TIMESTAMP) -> dict[str, str]:
    return {"svix-id": MSG_ID, "svix-timestamp": str(timestamp), "svix-signature": signature}


def test_svix_reference_vector_verifies() -> None:
    assert SvixVerifier(SECRET).verify(_headers(), BODY, now=TIMESTAMP) == MSG_ID


def test_header_names_are_case_insensitive_with_a_request_mapping() -> None:
    headers = CIMultiDict({k.title(): v for k, v in _headers().items()})
    assert SvixVerifier(SECRET).verify(headers, BODY, now=TIMESTAMP) == MSG_ID


def test_any_of_several_signatures_may_match() -> None:
    rotated = f"v1,bm90IHRoaXMgb25l v2,whatever {SIGNATURE} v1a,{SIGNATURE[3:]}"
    assert SvixVerifier(SECRET).verify(_headers(rotated), BODY, now=TIMESTAMP) == MSG_ID


@pytest.mark.parametrize(
    ("secret", "headers", "body"),
    [
        pytest.param(OTHER_SECRET, _headers(), BODY, id="other secret"),
        pytest.param(SECRET, _headers(), b'{"test": 2432232315}', id="changed body"),
        pytest.param(SECRET, _headers(timestamp=TIMESTAMP + 1), BODY, id="changed timestamp"),
        pytest.param(SECRET, {**_headers(), "svix-id": "msg_other"}, BODY, id="changed id"),
        pytest.param(SECRET, _headers("v2," + SIGNATURE[3:]), BODY, id="unknown version"),
        pytest.param(SECRET, _headers(SIGNATURE[3:]), BODY, id="no version"),
        pytest.param(SECRET, _headers("v1,not*base64!"), BODY, id="not base64"),
    ],
)
def test_a_forged_message_is_refused(secret: str, headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        SvixVerifier(secret).verify(headers, body, now=TIMESTAMP)


@pytest.mark.parametrize("name", ["svix-id", "svix-timestamp", "svix-signature"])
def test_a_missing_header_is_refused(name: str) -> None:
    headers = {k: v for k, v in _headers().items() if k != name}
    with pytest.raises(WebhookVerificationError, match=f"{name} header missing"):
        SvixVerifier(SECRET).verify(headers, BODY, now=TIMESTAMP)


@pytest.mark.parametrize("offset", [-300, 300])
def test_five_minutes_either_way_is_accepted(offset: int) -> None:
    assert SvixVerifier(SECRET).verify(_headers(), BODY, now=TIMESTAMP - offset) == MSG_ID


@pytest.mark.parametrize("offset", [-301, 301])
def test_older_or_newer_than_five_minutes_is_refused(offset: int) -> None:
    with pytest.raises(WebhookVerificationError, match="too far from now"):
        SvixVerifier(SECRET).verify(_headers(), BODY, now=TIMESTAMP - offset)


def test_the_system_clock_is_the_default_now() -> None:
    with pytest.raises(WebhookVerificationError, match="too far from now"):
        SvixVerifier(SECRET).verify(_headers(), BODY)  # signed in 2021


def test_a_timestamp_that_is_no_unix_time_is_refused() -> None:
    headers = {**_headers(), "svix-timestamp": "2021-02-25T15:02:10Z"}
    with pytest.raises(WebhookVerificationError, match="not a Unix time"):
        SvixVerifier(SECRET).verify(headers, BODY, now=TIMESTAMP)


def test_the_secret_decodes_to_its_key() -> None:
    assert decode_webhook_secret(f"  {OTHER_SECRET}\n") == b"another endpoint"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with whsec_"),
        ("whsec_not base64!", "not valid base64"),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "not valid base64"),
        ("whsec_", "empty"),
    ],
)
def test_a_malformed_secret_is_rejected(secret: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_webhook_secret(secret)
    with pytest.raises(ValueError, match=reason):
        SvixVerifier(secret)


@pytest.mark.parametrize(
    "timestamp",
    ["9" * 400, "-" + "9" * 400, "-1614265330", "1e9", " 1614265330"],
    ids=["400 digits", "hugely negative", "negative", "exponent", "padded"],
)
def test_a_timestamp_beyond_any_unix_time_is_refused_not_a_crash(timestamp: str) -> None:
    with pytest.raises(WebhookVerificationError, match="not a Unix time"):
        SvixVerifier(SECRET).verify(
            {**_headers(), "svix-timestamp": timestamp}, BODY, now=TIMESTAMP
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # aiohttp hands over header bytes that are no UTF-8 as surrogates, which no encoding takes.
        ("svix-id", b"msg_\xff\xfe".decode("utf-8", errors="surrogateescape")),
        ("svix-signature", b"v1,\xff".decode("utf-8", errors="surrogateescape")),
        ("svix-signature", "v1,é"),
        ("svix-timestamp", "٣٣٣"),  # digits, but not ASCII ones
    ],
)
def test_a_header_that_is_not_ascii_is_refused_not_a_crash(name: str, value: str) -> None:
    with pytest.raises(WebhookVerificationError, match="not ASCII"):
        SvixVerifier(SECRET).verify({**_headers(), name: value}, BODY, now=TIMESTAMP)
