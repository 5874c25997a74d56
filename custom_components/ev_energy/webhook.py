"""Push: ev.energy's webhooks (delivered by Svix) trigger a poll as soon as a charging sub-session starts or ends.

ev.energy says webhooks can be missed, so polling always stays; a verified message only brings the next poll forward.
A message comes before the device report that shows its change (a plug-in shows in the charger's next report), so
one more poll follows just after that report.
Per entry, a Home Assistant webhook receives the messages: a cloudhook when Home Assistant Cloud is active, else the
instance's own URL. The webhook id lives in the entry's data (the URL must not change when push is switched off and
on again), the endpoint's signing secret in its options (no secret: push off).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from http import HTTPStatus
import json

from aiohttp.web import Request, Response
from homeassistant.components import cloud, webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import SvixVerifier, WebhookVerificationError
from .const import DOMAIN, LOGGER
from .runtime import EvEnergyConfigEntry

CONF_WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - an option key, not a secret
# The only events ev.energy sends; either means a car was plugged in, unplugged, or its charging changed.
REFRESH_EVENTS = frozenset({"charging_sub_session.created", "charging_sub_session.ended"})
# A sub-session is a few hundred bytes; anything far larger is not from ev.energy.
MAX_BODY_BYTES = 64 * 1024
# Svix retries a message with the same id for about a day; ev.energy sends a few messages per car and day, so the
# last 1,000 ids cover every retry, in a few tens of kilobytes.
RECENT_MESSAGE_IDS = 1000
# A poll reads the chargers, vehicles and inverters.
REQUESTS_PER_REFRESH = 3

DATA_RECEIVERS: HassKey[dict[str, PushReceiver]] = HassKey(f"{DOMAIN}_push_receivers")


class PushReceiver:
    """Verifies one entry's webhook messages and polls when one says a session changed."""

    def __init__(self, entry: EvEnergyConfigEntry, secret: str) -> None:
        """Receive for ``entry``, verifying with its endpoint's signing ``secret``."""
        self._entry = entry
        self.secret = secret
        self._verifier = SvixVerifier(secret)
        self._recent: OrderedDict[str, None] = OrderedDict()
        # When the last verified message arrived: while messages arrive, session reads can slow down.
        self.last_received_at: datetime | None = None

    async def handle(self, hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
        """Answer Svix: 2xx for an accepted or repeated message, 4xx (without detail) otherwise."""
        body = await _read_bounded(request)
        if body is None:
            return Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            message_id = self._verifier.verify(
                request.headers, body, now=dt_util.utcnow().timestamp()
            )
        except WebhookVerificationError as err:
            LOGGER.debug("Refused a webhook message: %s", err)
            return Response(status=HTTPStatus.UNAUTHORIZED)
        if message_id in self._recent:
            self._recent.move_to_end(message_id)
            return Response(status=HTTPStatus.OK)
        self._remember(message_id)
        LOGGER.debug("Received webhook message %s of type %s", message_id, _event_type(body))
        self.last_received_at = dt_util.utcnow()
        if _event_type(body) in REFRESH_EVENTS:
            self._refresh()
        return Response(status=HTTPStatus.OK)

    def _remember(self, message_id: str) -> None:
        self._recent[message_id] = None
        if len(self._recent) > RECENT_MESSAGE_IDS:
            self._recent.popitem(last=False)

    def _refresh(self) -> None:
        coordinator = self._entry.runtime_data.coordinator
        if not coordinator.budget.can_spend(REQUESTS_PER_REFRESH, dt_util.utcnow()):
            LOGGER.debug(
                "A session changed, but the request budget leaves the poll to its schedule"
            )
            return
        # A sub-session was created or ended: the sessions reader reads at once too (its own debounced refresh).
        self._entry.runtime_data.sessions.async_read_soon()
        coordinator.after_push()


async def _read_bounded(request: Request) -> bytes | None:
    """Return the body, or None when it is larger than MAX_BODY_BYTES (read no further than that).

    Cloudhooks hand over a MockRequest: no content length (the limit is enforced while reading), and a new
    stream each time `content` is read (so it is read once).
    """
    stream = request.content
    body = b""
    while chunk := await stream.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def _event_type(body: bytes) -> str | None:
    try:
        message = json.loads(body)
    except ValueError:
        return None
    event_type = message.get("type") if isinstance(message, dict) else None
    return event_type if isinstance(event_type, str) else None


def push_secret(entry: EvEnergyConfigEntry) -> str | None:
    """Return the entry's signing secret; None when push is off."""
    secret = entry.options.get(CONF_WEBHOOK_SECRET)
    return secret if isinstance(secret, str) and secret else None


@callback
def async_get_receiver(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> PushReceiver | None:
    """Return the entry's running receiver (None while push is off), e.g. for `last_received_at`."""
    return hass.data.get(DATA_RECEIVERS, {}).get(entry.entry_id)


@callback
def async_setup_push(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Receive the entry's webhook while it is loaded (when push is on); reload when push settings change."""
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_push_change))
    secret = push_secret(entry)
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if secret is None or not webhook_id:
        return
    try:
        receiver = PushReceiver(entry, secret)
    except ValueError:
        # Only an edited storage file gets here (the options flow checks the secret); polling goes on.
        LOGGER.warning(
            "The ev.energy push signing secret is malformed; push stays off until it is set again"
        )
        return
    webhook.async_register(
        hass, DOMAIN, f"ev.energy {entry.title}", webhook_id, receiver.handle, local_only=False
    )
    receivers = hass.data.setdefault(DATA_RECEIVERS, {})
    receivers[entry.entry_id] = receiver

    @callback
    def stop_receiving() -> None:
        webhook.async_unregister(hass, webhook_id)
        receivers.pop(entry.entry_id, None)

    entry.async_on_unload(stop_receiving)


async def _async_reload_on_push_change(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Reload when push was switched on, off, or given another secret (not for a new token)."""
    receiver = async_get_receiver(hass, entry)
    if push_secret(entry) != (receiver.secret if receiver else None):
        await hass.config_entries.async_reload(entry.entry_id)


async def async_remove_push(hass: HomeAssistant, entry: EvEnergyConfigEntry) -> None:
    """Delete the entry's cloudhook (the local webhook went with the unload)."""
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if not webhook_id or not cloud.async_is_logged_in(hass):
        return
    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not available; its ev.energy cloudhook stays")


async def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the URL ev.energy should deliver to: the cloudhook when Cloud is active, else the instance URL.

    Raises homeassistant.helpers.network.NoURLAvailableError when the instance has no URL.
    """
    if cloud.async_active_subscription(hass):
        try:
            return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
        except cloud.CloudNotAvailable:
            LOGGER.debug("Home Assistant Cloud is not connected; showing the instance URL")
    return webhook.async_generate_url(hass, webhook_id)
