"""The per-module coverage gate of scripts/test: a weak module fails the run even when the total passes."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]
GATE = ROOT / "scripts" / "coverage_per_module.py"


def _run(tmp_path: Path, percents: dict[str, float]) -> subprocess.CompletedProcess[str]:
    report = {"files": {name: {"summary": {"percent_covered": p}} for name, p in percents.items()}}
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own script, run with this interpreter
        [sys.executable, str(GATE), str(path), "95"], capture_output=True, text=True, check=False
    )


def test_a_module_under_the_gate_fails_although_the_total_would_pass(tmp_path: Path) -> None:
    result = _run(tmp_path, {"a.py": 100.0, "b.py": 100.0, "weak.py": 90.0})
    assert result.returncode == 1
    assert "weak.py: 90.0 % < 95 %" in result.stdout
    assert "a.py" not in result.stdout


def test_every_module_at_the_gate_passes(tmp_path: Path) -> None:
    result = _run(tmp_path, {"a.py": 95.0, "b.py": 99.5})
    assert result.returncode == 0
