"""The integration uses only Home Assistant's public API: no private name of another object or module.

A private name (a leading underscore) of Home Assistant's can change or vanish in any release without notice:
Home Assistant 2026.11 renamed a restore-state attribute the meter migration read, and set-up failed there. This
check has no ``noqa``: the only private names allowed are the subclass hooks listed below, each one documented
or overridden by Home Assistant's own integrations, and reached through ``super()``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / "ev_energy"
# Hooks a subclass overrides and extends through super(), with where Home Assistant offers them.
SUBCLASS_HOOKS = {
    # CoordinatorEntity: "override _handle_coordinator_update" (developer docs, data fetching).
    "_handle_coordinator_update",
    # LocalOAuth2Implementation: overridden by core's fitbit, smartthings, geocaching and electric_kiwi.
    "_token_request",
}
OWN = {"self", "cls"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_super_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def private_uses(source: str, filename: str = "<source>") -> list[str]:
    """Return each use of another object's or module's private name in Python source, as 'line: text'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in OWN:
                continue
            if _is_super_call(owner) and node.attr in SUBCLASS_HOOKS:
                continue
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if module.startswith("homeassistant") and any(
                _private(part) for part in module.split(".")
            ):
                found.append(f"{node.lineno}: from {module} import ...")
            found.extend(
                f"{node.lineno}: from {module} import {alias.name}"
                for alias in node.names
                if module.startswith("homeassistant") and _private(alias.name)
            )
        elif isinstance(node, ast.Import):
            found.extend(
                f"{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("homeassistant")
                and any(_private(part) for part in alias.name.split("."))
            )
    return found


@pytest.mark.parametrize(
    "path",
    sorted(INTEGRATION.rglob("*.py")),
    ids=lambda path: str(path.relative_to(INTEGRATION)),
)
def test_the_integration_uses_no_private_name_of_home_assistant(path: Path) -> None:
    assert private_uses(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "restore_state.async_get(hass)._last_states",
            ["1: restore_state.async_get(hass)._last_states"],
        ),
        ("self.hass._loop", ["1: self.hass._loop"]),
        ("super()._async_refresh_token(token)", ["1: super()._async_refresh_token"]),
        (
            "from homeassistant.helpers._private import x",
            ["1: from homeassistant.helpers._private import ..."],
        ),
        ("from homeassistant.core import _helper", ["1: from homeassistant.core import _helper"]),
        ("import homeassistant._hidden", ["1: import homeassistant._hidden"]),
        # Our own names and the listed hooks are fine.
        ("self._store.async_save()", []),
        ("cls._cache", []),
        ("super()._handle_coordinator_update()", []),
        ("value.__class__", []),
        ("from .ledger import _Device", []),
    ],
)
def test_the_check_finds_private_names(source: str, expected: list[str]) -> None:
    assert private_uses(source) == expected
