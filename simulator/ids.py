"""Deterministic ev.energy style IDs: a 4-letter prefix and a 26-character ULID."""

from __future__ import annotations

import random
from typing import Any

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 2025-11-20T00:00:00Z: IDs look like they were minted around a year before the scenario.
_EPOCH_MS = 1_763_596_800_000


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


class IdFactory:
    """Mints IDs from a seeded generator: the same seed and order give the same IDs."""

    def __init__(self, seed: int) -> None:
        """Create a factory for ``seed``."""
        self._rng = random.Random(seed)
        self._ms = _EPOCH_MS

    def new(self, prefix: str) -> str:
        """Return a new ID such as ``evse01JX...``; later IDs sort after earlier ones."""
        if len(prefix) != 4 or not prefix.isalpha() or not prefix.islower():
            raise ValueError(f"bad ID prefix {prefix!r}")
        self._ms += 1 + self._rng.randrange(1000)
        return prefix + _encode(self._ms, 10) + _encode(self._rng.getrandbits(80), 16)

    def state(self) -> dict[str, Any]:
        """Return the factory's position (to resume minting after a restart)."""
        version, internal, gauss = self._rng.getstate()
        return {"ms": self._ms, "rng": [version, list(internal), gauss]}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a position returned by ``state``."""
        version, internal, gauss = state["rng"]
        self._rng.setstate((version, tuple(internal), gauss))
        self._ms = state["ms"]
