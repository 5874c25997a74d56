"""The API package must be publishable on its own: no Home Assistant imports, typed."""

from __future__ import annotations

import ast
from pathlib import Path

import custom_components.ev_energy.api as api_package

API_DIR = Path(api_package.__file__).parent
API_MODULE = api_package.__name__  # custom_components.ev_energy.api


def _package_of(source: Path) -> list[str]:
    """The package a module's relative imports are resolved against."""
    directory = source.parent.relative_to(API_DIR)
    return [*API_MODULE.split("."), *directory.parts]


def _imported_modules(source: Path) -> set[str]:
    """Absolute names of every module ``source`` imports (relative imports resolved)."""
    modules: set[str] = set()
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                modules.add(node.module or "")
                continue
            package = _package_of(source)
            base = package[: len(package) - (node.level - 1)]
            modules.add(".".join([*base, *([node.module] if node.module else [])]))
    return modules


def _is_forbidden(module: str) -> bool:
    if module == "homeassistant" or module.startswith("homeassistant."):
        return True
    # Anything else of the integration would drag Home Assistant in.
    return module.startswith("custom_components") and not (
        module == API_MODULE or module.startswith(API_MODULE + ".")
    )


def test_api_imports_nothing_from_homeassistant_or_the_integration() -> None:
    sources = sorted(API_DIR.rglob("*.py"))
    assert len(sources) > 5
    offenders = {
        str(source.relative_to(API_DIR)): sorted(bad)
        for source in sources
        if (bad := {m for m in _imported_modules(source) if _is_forbidden(m)})
    }
    assert offenders == {}


def test_the_import_scan_sees_relative_imports() -> None:
    """Guard the scanner itself: a relative import out of api/ must be caught."""
    models_init = API_DIR / "models" / "__init__.py"
    assert f"{API_MODULE}.models.base" in _imported_modules(models_init)
    assert _is_forbidden("custom_components.ev_energy.const")
    assert _is_forbidden("homeassistant.core")
    assert not _is_forbidden(f"{API_MODULE}.models")


def test_api_ships_py_typed() -> None:
    assert (API_DIR / "py.typed").is_file()


def test_every_exported_name_exists() -> None:
    missing = [name for name in api_package.__all__ if not hasattr(api_package, name)]
    assert missing == []
