"""The import contracts of pyproject.toml ([tool.importlinter]) hold: lint-imports finds no broken one.

The simulator's modules once imported each other in a circle, held together by imports inside functions; the
contracts keep it a tree with the server on top. lint-imports is pinned in requirements/dev.txt and
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


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]


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


def test_an_import_cycle_in_the_simulator_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "simulator", tmp_path / "simulator")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    core = tmp_path / "simulator" / "core.py"
    # The old circle: the simulator starting its own server (the server imports the simulator).
    core.write_text(core.read_text(encoding="utf-8") + "\nfrom . import app\n", encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in _contract_names():
        assert f"{name} BROKEN" in result.stdout
    assert ".core -> .app" in result.stdout
