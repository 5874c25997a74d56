"""The Simulator: world, engine, OAuth, rate limit, faults, webhooks and the request log.

It knows nothing of HTTP: ``simulator.app`` serves it (``SimulatorServer``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
import logging
from pathlib import Path
import secrets
from typing import Any

from . import persistence
from .clock import Clock, ManualClock
from .devices import Devices
from .engine import ConflictError
from .faults import Faults
from .oauth import (
    ALL_SCOPES,
    DEFAULT_ACCESS_TOKEN_LIFETIME,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    OAuthClient,
    OAuthServer,
    TokenPair,
)
from .ratelimit import RateLimiter
from .render import Renderer
from .requestlog import Counters, RequestLog
from .scenarios import ScenarioOptions, build_scenario
from .webhooks import WebhookSender
from .world import ChargingSubSession, Evse, User, Vehicle, World

TICK_SECONDS = 1.0
SAVE_EVERY_SECONDS = 30.0
_LOGGER = logging.getLogger(__name__)
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}  # noqa: S104 - recognised, not bound


def origin_for(host: str, port: int) -> str:
    """Return the origin URLs should use: loopback for wildcard binds, IPv6 in brackets."""
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Simulator:
    """A simulated ev.energy cloud for one scenario."""

    def __init__(
        self,
        scenario: str = "home",
        *,
        seed: int = 1,
        rate_limit: int = 1000,
        clock: Clock | None = None,
        demo_approve: bool = False,
        access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME,
        clients: Iterable[OAuthClient] | None = None,
        fleet_size: int = 5,
        history_hours: float = 18.0,
        sample_interval_seconds: float = 300.0,
        home_battery: bool = False,
        home_energy: bool = True,
        tick_seconds: float = TICK_SECONDS,
        routine_speed: int = 1,
        routine_start_minute: int | None = None,
        state_file: Path | None = None,
    ) -> None:
        """Build the world of ``scenario``; call ``start()`` to serve it.

        With ``state_file`` the world resumes from that file when it exists, and is saved
        there every ``SAVE_EVERY_SECONDS`` while serving and on ``stop()``.
        """
        self.scenario = scenario
        self.seed = seed
        self.clock: Clock = clock or ManualClock()
        options = ScenarioOptions(
            fleet_size=fleet_size,
            history_hours=history_hours,
            sample_interval_seconds=sample_interval_seconds,
            home_battery=home_battery,
            home_energy=home_energy,
            routine_speed=routine_speed,
            routine_start_minute=routine_start_minute,
        )
        world, engine, builder, primary_user_id = build_scenario(
            scenario, seed=seed, start=self.clock.now(), options=options
        )
        self.state: World = world
        self.engine = engine
        self.builder = builder
        self.primary_user_id = primary_user_id
        self.demo_approve = demo_approve
        self.oauth = OAuthServer(self.clock, access_token_lifetime)
        for client in clients or [OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)]:
            self.oauth.register_client(client)
        self.rate_limiter = RateLimiter(rate_limit, self.clock)
        self.devices = Devices(
            self.state, builder, engine, self.clock, lambda: self.primary_user_id
        )
        self.faults = Faults(self.oauth, self.devices)
        self.webhooks = WebhookSender(self.clock)
        self.requests = RequestLog()
        self.portal_tokens: set[str] = set()
        # Where it is served (set by the server), for the URLs it renders.
        self.origin = ""
        self._tick_seconds = tick_seconds
        self.engine.listeners.append(self._on_sub_session_event)
        self.state_file = state_file
        self.resumed = state_file is not None and persistence.load(self, state_file)
        self.clock.subscribe(self._on_time)

    # ----------------------------------------------------------- accessors
    @property
    def evse_ids(self) -> list[str]:
        """Return the charger IDs in creation order."""
        return list(self.state.evses)

    @property
    def vehicle_ids(self) -> list[str]:
        """Return the car IDs in creation order."""
        return list(self.state.vehicles)

    @property
    def inverter_ids(self) -> list[str]:
        """Return the inverter IDs in creation order."""
        return list(self.state.inverters)

    @property
    def counters(self) -> Counters:
        """Return request counters (per endpoint template, client id and status)."""
        return self.requests.counters

    @property
    def api_base(self) -> str:
        """Return the API base URL (``origin + "/v2"``)."""
        return self.origin + "/v2"

    def renderer(self, origin: str | None = None) -> Renderer:
        """Return a renderer for the current time."""
        return Renderer(self.state, origin or self.origin, self.clock.now(), self.seed)

    # ---------------------------------------------------------------- time
    def _on_time(self, now: datetime) -> None:
        self.engine.advance_to(now)

    def catch_up(self) -> None:
        """Run the world up to the clock's time (a no-op with the manual clock)."""
        self.engine.advance_to(self.clock.now())

    def _on_sub_session_event(self, event_type: str, sub: ChargingSubSession) -> None:
        if self.webhooks.endpoints:
            self.webhooks.enqueue(event_type, self.renderer().sub_session(sub))

    # ------------------------------------------------------------ accounts
    def issue_token(
        self,
        *,
        user_id: str | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        scopes: Iterable[str] | None = None,
        expires_in: int | None = None,
    ) -> TokenPair:
        """Mint an authorization-code style token for ``user_id`` (default: primary user)."""
        return self.oauth.issue(
            client_id,
            user_id or self.primary_user_id,
            ALL_SCOPES if scopes is None else scopes,
            expires_in=expires_in,
        )

    def issue_client_token(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        scopes: Iterable[str] | None = None,
        expires_in: int | None = None,
    ) -> TokenPair:
        """Mint a client-credentials token (no user; send ``EvEnergy-User`` to act as one)."""
        return self.oauth.issue(
            client_id,
            None,
            ALL_SCOPES if scopes is None else scopes,
            expires_in=expires_in,
            with_refresh_token=False,
        )

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: Iterable[str] = ()
    ) -> None:
        """Register another OAuth application."""
        uris = tuple(redirect_uris) or OAuthClient(client_id, client_secret).redirect_uris
        self.oauth.register_client(OAuthClient(client_id, client_secret, uris))

    def add_user(self, email: str | None = None, full_name: str = "Sam Neighbour") -> User:
        """Add another user (no devices) e.g. to test that others' resources give 404."""
        number = len(self.state.users) + 1
        return self.builder.add_user(email or f"user{number}@example.com", full_name)

    def register_webhook(self, url: str) -> str:
        """Register a webhook endpoint; return its ``whsec_`` secret."""
        return self.webhooks.register(url)

    def new_portal_link(self) -> str:
        """Return a fresh link to the webhook portal page."""
        token = secrets.token_urlsafe(16)
        self.portal_tokens.add(token)
        return f"{self.origin}/_portal/{token}"

    # ------------------------------------------------------------- devices
    def remove_evse(self, evse_id: str) -> None:
        """Take a charger out of the world (its open session ends)."""
        self.devices.remove_evse(evse_id)

    def remove_vehicle(self, vehicle_id: str) -> None:
        """Take a car out of the world (its open session ends)."""
        self.devices.remove_vehicle(vehicle_id)

    # ------------------------------------------------------- hands-on controls
    def vehicle(self) -> Vehicle:
        """Return the first car (the home scenario's only one)."""
        return next(iter(self.state.vehicles.values()))

    def plug_in(self, vehicle: Vehicle) -> None:
        """Bring the car home (if it is out) and plug it into its charger now."""
        self.catch_up()
        if vehicle.home_evse_id not in self.state.evses:
            raise ConflictError("The car has no charger to plug into.")
        if vehicle.plugged_in:
            return
        self._bring_home(vehicle)
        self.engine.plug_in(vehicle)

    def _bring_home(self, vehicle: Vehicle) -> None:
        """End the car's trip now, with the energy the whole trip would have used."""
        if vehicle.at_home:
            return
        vehicle.at_home = True
        vehicle.charge_level_watt_hours = min(
            vehicle.charge_level_watt_hours, vehicle.trip_end_level_watt_hours
        )
        self.engine.plan_trip(vehicle, self.clock.now())

    def unplug(self, vehicle: Vehicle) -> None:
        """Unplug the car now (it stays at home until its next trip)."""
        self.catch_up()
        if vehicle.plugged_in:
            self.engine.unplug(vehicle)

    def set_charging(self, vehicle: Vehicle, charging: bool) -> None:
        """Start charging now (boost) or stop (back to smart charging's cheap slots)."""
        self.catch_up()
        session = self.engine.session_of_vehicle(vehicle.id)
        if session is None:
            raise ConflictError("The vehicle is not plugged in.")
        sub = self.state.current_sub_session(session)
        mode = sub.mode if sub is not None else None
        if charging and mode == "SMART":
            self.engine.boost_start(session.id)
        elif not charging and mode == "BOOST":
            self.engine.boost_end(session.id)
        elif not charging and mode == "UNMANAGED_HOME":
            raise ConflictError("Smart charging is off: the car charges whenever it is plugged in.")

    def set_stay_home(self, vehicle: Vehicle, stay: bool) -> None:
        """Keep the car at home (a car that is out comes home now, unplugged), or let the routine go on."""
        self.catch_up()
        vehicle.stay_home = stay
        if stay:
            self._bring_home(vehicle)
        else:
            # A commute whose time passed while the car stayed home is not driven late: plan the next one.
            self.engine.plan_trip(vehicle, self.clock.now())

    def set_battery_level(self, vehicle: Vehicle, percent: float) -> None:
        """Set the car's state of charge (0..100) and replan its charge."""
        if not 0 <= percent <= 100:
            raise ValueError("percent must be between 0 and 100")
        self.catch_up()
        vehicle.charge_level_watt_hours = vehicle.battery_size_watt_hours * percent / 100
        self.engine.vehicle_settings_changed(vehicle)

    # ---------------------------------------------------------- running
    async def keep_time(self) -> None:
        """Run the world with the clock, deliver webhooks and save now and then, until cancelled."""
        since_save = 0.0
        while True:
            await asyncio.sleep(self._tick_seconds)
            self.catch_up()
            await self.webhooks.deliver_pending()
            since_save += self._tick_seconds
            if since_save >= SAVE_EVERY_SECONDS:
                since_save = 0.0
                self.save()

    def save(self) -> None:
        """Write the world to the state file (if there is one); a failure is logged."""
        if self.state_file is None:
            return
        try:
            persistence.save(self, self.state_file)
        except OSError as err:
            _LOGGER.warning("Could not save the simulator state to %s: %s", self.state_file, err)

    def close(self) -> None:
        """Catch up with the clock, save the world and stop following the clock."""
        self.catch_up()
        self.save()
        self.clock.unsubscribe(self._on_time)

    def describe(self) -> dict[str, Any]:
        """Return a JSON summary of the world (admin endpoint, CLI banner)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "now": self.clock.now().isoformat(),
            "origin": self.origin,
            "primary_user_id": self.primary_user_id,
            "user_ids": list(self.state.users),
            "evse_ids": self.evse_ids,
            "vehicle_ids": self.vehicle_ids,
            "inverter_ids": self.inverter_ids,
            "open_sessions": [s.id for s in self.state.sessions.values() if s.end is None],
            "routine_speed": self.engine.routine.speed,
            "routine_now": self.engine.routine.to_routine(self.clock.now()).isoformat(),
            "resumed": self.resumed,
            "vehicles": [self._describe_vehicle(v) for v in self.state.vehicles.values()],
            "evses": [self._describe_evse(e) for e in self.state.evses.values()],
        }

    def _describe_vehicle(self, vehicle: Vehicle) -> dict[str, Any]:
        evse = self.state.evses.get(vehicle.home_evse_id or "")
        power = self.engine.charge_power_watts(evse) if evse and vehicle.plugged_in else 0
        logs = self.state.vehicle_logs.get(vehicle.id)
        return {
            "id": vehicle.id,
            "description": vehicle.description,
            "at_home": vehicle.at_home,
            "stay_home": vehicle.stay_home,
            "plugged_in": vehicle.plugged_in,
            "charging": power > 0,
            "charge_power_watts": power,
            "state_of_charge_percentage": round(vehicle.state_of_charge_percentage, 1),
            "odometer_meters": round(vehicle.odometer_meters),
            "target_percentage": vehicle.maximum_charge_limit_percentage,
            "last_report_at": logs[-1].sampled_at.isoformat() if logs else None,
        }

    def _describe_evse(self, evse: Evse) -> dict[str, Any]:
        vehicle = self.state.vehicles.get(evse.vehicle_id or "")
        power = self.engine.charge_power_watts(evse)
        logs = self.state.evse_logs.get(evse.id)
        return {
            "id": evse.id,
            "cpid": evse.cpid,
            "online": evse.reachable,
            "plugged_in": vehicle is not None and vehicle.plugged_in,
            "charging": power > 0,
            "charge_power_watts": power,
            "meter_watt_hours": self.state.evse_meter_watt_hours(evse.id),
            "last_report_at": logs[-1].sampled_at.isoformat() if logs else None,
        }
