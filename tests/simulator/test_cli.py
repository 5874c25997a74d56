"""``python -m simulator`` serves the API until it is terminated."""

from __future__ import annotations

import json
from pathlib import Path
import signal
import subprocess
import sys
import urllib.request

ROOT = Path(__file__).resolve().parents[2]


def _read_banner(process: subprocess.Popen[str]) -> dict[str, object]:
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("}"):
            break
    banner: dict[str, object] = json.loads("".join(lines))
    return banner


def test_cli_serves_until_terminated(local_sockets: None) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--speed",
            "0",
            "--scenario",
            "fleet",
            "--fleet-size",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = _read_banner(process)
        assert banner["scenario"] == "fleet"
        assert len(banner["evse_ids"]) == 2  # type: ignore[arg-type]
        with urllib.request.urlopen(f"{banner['api']}/") as response:  # noqa: S310 - loopback
            assert response.status == 200
            assert response.headers["EvEnergy-Version"] == "2"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
