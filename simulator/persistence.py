"""Save the demo's world to a JSON file and resume from it.

What persists: the world (meters, odometers, charge levels, settings, sessions, recent
status logs), the ID factory (new IDs never collide with saved ones), the engine's time
and routine, the OAuth clients and tokens (Home Assistant needs no new sign-in) and the
webhook endpoints with their secrets (push keeps working).
What does not: rate-limit budgets, faults, undelivered webhook messages and authorization codes.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import types
from typing import Any, Protocol, Union, get_args, get_origin, get_type_hints

from .clock import Routine
from .engine import Engine
from .oauth import AccessToken, OAuthClient, OAuthServer, RefreshToken
from .scenarios import WorldBuilder
from .webhooks import WebhookEndpoint, WebhookSender
from .world import World

FORMAT_VERSION = 1
# Status logs are history; the newest ones are enough to resume (and keep the file small).
KEPT_LOGS_PER_DEVICE = 500


class Resumable(Protocol):
    """What a snapshot reads and a restore replaces: the Simulator's parts, not the Simulator."""

    scenario: str
    seed: int
    primary_user_id: str
    state: World
    engine: Engine
    builder: WorldBuilder
    oauth: OAuthServer
    webhooks: WebhookSender


class StateFileError(ValueError):
    """The state file does not describe this simulator (another scenario, seed or format)."""


def encode(value: Any) -> Any:
    """Return ``value`` (dataclasses, datetimes, containers) as JSON-ready data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {_encode_key(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [encode(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def _encode_key(key: Any) -> str:
    return key.isoformat() if isinstance(key, datetime) else str(key)


def decode(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` from ``encode``'s output."""
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        return decode(next(a for a in get_args(kind) if a is not type(None)), data)
    if origin is dict:
        key_kind, value_kind = get_args(kind)
        return {decode(key_kind, k): decode(value_kind, v) for k, v in data.items()}
    if origin in (list, tuple, frozenset, set):
        return origin(decode(get_args(kind)[0], v) for v in data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if isinstance(kind, type) and is_dataclass(kind):
        hints = get_type_hints(kind)
        known = {f.name for f in fields(kind)}
        return kind(**{k: decode(hints[k], v) for k, v in data.items() if k in known})
    if kind is float:
        return float(data)
    return data


def snapshot(sim: Resumable) -> dict[str, Any]:
    """Return everything needed to resume ``sim`` as JSON-ready data."""
    world = encode(sim.state)
    for name in (f.name for f in fields(World) if f.name.endswith("_logs")):
        world[name] = {k: v[-KEPT_LOGS_PER_DEVICE:] for k, v in world[name].items()}
    engine = sim.engine
    return {
        "version": FORMAT_VERSION,
        "scenario": sim.scenario,
        "seed": sim.seed,
        "primary_user_id": sim.primary_user_id,
        "engine": {
            "now": engine.now.isoformat(),
            "next_sample": engine.next_sample.isoformat(),
            "routine_epoch": engine.routine.epoch.isoformat(),
            "routine_speed": engine.routine.speed,
            "routine_offset_minutes": engine.routine.offset // timedelta(minutes=1),
        },
        "ids": sim.builder.ids.state(),
        "world": world,
        "oauth": {
            "clients": encode(sim.oauth.clients),
            "access_tokens": encode(sim.oauth.access_tokens),
            "refresh_tokens": encode(sim.oauth.refresh_tokens),
        },
        "webhook_endpoints": encode(sim.webhooks.endpoints),
    }


def restore(sim: Resumable, data: dict[str, Any]) -> None:
    """Replace ``sim``'s world, time and tokens with a ``snapshot``."""
    if data.get("version") != FORMAT_VERSION:
        raise StateFileError(f"unknown state file format {data.get('version')!r}")
    if (data["scenario"], data["seed"]) != (sim.scenario, sim.seed):
        raise StateFileError(
            f"the state file is of scenario {data['scenario']!r} seed {data['seed']}, "
            f"not {sim.scenario!r} seed {sim.seed}"
        )
    loaded = decode(World, data["world"])
    # Keep the World object: the engine and the builder hold references to it.
    for name in (f.name for f in fields(World)):
        setattr(sim.state, name, getattr(loaded, name))
    sim.primary_user_id = data["primary_user_id"]
    sim.builder.ids.set_state(data["ids"])
    engine = data["engine"]
    sim.engine.now = datetime.fromisoformat(engine["now"])
    sim.engine.next_sample = datetime.fromisoformat(engine["next_sample"])
    sim.engine.set_routine(
        Routine(
            datetime.fromisoformat(engine["routine_epoch"]),
            engine["routine_speed"],
            timedelta(minutes=engine["routine_offset_minutes"]),
        )
    )
    oauth = data["oauth"]
    sim.oauth.clients.update(decode(dict[str, OAuthClient], oauth["clients"]))
    sim.oauth.access_tokens = decode(dict[str, AccessToken], oauth["access_tokens"])
    sim.oauth.refresh_tokens = decode(dict[str, RefreshToken], oauth["refresh_tokens"])
    # Files saved before the endpoints were kept have none.
    endpoints = data.get("webhook_endpoints", {})
    sim.webhooks.restore_endpoints(decode(dict[str, WebhookEndpoint], endpoints))


def save(sim: Resumable, path: Path) -> None:
    """Write ``sim``'s snapshot to ``path`` atomically (a crash leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(snapshot(sim)), encoding="utf-8")
    os.replace(partial, path)


def load(sim: Resumable, path: Path) -> bool:
    """Resume ``sim`` from ``path``; return False when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    restore(sim, json.loads(text))
    return True
