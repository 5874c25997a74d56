"""A small client for a real Home Assistant server: onboarding, sign-in, WebSocket commands, config flows.

Only public HTTP and WebSocket APIs are used (the ones the frontend uses), so this works against any Home
Assistant version the project supports and needs nothing but aiohttp, which Home Assistant itself brings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
import json
import time
from typing import Any
from urllib.parse import urljoin

import aiohttp

DEV_NAME = "Developer"
DEV_USERNAME = "dev"
DEV_PASSWORD = "dev-password"  # noqa: S105 - the documented login of the local development server only

# A state that is neither of these is a live value.
NOT_LIVE = frozenset({"unavailable", "unknown"})
# Onboarding sets these up; offline and without their requirements (--skip-pip) they only fail.
ONBOARDING_OFFLINE_DOMAINS = frozenset({"google_translate", "met", "radio_browser"})
# Seconds between two refreshes refresh_until asks for: just over a coordinator's 10 s refresh cooldown.
REFRESH_AGAIN = 11.0


class HassError(Exception):
    """Home Assistant answered something other than what the step needs."""


@dataclass
class Hass:
    """One Home Assistant server, reached at base_url (for example http://127.0.0.1:8123)."""

    base_url: str
    session: aiohttp.ClientSession
    access_token: str | None = None
    _ws_id: int = field(default=0, init=False)

    @property
    def client_id(self) -> str:
        """The OAuth client id the frontend uses: the server's own URL."""
        return f"{self.base_url}/"

    # --- plain HTTP -------------------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        return headers | (extra or {})

    async def request(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        """Send a request to the server's API and return the decoded JSON answer."""
        async with self.session.request(
            method, f"{self.base_url}{path}", json=payload, headers=self._headers(headers)
        ) as response:
            text = await response.text()
            if response.status not in expect:
                raise HassError(f"{method} {path} -> {response.status}: {text[:500]}")
            if response.content_type != "application/json":
                return text or None
            return json.loads(text)

    async def wait_until_up(self, within: float = 60.0) -> float:
        """Wait until the HTTP server answers; return how long that took."""
        start = time.monotonic()
        last_error: BaseException | None = None
        while time.monotonic() - start < within:
            try:
                # Answers without authentication (400 "onboarding_required" before onboarding).
                async with self.session.get(
                    f"{self.base_url}/auth/providers", timeout=aiohttp.ClientTimeout(total=5)
                ) as response:
                    if response.status < 500:
                        return time.monotonic() - start
            except (aiohttp.ClientError, TimeoutError) as err:
                last_error = err
            await asyncio.sleep(0.25)
        raise HassError(f"{self.base_url} did not answer within {within:.0f} s ({last_error!r})")

    # --- onboarding and sign-in -------------------------------------------------------------------------

    async def onboarding_steps_left(self) -> list[str]:
        """Return the onboarding steps not done yet (empty when the server is onboarded)."""
        # Once onboarding is complete, its views are no longer registered: 404.
        steps = await self.request("GET", "/api/onboarding", expect=(200, 404))
        if not isinstance(steps, list):
            return []
        return [step["step"] for step in steps if not step["done"]]

    async def _token_from_code(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            if response.status != 200:
                raise HassError(f"/auth/token -> {response.status}: {await response.text()}")
            self.access_token = (await response.json())["access_token"]

    async def onboard(
        self,
        username: str = DEV_USERNAME,
        password: str = DEV_PASSWORD,
        name: str = DEV_NAME,
        language: str = "en",
    ) -> None:
        """Create the owner user and finish every onboarding step, as the onboarding screens do."""
        steps = await self.onboarding_steps_left()
        if "user" in steps:
            answer = await self.request(
                "POST",
                "/api/onboarding/users",
                payload={
                    "client_id": self.client_id,
                    "name": name,
                    "username": username,
                    "password": password,
                    "language": language,
                },
            )
            await self._token_from_code(answer["auth_code"])
        else:
            await self.login(username, password)
        if "core_config" in steps:
            await self.request("POST", "/api/onboarding/core_config", payload={})
            await self.remove_offline_onboarding_entries(wait=3.0)
        if "analytics" in steps:
            await self.request("POST", "/api/onboarding/analytics", payload={})
        if "integration" in steps:
            await self.request(
                "POST",
                "/api/onboarding/integration",
                payload={
                    "client_id": self.client_id,
                    "redirect_uri": f"{self.base_url}/?auth_callback=1",
                },
            )

    async def remove_offline_onboarding_entries(self, wait: float = 0.0) -> None:
        """Remove the failed entries onboarding creates for integrations that need the internet.

        Onboarding starts those flows in the background: with `wait`, poll that long for them to appear.
        """
        deadline = time.monotonic() + wait
        while True:
            entries = await self.request("GET", "/api/config/config_entries/entry")
            failed = [
                entry
                for entry in entries
                if entry["domain"] in ONBOARDING_OFFLINE_DOMAINS
                and entry["state"] not in {"loaded", "not_loaded", "setup_in_progress"}
            ]
            for entry in failed:
                await self.delete_config_entry(entry["entry_id"])
            if failed or time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.1)

    async def login(self, username: str = DEV_USERNAME, password: str = DEV_PASSWORD) -> None:
        """Sign in through the login flow of the login form and keep the access token."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            payload={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            payload={"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise HassError(f"login as {username!r} failed: {result}")
        await self._token_from_code(result["result"])

    async def sign_in(
        self, username: str = DEV_USERNAME, password: str = DEV_PASSWORD, name: str = DEV_NAME
    ) -> bool:
        """Onboard the server if it is new, else sign in. Return True when it was onboarded now."""
        if await self.onboarding_steps_left():
            await self.onboard(username, password, name)
            onboarded = True
        else:
            await self.login(username, password)
            onboarded = False
        await self.keep_http_settings()
        await self.wait_until_running()
        return onboarded

    async def wait_until_running(self, within: float = 90.0) -> None:
        """Wait until Home Assistant has finished starting (its integrations, and their commands, are set up).

        The HTTP server answers before then: Home Assistant 2026.11 was seen answering a WebSocket command of
        application_credentials with "Unknown command" a moment after sign-in.
        """
        deadline = time.monotonic() + within
        while (config := await self.request("GET", "/api/config")).get("state") != "RUNNING":
            if time.monotonic() > deadline:
                raise HassError(f"Home Assistant is {config.get('state')} after {within:.0f} s")
            await asyncio.sleep(0.25)

    async def keep_http_settings(self) -> None:
        """Confirm the configuration's http: settings, which Home Assistant 2026.x otherwise reverts.

        From 2026.x Home Assistant asks, once, to confirm new http settings (our port and loopback address) and
        after five minutes without an answer restarts on its defaults. Older versions have no such command,
        and a version with nothing pending refuses it: both are fine.
        """
        with contextlib.suppress(HassError):
            await self.ws_command("http/config/promote")

    # --- WebSocket --------------------------------------------------------------------------------------

    @asynccontextmanager
    async def websocket(self) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        """Open an authenticated WebSocket connection."""
        url = f"{self.base_url.replace('http', 'ws', 1)}/api/websocket"
        async with self.session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.access_token})
            answer = await ws.receive_json()
            if answer.get("type") != "auth_ok":
                raise HassError(f"WebSocket authentication failed: {answer}")
            yield ws

    async def ws_command(self, command_type: str, **data: Any) -> Any:
        """Run one WebSocket command and return its result."""
        async with self.websocket() as ws:
            self._ws_id += 1
            await ws.send_json({"id": self._ws_id, "type": command_type, **data})
            while True:
                answer = await ws.receive_json(timeout=30)
                if answer.get("id") == self._ws_id and answer.get("type") == "result":
                    break
        if not answer["success"]:
            raise HassError(f"{command_type} failed: {answer['error']}")
        return answer["result"]

    # --- application credentials, config entries and the OAuth flow ------------------------------------

    async def ensure_application_credentials(
        self, domain: str, client_id: str, client_secret: str, name: str
    ) -> bool:
        """Register OAuth client credentials for domain unless present; return True when added now."""
        existing = await self.ws_command("application_credentials/list")
        if any(item["domain"] == domain and item["client_id"] == client_id for item in existing):
            return False
        await self.ws_command(
            "application_credentials/create",
            domain=domain,
            client_id=client_id,
            client_secret=client_secret,
            name=name,
        )
        return True

    async def config_entries(self, domain: str) -> list[dict[str, Any]]:
        """Return the config entries of domain (with their state: loaded, setup_retry, ...)."""
        entries = await self.request("GET", "/api/config/config_entries/entry")
        return [entry for entry in entries if entry["domain"] == domain]

    async def delete_config_entry(self, entry_id: str) -> None:
        """Remove a config entry."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def start_oauth_flow(self, domain: str) -> tuple[str, str]:
        """Start domain's config flow as the frontend does; return the flow id and the authorize URL.

        The HA-Frontend-Base header is what the frontend sends: it makes the redirect URI this server's own
        /auth/external/callback (without the `my` integration loaded).
        """
        flow = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            payload={"handler": domain, "show_advanced_options": False},
            headers={"HA-Frontend-Base": self.base_url},
        )
        if flow.get("type") != "external" or flow.get("step_id") != "auth":
            raise HassError(f"the {domain} flow did not ask to open the authorize URL: {flow}")
        return flow["flow_id"], flow["url"]

    async def finish_flow(self, flow_id: str) -> dict[str, Any]:
        """Continue a flow after its external step, as the frontend does when the callback has run."""
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", payload={}
        )
        return result

    async def authorize(self, authorize_url: str, *, consent: str | None = "Allow") -> str:
        """Open the provider's authorize URL as the browser would and follow it back to Home Assistant.

        A provider that approves on its own redirects straight to the callback. If it shows a consent
        page instead, its form is submitted with the button labelled `consent`. Returns the final URL.
        """
        async with self.session.get(authorize_url) as response:
            body = await response.text()
            final_url = str(response.url)
            if response.status >= 400:
                raise HassError(f"authorize URL -> {response.status}: {body[:500]}")
        if final_url.startswith(self.base_url) or consent is None:
            return final_url
        form = _ConsentForm.parse(body, consent)
        if form.action is None:
            raise HassError(
                f"no consent form with a {consent!r} button at {final_url}: {body[:500]}"
            )
        async with self.session.request(
            form.method, urljoin(final_url, form.action), data=form.fields
        ) as response:
            body = await response.text()
            if response.status >= 400:
                raise HassError(f"consent -> {response.status}: {body[:500]}")
            return str(response.url)

    async def walk_flow(self, flow_id: str, *, consent: str | None = "Allow") -> dict[str, Any]:
        """Take a flow in progress (a reauth flow, say) to its end, as a user clicking on would.

        Forms without required fields are submitted empty, external steps are authorized. Returns the last
        answer (create_entry or abort).
        """
        for _ in range(6):
            result: dict[str, Any] = await self.request(
                "POST",
                f"/api/config/config_entries/flow/{flow_id}",
                payload={},
                headers={"HA-Frontend-Base": self.base_url},
            )
            if result["type"] == "external":
                await self.authorize(result["url"], consent=consent)
            elif result["type"] not in {"form", "external_done"}:
                return result
        raise HassError(f"flow {flow_id} did not end: {result}")

    async def flows_in_progress(
        self, domain: str, source: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the config flows in progress of domain (optionally only those of one source)."""
        flows = await self.ws_command("config_entries/flow/progress")
        return [
            flow
            for flow in flows
            if flow["handler"] == domain
            and (source is None or flow.get("context", {}).get("source") == source)
        ]

    async def link_account(self, domain: str, *, consent: str | None = "Allow") -> dict[str, Any]:
        """Walk domain's whole OAuth config flow; return the flow's last answer (create_entry or abort)."""
        flow_id, authorize_url = await self.start_oauth_flow(domain)
        final_url = await self.authorize(authorize_url, consent=consent)
        if not final_url.startswith(f"{self.base_url}/auth/external/callback"):
            raise HassError(
                f"the provider did not send the browser back to Home Assistant: {final_url}"
            )
        return await self.finish_flow(flow_id)

    # --- entities and services --------------------------------------------------------------------------

    async def entity_registry(self, platform: str) -> list[dict[str, Any]]:
        """Return the entity registry entries of an integration."""
        entries = await self.ws_command("config/entity_registry/list")
        return [entry for entry in entries if entry["platform"] == platform]

    async def device_registry(self, config_entry_id: str | None = None) -> list[dict[str, Any]]:
        """Return the devices, optionally only those of one config entry."""
        devices: list[dict[str, Any]] = await self.ws_command("config/device_registry/list")
        if config_entry_id is None:
            return devices
        return [device for device in devices if config_entry_id in device["config_entries"]]

    async def states(self) -> dict[str, dict[str, Any]]:
        """Return every state, by entity id."""
        return {state["entity_id"]: state for state in await self.request("GET", "/api/states")}

    async def integration_states(self, platform: str) -> dict[str, dict[str, Any]]:
        """Return the states of the enabled entities of one integration, by entity id."""
        registry = await self.entity_registry(platform)
        states = await self.states()
        return {
            entry["entity_id"]: states[entry["entity_id"]]
            for entry in registry
            if entry["disabled_by"] is None and entry["entity_id"] in states
        }

    async def wait_for_live_states(
        self, platform: str, within: float, *, minimum: int = 1
    ) -> dict[str, dict[str, Any]]:
        """Wait until at least `minimum` entities of platform have a live value; return all its states."""
        deadline = time.monotonic() + within
        while True:
            states = await self.integration_states(platform)
            live = [state for state in states.values() if state["state"] not in NOT_LIVE]
            if len(live) >= minimum or time.monotonic() > deadline:
                return states
            await asyncio.sleep(0.5)

    async def call_service(self, domain: str, service: str, data: dict[str, Any]) -> Any:
        """Call a service through the REST API."""
        return await self.request("POST", f"/api/services/{domain}/{service}", payload=data)

    async def update_entity(self, *entity_ids: str) -> None:
        """Ask for a refresh of entities now (homeassistant.update_entity), as the UI's "update" does.

        An entity of a data update coordinator asks its coordinator to poll at once (a refresh asked within 10 s
        of the last one comes at the end of those 10 s).
        """
        await self.call_service("homeassistant", "update_entity", {"entity_id": list(entity_ids)})

    async def refresh_until(
        self, entity_id: str, wanted: str, *, within: float = 30.0, every: float = 0.3
    ) -> float:
        """Ask for a refresh of entity_id and wait until its state is `wanted`; return the seconds it took.

        The refresh is asked again each REFRESH_AGAIN seconds (a refresh that came too soon after another is
        put off; one that failed is not retried by itself). Raises HassError after `within` seconds.
        """
        started = time.monotonic()
        asked = started - REFRESH_AGAIN
        current = None
        while time.monotonic() - started < within:
            if time.monotonic() - asked >= REFRESH_AGAIN:
                await self.update_entity(entity_id)
                asked = time.monotonic()
            current = (await self.states()).get(entity_id, {}).get("state")
            if current == wanted:
                return time.monotonic() - started
            await asyncio.sleep(every)
        raise HassError(f"{entity_id} is {current}, not {wanted}, {within:.0f} s after a refresh")


class _ConsentForm(HTMLParser):
    """The form of a page holding a submit button labelled `button` (the consent page's Allow)."""

    def __init__(self, button: str) -> None:
        super().__init__()
        self.button = button.casefold()
        self.action: str | None = None
        self.method = "POST"
        self.fields: dict[str, str] = {}
        self._forms: list[tuple[str, str, dict[str, str], list[tuple[str, dict[str, str]]]]] = []
        self._in_form = False
        self._button: dict[str, str] | None = None
        self._button_text = ""

    @classmethod
    def parse(cls, html: str, button: str) -> _ConsentForm:
        """Parse a page and pick the form whose button is labelled `button`."""
        parser = cls(button)
        parser.feed(html)
        parser.close()
        for action, method, fields, buttons in parser._forms:
            for label, attrs in buttons:
                if label.strip().casefold() == parser.button:
                    parser.action, parser.method, parser.fields = action, method, dict(fields)
                    if attrs.get("name"):
                        parser.fields[attrs["name"]] = attrs.get("value", "")
                    return parser
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect forms, their fields and their submit buttons."""
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._in_form = True
            self._forms.append(
                (values.get("action", ""), values.get("method", "post").upper(), {}, [])
            )
        elif not self._in_form:
            return
        elif tag == "input":
            kind = values.get("type", "text").lower()
            if kind == "submit":
                self._forms[-1][3].append((values.get("value", ""), values))
            elif "name" in values and kind not in {"checkbox", "radio", "button"}:
                self._forms[-1][2][values["name"]] = values.get("value", "")
        elif tag == "button" and values.get("type", "submit").lower() == "submit":
            self._button, self._button_text = values, ""

    def handle_data(self, data: str) -> None:
        """Collect a button's label."""
        if self._button is not None:
            self._button_text += data

    def handle_endtag(self, tag: str) -> None:
        """Close buttons and forms."""
        if tag == "button" and self._button is not None and self._in_form:
            label = self._button_text.strip() or self._button.get("value", "")
            self._forms[-1][3].append((label, self._button))
            if self._button.get("value"):
                self._forms[-1][3].append((self._button["value"], self._button))
            self._button = None
        elif tag == "form":
            self._in_form = False
