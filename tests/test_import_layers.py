"""The import contracts of pyproject.toml ([tool.importlinter]) hold: lint-imports finds no broken one.

The simulator's modules once imported each other in a circle, held together by imports inside functions; the
contracts keep it a tree with the server on top. The integration's once did too (the polling coordinator and the
readers it drove); its contracts keep it free of circles, in layers: platforms above the coordinators above the
request gateway above the API client. lint-imports is pinned in requirements/dev.txt and
requirements/release.txt, so this runs on every CI leg.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys
import tomllib

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contract_names(package: str = "") -> list[str]:
    """Return the names of the contracts whose id starts with ``package`` (all by default)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return [contract["name"] for contract in contracts if contract["id"].startswith(package)]


def _copy(tmp_path: Path) -> Path:
    """Copy the packages the contracts name, and the configuration, into ``tmp_path``."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("simulator", "custom_components"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the packages in ``folder`` with its pyproject.toml."""
    # Without PYTHONPATH the packages are found in folder (the working directory), not in the repository.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(  # noqa: S603 - our own venv's tool
        [str(LINT_IMPORTS), "--no-cache", "--config", str(folder / "pyproject.toml")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_import_contract_is_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in _contract_names():
        assert f"{name} KEPT" in result.stdout


def _lint_with_import(tmp_path: Path, module: str, line: str) -> str:
    """Run lint-imports on a copy where ``module`` (a path under the repository) gained ``line``; return its output."""
    folder = _copy(tmp_path)
    _add_import(folder / module, line)
    result = _lint_imports(folder)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def _assert_broken_only(output: str, broken: str, kept: str) -> None:
    for name in _contract_names(broken):
        assert f"{name} BROKEN" in output
    for name in _contract_names(kept):
        assert f"{name} KEPT" in output


def test_an_import_cycle_in_the_simulator_breaks_its_contracts(tmp_path: Path) -> None:
    # The old circle: the simulator starting its own server (the server imports the simulator).
    output = _lint_with_import(tmp_path, "simulator/core.py", "from . import app")
    _assert_broken_only(output, broken="simulator", kept="ev_energy")
    assert ".core -> .app" in output


def test_the_gateway_reaching_up_to_a_coordinator_breaks_the_integrations_contracts(
    tmp_path: Path,
) -> None:
    # The old shape: a lower part reaching back into the polling coordinator (for the client, the budget).
    output = _lint_with_import(
        tmp_path, "custom_components/ev_energy/gateway.py", "from . import coordinator"
    )
    _assert_broken_only(output, broken="ev_energy", kept="simulator")


def test_a_reader_reaching_into_the_polling_coordinator_breaks_the_layers(tmp_path: Path) -> None:
    # The old shape: the sessions reader taking the client, the budget and device names from polling.
    output = _lint_with_import(
        tmp_path, "custom_components/ev_energy/sessions.py", "from . import coordinator"
    )
    (layers,) = _contract_names("ev_energy-layers")
    assert f"{layers} BROKEN" in output
    # lint-imports wraps its lines at the terminal's width.
    assert "ev_energy.sessions -> custom_components.ev_energy.coordinator" in " ".join(
        output.split()
    )
