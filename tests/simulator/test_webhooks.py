"""Svix-style webhooks: signatures checked by an independent implementation, retries, portal."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import hashlib
import hmac
import json
from pathlib import Path
import re

from aiohttp import web
import pytest

from simulator.webhooks import MAX_ATTEMPTS, sign
from tests.conftest import SimulatorFactory

from .conftest import Api


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and answers with scripted statuses."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the delivery; answer with the next scripted status (default 200)."""
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver(local_sockets: None) -> AsyncIterator[Receiver]:
    """Serve a Receiver on 127.0.0.1."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{port}/hook"
    yield receiver
    await runner.cleanup()


def verify_svix(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Verify a Svix signature from its documented definition (independent of the simulator)."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['svix-id']}.{headers['svix-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, content.encode(), hashlib.sha256).digest()).decode()
    signatures = [
        s.split(",", 1)[1] for s in headers["svix-signature"].split() if s.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, s) for s in signatures)


async def test_endpoints_and_their_secrets_survive_a_restart(
    simulator_factory: SimulatorFactory, receiver: Receiver, tmp_path: Path
) -> None:
    """The demo's push goes on after a simulator restart: Home Assistant keeps the secret it was given."""
    state_file = tmp_path / "simulator-state.json"
    async with simulator_factory("home", state_file=state_file) as sim:
        secret = sim.register_webhook(receiver.url)
    async with simulator_factory("home", state_file=state_file) as again:
        assert again.resumed
        session_id = next(s.id for s in again.state.sessions.values() if s.end is None)
        again.engine.boost_start(session_id)
        assert await again.webhooks.deliver_pending() == 2
        again.register_webhook(receiver.url + "?second")
        assert len(again.webhooks.endpoints) == 2  # the new endpoint's id is not the saved one's
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        assert verify_svix(secret, headers, body)


def _open_session(api: Api) -> str:
    return next(s.id for s in api.sim.state.sessions.values() if s.end is None)


async def test_boost_sends_signed_ended_and_created_events(api: Api, receiver: Receiver) -> None:
    secret = api.sim.register_webhook(receiver.url)
    assert secret.startswith("whsec_")
    await api.request("POST", f"/v2/charging_sessions/{_open_session(api)}/boost_start")
    assert await api.sim.webhooks.deliver_pending() == 2
    events = [json.loads(body) for _headers, body in receiver.received]
    assert [e["type"] for e in events] == [
        "charging_sub_session.ended",
        "charging_sub_session.created",
    ]
    assert events[1]["data"]["mode"] == "BOOST"
    assert events[0]["timestamp"] == "2026-11-20T17:30:00.000000Z"
    for headers, body in receiver.received:
        assert verify_svix(secret, headers, body)
        assert not verify_svix("whsec_" + base64.b64encode(b"wrong key").decode(), headers, body)
        assert headers["svix-event-type"] in {e["type"] for e in events}
    ended = events[0]["data"]
    assert ended == (await api.get(f"/v2/charging_sub_sessions/{ended['id']}")).json()


async def test_failed_deliveries_are_retried_with_backoff_and_the_same_id(
    api: Api, receiver: Receiver
) -> None:
    api.sim.register_webhook(receiver.url)
    receiver.statuses = [500, 503]
    api.sim.engine.boost_start(_open_session(api))
    assert await api.sim.webhooks.deliver_pending() == 0
    assert await api.sim.webhooks.deliver_pending() == 0  # not due yet
    assert len(receiver.received) == 2
    api.sim.clock.advance(5)
    assert await api.sim.webhooks.deliver_pending() == 2
    ids = [headers["svix-id"] for headers, _ in receiver.received]
    assert ids[0] == ids[2]
    assert ids[1] == ids[3]
    assert not api.sim.webhooks.pending


async def test_retries_are_bounded(api: Api, receiver: Receiver) -> None:
    api.sim.register_webhook(receiver.url)
    receiver.statuses = [500] * 20
    api.sim.engine.boost_start(_open_session(api))
    for _ in range(10):
        await api.sim.webhooks.deliver_pending()
        api.sim.clock.advance(3600)
    deliveries = api.sim.webhooks.deliveries
    assert all(d.failed for d in deliveries)
    assert [d.attempts for d in deliveries] == [MAX_ATTEMPTS, MAX_ATTEMPTS]
    assert len(receiver.received) == 2 * MAX_ATTEMPTS


async def test_unreachable_endpoint_counts_as_a_failure(api: Api) -> None:
    api.sim.register_webhook("http://127.0.0.1:9/hook")
    api.sim.engine.boost_start(_open_session(api))
    assert await api.sim.webhooks.deliver_pending() == 0
    assert all(isinstance(d.statuses[0], str) for d in api.sim.webhooks.deliveries)


async def test_no_endpoint_no_messages(api: Api) -> None:
    api.sim.engine.boost_start(_open_session(api))
    assert api.sim.webhooks.deliveries == []
    assert await api.sim.webhooks.deliver_pending() == 0


async def test_plug_in_and_unplug_send_created_and_ended(api: Api, receiver: Receiver) -> None:
    api.sim.register_webhook(receiver.url)
    api.sim.clock.advance(24 * 3600)  # leave in the morning, come back in the evening
    types = [d.event_type for d in api.sim.webhooks.deliveries]
    assert types == ["charging_sub_session.ended", "charging_sub_session.created"]


async def test_portal_page_registers_endpoints(api: Api, receiver: Receiver) -> None:
    portal = (await api.get("/v2/webhook_portal")).json()["url"]
    assert portal.startswith(api.sim.origin + "/_portal/")
    page = await api.get(portal, token=None)
    assert b"<form" in page.body
    invalid = await api.request("POST", portal, data={"url": "ftp://x"}, token=None)
    assert b"Enter an http(s) URL" in invalid.body
    added = await api.request("POST", portal, data={"url": receiver.url}, token=None)
    secret = re.search(rb"id='secret'>(whsec_[^<]+)<", added.body)
    assert secret
    endpoint = next(iter(api.sim.webhooks.endpoints.values()))
    assert endpoint.url == receiver.url
    assert endpoint.secret == secret.group(1).decode()
    bogus = await api.get(api.sim.origin + "/_portal/not-a-token", token=None)
    assert bogus.status == 404


async def test_removed_endpoint_fails_its_pending_messages(api: Api) -> None:
    api.sim.register_webhook("http://127.0.0.1:9/hook")
    api.sim.engine.boost_start(_open_session(api))
    api.sim.webhooks.endpoints.clear()
    assert await api.sim.webhooks.deliver_pending() == 0
    assert all(d.failed for d in api.sim.webhooks.deliveries)


def test_signature_matches_the_svix_reference_vector() -> None:
    """The example from Svix's documentation (docs.svix.com, "Verifying payloads manually")."""

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    body = b'{"test": 2432232314}'
    assert (
        sign(secret, msg_id, 1614265330, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
