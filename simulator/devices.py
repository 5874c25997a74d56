"""Chargers and cars added to and taken out of a running world (fault switches, admin)."""

from __future__ import annotations

from collections.abc import Callable

from .clock import Clock
from .engine import Engine
from .scenarios import WorldBuilder
from .world import Evse, Vehicle, World


class Devices:
    """Changes the world's devices; a removed device's open session ends first."""

    def __init__(
        self,
        world: World,
        builder: WorldBuilder,
        engine: Engine,
        clock: Clock,
        primary_user_id: Callable[[], str],
    ) -> None:
        """Change ``world``; new devices belong to ``primary_user_id()`` unless told otherwise.

        The primary user is asked each time because a resumed world brings its own.
        """
        self.world = world
        self._builder = builder
        self._engine = engine
        self._clock = clock
        self._primary_user_id = primary_user_id

    def add_evse(self, user_id: str | None = None) -> Evse:
        """Install a new charger for ``user_id`` (default: the primary user)."""
        return self._builder.add_evse(user_id or self._primary_user_id())

    def add_vehicle(
        self, user_id: str | None = None, evse_id: str | None = None, integrated: str = "ACTIVE"
    ) -> Vehicle:
        """Add a car for ``user_id`` parked at ``evse_id`` (not plugged in), with its next trip."""
        vehicle = self._builder.add_vehicle(
            user_id or self._primary_user_id(), evse_id=evse_id, integrated=integrated
        )
        self._engine.plan_trip(vehicle, self._clock.now())
        return vehicle

    def remove_evse(self, evse_id: str) -> None:
        """Take a charger out of the world (its open session ends)."""
        evse = self.world.evses[evse_id]
        vehicle = self.world.vehicles.get(evse.vehicle_id or "")
        if vehicle is not None:
            if vehicle.plugged_in:
                self._engine.unplug(vehicle)
            vehicle.home_evse_id = None
        del self.world.evses[evse_id]
        for site in self.world.evse_sites.values():
            if evse_id in site.evse_ids:
                site.evse_ids.remove(evse_id)

    def remove_vehicle(self, vehicle_id: str) -> None:
        """Take a car out of the world (its open session ends)."""
        vehicle = self.world.vehicles[vehicle_id]
        if vehicle.plugged_in:
            self._engine.unplug(vehicle)
        for evse in self.world.evses.values():
            if evse.vehicle_id == vehicle_id:
                evse.vehicle_id = None
        del self.world.vehicles[vehicle_id]

    def set_reachable(self, evse_id: str | None, reachable: bool) -> None:
        """Cut a charger (``None``: every charger) off, or bring it back."""
        for evse in self.world.evses.values():
            if evse_id is None or evse.id == evse_id:
                evse.reachable = reachable
