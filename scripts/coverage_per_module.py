"""Fail when any module's branch coverage is under the gate (coverage's own fail_under checks only the total).

Usage: python scripts/coverage_per_module.py COVERAGE_JSON [GATE]   (GATE defaults to 95)
"""

from __future__ import annotations

import json
from pathlib import Path
import sys


def modules_below(report: dict[str, object], gate: float) -> list[tuple[str, float]]:
    """Return (file, percent) of every measured file under the gate, lowest first."""
    files = report.get("files")
    if not isinstance(files, dict):
        return []
    below = [
        (name, float(data["summary"]["percent_covered"]))
        for name, data in files.items()
        if float(data["summary"]["percent_covered"]) < gate
    ]
    return sorted(below, key=lambda item: item[1])


def main(argv: list[str]) -> int:
    """Print the modules under the gate; exit 1 when there is one."""
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    gate = float(argv[2]) if len(argv) > 2 else 95.0
    below = modules_below(report, gate)
    for name, percent in below:
        print(f"{name}: {percent:.1f} % < {gate:.0f} %")
    if below:
        return 1
    print(f"every module at or above {gate:.0f} % coverage")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
