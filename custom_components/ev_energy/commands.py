"""The one decorator of every command (the switches, the numbers): ev.energy's refusals as translated errors.

A command sends through the entry's gateway (`RequestGateway.request` with the ``COMMAND`` caller), which counts it
in the budget, waits out a 429 and gives a refused token one refresh; this decorator turns what still fails into
the user's error, and after a command that went through, polls a few times soon to show its effect.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from functools import wraps
from typing import Any, Concatenate, Protocol

from .api import (
    EvEnergyBadRequestError,
    EvEnergyConflictError,
    EvEnergyDeviceUnreachableError,
    EvEnergyError,
    EvEnergyForbiddenError,
)
from .gateway import ReauthRequiredError, user_error
from .runtime import EvEnergyConfigEntry

# What each refusal means to every command; a 409 and a 400 mean something of their own per command.
REFUSALS: Mapping[type[EvEnergyError], str] = {
    ReauthRequiredError: "command_unauthorized",
    EvEnergyDeviceUnreachableError: "device_unreachable",
    EvEnergyForbiddenError: "command_forbidden",
}


class _EntryCoordinator(Protocol):
    @property
    def config_entry(self) -> EvEnergyConfigEntry: ...


class CommandEntity(Protocol):
    """An entity of the entry (of the polling coordinator or of a reader)."""

    @property
    def coordinator(self) -> _EntryCoordinator:
        """Return the coordinator the entity reads (it knows the entry)."""


class CommandDecorator(Protocol):
    """Wraps an entity's command method, keeping its signature."""

    def __call__[EntityT: CommandEntity, **P](
        self, func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]
    ) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
        """Return the wrapped method."""


def ev_energy_command(
    *,
    conflict: str = "command_refused",
    rejected: str = "command_refused",
    placeholders: Callable[..., dict[str, str]] | None = None,
) -> CommandDecorator:
    """Decorate an entity's command: ev.energy's refusals become translated errors.

    ``conflict`` names what a 409 means for this command (nothing to boost, not boosting, ...), ``rejected`` what a
    400 means (a validation error); ``placeholders``, called with the command's arguments, gives those keys the
    command's own values.
    """
    refusals = {**REFUSALS, EvEnergyConflictError: conflict, EvEnergyBadRequestError: rejected}

    def decorate[EntityT: CommandEntity, **P](
        func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
    ) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
        @wraps(func)
        async def handler(entity: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
            try:
                await func(entity, *args, **kwargs)
            except EvEnergyError as err:
                extra = placeholders(*args, **kwargs) if placeholders is not None else {}
                raise user_error(
                    err, "command_failed", refusals=refusals, placeholders=extra
                ) from err
            entity.coordinator.config_entry.runtime_data.coordinator.after_command()

        return handler

    return decorate
