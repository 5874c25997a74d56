"""Push: the simulator delivers signed webhooks to Home Assistant's real HTTP server, which polls at once."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import logging
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.components.cloud import CloudNotAvailable
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_energy.webhook import (
    CONF_WEBHOOK_SECRET,
    MAX_BODY_BYTES,
    RECENT_MESSAGE_IDS,
    async_get_receiver,
)
from simulator.testing import Simulator, WebhookSender, sign

from .conftest import Clock, entry_for
from .helpers import IDLE_POLL, admin, first_report, state, tracebacks, until_shown

pytestmark = pytest.mark.usefixtures("credentials")

CREATED = "charging_sub_session.created"
OTHER_SECRET = "whsec_" + base64.b64encode(b"not the endpoint's key").decode()


@dataclass
class Push:
    """An entry with push on, and Home Assistant's HTTP server as ev.energy's webhook endpoint."""

    hass: HomeAssistant
    sim: Simulator
    http: TestClient
    entry: MockConfigEntry
    path: str
    secret: str

    def polls_since(self, mark: int) -> list[str]:
        """Return the API reads after request number ``mark`` of the simulator's log."""
        return [r.path for r in self.sim.requests[mark:] if r.path.startswith("/v2/")]

    async def post(
        self,
        body: bytes,
        *,
        msg_id: str = "msg_test1",
        secret: str | None = None,
        age: float = 0,
        headers: dict[str, str] | None = None,
    ) -> int:
        """Post a message signed as Svix does (by default with the endpoint's secret, now); return the status."""
        timestamp = int(dt_util.utcnow().timestamp() - age)
        signed = {
            "svix-id": msg_id,
            "svix-timestamp": str(timestamp),
            "svix-signature": sign(secret or self.secret, msg_id, timestamp, body),
        }
        response = await self.http.post(self.path, data=body, headers=headers or signed)
        await self.hass.async_block_till_done()
        return response.status


def _message(event_type: str = CREATED) -> bytes:
    return json.dumps({"type": event_type, "timestamp": "x", "data": {"id": "csub1"}}).encode()


async def set_up_push(
    hass: HomeAssistant, sim: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> Push:
    """Register Home Assistant's webhook URL with the simulator and set up an entry with its secret."""
    # Svix stamps messages with its wall clock; in these tests Home Assistant's wall clock is the frozen one.
    sim.webhooks = WebhookSender(sim.clock, wall_time=lambda: dt_util.utcnow().timestamp())
    assert await async_setup_component(hass, "webhook", {})
    http = await hass_client_no_auth()
    webhook_id = webhook.async_generate_id()
    path = webhook.async_generate_path(webhook_id)
    secret = sim.register_webhook(str(http.make_url(path)))
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, CONF_WEBHOOK_ID: webhook_id},
        options={CONF_WEBHOOK_SECRET: secret},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return Push(hass, sim, http, entry, path, secret)


@pytest.fixture
async def push(
    hass: HomeAssistant, sim: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> AsyncIterator[Push]:
    """Push on, at the simulator's start."""
    push = await set_up_push(hass, sim, hass_client_no_auth)
    yield push
    if push.entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(push.entry.entry_id)


def _handlers(hass: HomeAssistant) -> dict[str, str]:
    """Return each registered webhook's domain (HA 2025.4 keeps dicts, newer versions objects)."""
    return {
        hook_id: hook["domain"] if isinstance(hook, dict) else hook.domain
        for hook_id, hook in hass.data.get(webhook.DOMAIN, {}).items()
    }


async def test_a_plug_in_shows_within_seconds_without_waiting_for_a_poll(
    hass: HomeAssistant,
    sim: Simulator,
    clock: Clock,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    # The car is away until 17:10 the next day; Home Assistant starts two seconds before it comes home.
    arrival = datetime(2026, 11, 21, 17, 10, tzinfo=dt_util.UTC)
    sim.clock.advance((arrival - sim.clock.now()).total_seconds() - 2)
    freezer.move_to(sim.clock.now())
    push = await set_up_push(hass, sim, hass_client_no_auth)
    evse_id = sim.evse_ids[0]
    assert state(hass, "binary_sensor", f"{evse_id}_plugged_in").state == "off"

    await clock.advance(2)  # the car arrives and is plugged in; the next poll is 5 minutes away
    mark = len(sim.requests)
    assert push.polls_since(mark) == []
    assert await sim.webhooks.deliver_pending() == 1
    await hass.async_block_till_done()

    delivery = sim.webhooks.deliveries[0]
    assert (delivery.event_type, delivery.statuses) == (CREATED, [200])
    assert "/v2/evses" in push.polls_since(mark)
    assert sim.clock.now() == arrival
    assert state(hass, "binary_sensor", f"{evse_id}_plugged_in").state == "on"
    event = state(hass, "event", f"{evse_id}_charge_events")
    assert event.attributes["event_type"] == "plugged_in"
    assert dt_util.parse_datetime(event.state) == arrival  # fired now, not at the next poll
    receiver = async_get_receiver(hass, push.entry)
    assert receiver is not None
    assert receiver.last_received_at == arrival
    await hass.config_entries.async_unload(push.entry.entry_id)


async def test_after_a_message_one_more_poll_lands_just_after_the_next_report(
    hass: HomeAssistant, sim: Simulator, clock: Clock, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The message comes at the plug-in, before the charger's report shows it: a poll follows that report."""
    push = await set_up_push(hass, sim, hass_client_no_auth)
    car, plugged_in = sim.vehicle_ids[0], f"{sim.evse_ids[0]}_plugged_in"
    await admin(hass, sim, f"vehicles/{car}", {"plugged_in": False})
    await admin(hass, sim, "webhooks/deliver", {})
    await clock.run_for(1800, step=2)  # the report timing is learned
    # 100 s before the next report (every 5 minutes): the timed poll after the message's would skip that report.
    await clock.advance((200 - sim.clock.now().timestamp() % 300) % 300)
    plugged_at = sim.clock.now()
    await admin(hass, sim, f"vehicles/{car}", {"plugged_in": True})
    mark = len(sim.requests)
    assert (await admin(hass, sim, "webhooks/deliver", {}))["delivered"] == 1
    await hass.async_block_till_done()
    assert "/v2/evses" in push.polls_since(mark)
    assert state(hass, "binary_sensor", plugged_in).state == "off", "no report shows it yet"

    shown_at = await until_shown(hass, clock, plugged_in, "on")
    report = first_report(sim, sim.evse_ids[0], plugged_at, plugged_in=True)
    assert timedelta(0) <= shown_at - report <= timedelta(seconds=15)
    assert push.polls_since(mark).count("/v2/evses") == 2, "the message's poll and one more"
    await hass.config_entries.async_unload(push.entry.entry_id)


async def test_a_message_relayed_by_home_assistant_cloud_polls_too(push: Push) -> None:
    """Cloudhooks hand the message over as a MockRequest, not an aiohttp request."""
    body = _message()
    timestamp = int(dt_util.utcnow().timestamp())
    headers = {
        "svix-id": "msg_cloud",
        "svix-timestamp": str(timestamp),
        "svix-signature": sign(push.secret, "msg_cloud", timestamp, body),
    }
    request = MockRequest(content=body, mock_source="cloud", method="POST", headers=headers)
    mark = len(push.sim.requests)
    response = await webhook.async_handle_webhook(
        push.hass, push.entry.data[CONF_WEBHOOK_ID], request
    )
    await push.hass.async_block_till_done()
    assert response.status == 200
    assert "/v2/evses" in push.polls_since(mark)


async def test_a_boost_polls_at_once(hass: HomeAssistant, sim: Simulator, push: Push) -> None:
    session_id = next(s.id for s in sim.state.sessions.values() if s.end is None)
    sim.engine.boost_start(session_id)
    mark = len(sim.requests)
    assert (
        await sim.webhooks.deliver_pending() == 2
    )  # the smart sub-session ended, a boost one began
    await hass.async_block_till_done()
    assert "/v2/evses" in push.polls_since(mark)
    assert all(d.statuses == [200] for d in sim.webhooks.deliveries)


async def test_a_message_asks_the_sessions_reader_for_a_read_of_its_own(push: Push) -> None:
    """The read is the sessions coordinator's own refresh, not one hung on the poll the message brings."""
    await push.entry.runtime_data.coordinator.async_shutdown()  # no poll follows the message
    reader = push.entry.runtime_data.sessions
    mark = len(push.sim.requests)
    assert await push.post(_message()) == 200
    assert "/v2/evses" not in push.polls_since(mark)
    assert push.polls_since(mark).count("/v2/charging_sub_sessions") == 2
    # A second message within the debounce's cooldown adds no read of its own at once.
    mark = len(push.sim.requests)
    assert await push.post(_message(), msg_id="msg_test2") == 200
    assert push.polls_since(mark) == []
    assert reader.last_update_success


async def test_a_boost_started_elsewhere_reaches_the_session_entities_at_once(
    hass: HomeAssistant, sim: Simulator, push: Push
) -> None:
    """A boost from the ev.energy app is no plug-in or charge start: only the message says a session changed."""
    session = next(s for s in sim.state.sessions.values() if s.end is None)
    sim.engine.boost_start(session.id)
    await sim.webhooks.deliver_pending()
    await hass.async_block_till_done()
    reader = push.entry.runtime_data.sessions
    running = reader.data.open_sub_session(evse_id=session.evse_id)
    assert running is not None
    assert running.id == session.sub_session_ids[-1]
    assert state(hass, "sensor", f"{session.evse_id}_session_mode").state == "boost"
    assert state(hass, "switch", f"{session.evse_id}_charge_now").state == "on"


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param({"secret": OTHER_SECRET}, id="signed with another secret"),
        pytest.param({"age": 301}, id="signed 5 minutes and 1 second ago"),
        pytest.param({"age": -301}, id="signed in the future"),
        pytest.param({"headers": {"content-type": "application/json"}}, id="no svix headers"),
    ],
)
async def test_a_forged_or_stale_message_is_refused_and_changes_nothing(
    push: Push, forgery: dict[str, Any]
) -> None:
    mark = len(push.sim.requests)
    assert await push.post(_message(), **forgery) == 401
    assert push.polls_since(mark) == []
    assert async_get_receiver(push.hass, push.entry).last_received_at is None  # type: ignore[union-attr]
    # The same message, signed properly, is accepted: the refusal was the signature's doing.
    assert await push.post(_message()) == 200
    assert "/v2/evses" in push.polls_since(mark)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"svix-timestamp": "9" * 400}, id="400-digit timestamp"),
        pytest.param({"svix-timestamp": "-" + "9" * 400}, id="hugely negative timestamp"),
    ],
)  # A header of bytes that are no UTF-8 is refused by the verifier (tests/unit/test_svix.py): aiohttp's
# test client cannot send one.
async def test_an_unreadable_header_is_refused_with_401_and_no_traceback(
    push: Push, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    body = _message()
    signed = {
        "svix-id": "msg_test1",
        "svix-timestamp": str(int(dt_util.utcnow().timestamp())),
        "svix-signature": sign(push.secret, "msg_test1", int(dt_util.utcnow().timestamp()), body),
    }
    mark = len(push.sim.requests)
    assert await push.post(body, headers=signed | headers) == 401
    assert push.polls_since(mark) == []
    assert not tracebacks(caplog)
    assert not [record for record in caplog.records if record.levelname in {"ERROR", "CRITICAL"}]


async def test_a_replayed_message_is_acknowledged_once(push: Push, clock: Clock) -> None:
    assert await push.post(_message(), msg_id="msg_a") == 200
    await clock.advance(60)  # past the refresh cooldown, not yet at the next poll
    mark = len(push.sim.requests)
    # Svix retries with the same id (and a new timestamp and signature).
    assert await push.post(_message(), msg_id="msg_a") == 200
    assert push.polls_since(mark) == []
    assert await push.post(_message(), msg_id="msg_b") == 200
    assert "/v2/evses" in push.polls_since(mark)


async def test_each_message_is_logged_at_debug_by_id_and_type_never_its_body(
    push: Push, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ev_energy")
    assert await push.post(_message(), msg_id="msg_logged") == 200
    assert await push.post(_message(), msg_id="msg_forged", secret=OTHER_SECRET) == 401
    received = [r for r in caplog.records if r.getMessage().startswith("Received webhook")]
    assert [(r.levelno, r.getMessage()) for r in received] == [
        (logging.DEBUG, f"Received webhook message msg_logged of type {CREATED}")
    ]
    assert "csub1" not in caplog.text  # the body's sub-session stays out of the log


async def test_the_memory_of_message_ids_is_bounded(push: Push) -> None:
    for number in range(RECENT_MESSAGE_IDS + 1):
        assert await push.post(_message("test.event"), msg_id=f"msg_{number}") == 200
    mark = len(push.sim.requests)
    assert await push.post(_message(), msg_id=f"msg_{RECENT_MESSAGE_IDS}") == 200
    assert push.polls_since(mark) == []  # remembered: a duplicate
    assert await push.post(_message(), msg_id="msg_0") == 200
    assert "/v2/evses" in push.polls_since(mark)  # the oldest id was forgotten


async def test_an_oversized_body_is_refused(push: Push) -> None:
    mark = len(push.sim.requests)
    padded = _message()[:-1] + b', "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert await push.post(padded) == 413
    assert push.polls_since(mark) == []


async def test_an_oversized_body_without_length_is_refused_once_read_past_the_limit(
    push: Push,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * (MAX_BODY_BYTES // 2)

    response = await push.http.post(push.path, data=chunks(), headers={"svix-id": "msg_x"})
    assert response.status == 413


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_message("invoice.paid"), id="another event"),
        pytest.param(b"not json", id="not json"),
        pytest.param(b'["charging_sub_session.created"]', id="not an object"),
    ],
)
async def test_a_verified_message_of_no_interest_is_acknowledged_without_a_poll(
    push: Push, body: bytes
) -> None:
    mark = len(push.sim.requests)
    assert await push.post(body) == 200
    assert push.polls_since(mark) == []
    assert async_get_receiver(push.hass, push.entry).last_received_at is not None  # type: ignore[union-attr]


async def test_no_poll_beyond_the_request_budget(push: Push) -> None:
    push.entry.runtime_data.coordinator.budget.rate_limited(600, dt_util.utcnow())
    mark = len(push.sim.requests)
    assert await push.post(_message()) == 200
    assert push.polls_since(mark) == []


async def test_without_a_secret_no_webhook_and_polling_goes_on(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry, clock: Clock
) -> None:
    assert "ev_energy" not in _handlers(hass).values()
    assert async_get_receiver(hass, integration) is None
    mark = len(sim.requests)
    await clock.advance(IDLE_POLL)
    assert "/v2/evses" in [r.path for r in sim.requests[mark:]]


async def test_a_malformed_stored_secret_leaves_push_off_and_polling_on(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()},
        options={CONF_WEBHOOK_SECRET: "whsec_not base64!"},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert async_get_receiver(hass, entry) is None
    assert entry.data[CONF_WEBHOOK_ID] not in _handlers(hass)
    assert "signing secret is malformed" in caplog.text
    assert "not base64" not in caplog.text
    await hass.config_entries.async_unload(entry.entry_id)


async def test_unloading_unregisters_and_removing_deletes_the_cloudhook(
    hass: HomeAssistant, push: Push
) -> None:
    webhook_id = push.entry.data[CONF_WEBHOOK_ID]
    assert _handlers(hass)[webhook_id] == "ev_energy"
    assert await hass.config_entries.async_unload(push.entry.entry_id)
    assert webhook_id not in _handlers(hass)
    assert async_get_receiver(hass, push.entry) is None
    with (
        patch("homeassistant.components.cloud.async_is_logged_in", return_value=True),
        patch("homeassistant.components.cloud.async_delete_cloudhook") as delete,
    ):
        await hass.config_entries.async_remove(push.entry.entry_id)
    delete.assert_awaited_once_with(hass, webhook_id)


async def test_removing_without_cloud_or_with_cloud_gone_is_quiet(
    hass: HomeAssistant, sim: Simulator, push: Push
) -> None:
    never_pushed = entry_for(sim)
    never_pushed.add_to_hass(hass)
    with patch("homeassistant.components.cloud.async_delete_cloudhook") as delete:
        await hass.config_entries.async_remove(never_pushed.entry_id)
        await hass.config_entries.async_remove(push.entry.entry_id)  # not logged in to Cloud
    delete.assert_not_awaited()
    cloud_gone = entry_for(sim)
    cloud_gone.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        cloud_gone, data={**cloud_gone.data, CONF_WEBHOOK_ID: "abc"}
    )
    with (
        patch("homeassistant.components.cloud.async_is_logged_in", return_value=True),
        patch(
            "homeassistant.components.cloud.async_delete_cloudhook",
            AsyncMock(side_effect=CloudNotAvailable),
        ) as delete,
    ):
        await hass.config_entries.async_remove(cloud_gone.entry_id)
    delete.assert_awaited_once_with(hass, "abc")
    assert not hass.config_entries.async_entries("ev_energy")


async def test_changing_the_secret_reloads_but_a_new_token_does_not(
    hass: HomeAssistant, push: Push
) -> None:
    receiver = async_get_receiver(hass, push.entry)
    token = push.entry.data["token"]
    hass.config_entries.async_update_entry(
        push.entry,
        data={**push.entry.data, "token": {**token, "expires_at": token["expires_at"] + 1}},
    )
    await hass.async_block_till_done()
    assert async_get_receiver(hass, push.entry) is receiver
    hass.config_entries.async_update_entry(push.entry, options={})
    await hass.async_block_till_done()
    assert push.entry.state is ConfigEntryState.LOADED
    assert async_get_receiver(hass, push.entry) is None
    assert push.entry.data[CONF_WEBHOOK_ID] not in _handlers(hass)


async def test_two_events_at_once_poll_once_now(push: Push) -> None:
    """A boost ends one sub-session and starts another: one poll now, the refresh cooldown holds the second."""
    mark = len(push.sim.requests)
    assert await push.post(_message(), msg_id="msg_1") == 200
    assert await push.post(_message(), msg_id="msg_2") == 200
    assert push.polls_since(mark).count("/v2/evses") == 1


async def test_diagnostics_leave_out_the_secret_and_the_webhook_address(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    # Diagnostics add HTTP routes, which must happen before the push test client starts the server.
    assert await async_setup_component(hass, "diagnostics", {})
    push = await set_up_push(hass, sim, hass_client_no_auth)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, push.entry)
    text = json.dumps(diagnostics)
    assert push.secret not in text
    assert push.entry.data[CONF_WEBHOOK_ID] not in text
    assert diagnostics["entry"]["options"] == {CONF_WEBHOOK_SECRET: "**REDACTED**"}
    await hass.config_entries.async_unload(push.entry.entry_id)
