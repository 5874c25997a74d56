"""What the browser test needs on the machine: Debian's Chromium and npm's playwright-core (no browser download)."""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


class BrowserUnavailableError(Exception):
    """The machine cannot run the browser test (the reason is the message)."""


def find_chromium() -> str | None:
    """Return the Chromium binary, from CHROMIUM or PATH."""
    if (configured := os.environ.get("CHROMIUM")) and Path(configured).exists():
        return configured
    for name in CHROMIUM_CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


def ensure_chromium() -> str:
    """Return Chromium's path, installing Debian's package first when it is missing and we may."""
    if found := find_chromium():
        return found
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise BrowserUnavailableError(
            "Chromium is not installed and apt-get (as root) is not available to install it"
        )
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}

    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - apt-get from PATH with fixed arguments
            [apt_get, *args], env=env, capture_output=True, text=True, timeout=600, check=False
        )

    # Stale package lists are the usual reason an install fails: refresh them once, then retry.
    result = apt("install", "-y", "-qq", "chromium")
    if result.returncode != 0:
        # Snapshot mirrors (the Debian chroot of scripts/newest) carry Release files past their date.
        apt("-o", "Acquire::Check-Valid-Until=false", "update", "-qq")
        result = apt("install", "-y", "-qq", "chromium")
    if (found := find_chromium()) is None:
        raise BrowserUnavailableError(
            f"Chromium could not be installed with apt-get: {result.stderr[-800:]}"
        )
    return found


def ensure_playwright() -> str:
    """Install the pinned playwright-core with npm ci when missing or different; return node's path."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BrowserUnavailableError(
            "Node.js and npm are needed for the browser test (playwright-core)"
        )
    wanted = json.loads((BROWSER_DIR / "package.json").read_text())["dependencies"][
        "playwright-core"
    ]
    installed = BROWSER_DIR / "node_modules" / "playwright-core" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        subprocess.run(  # noqa: S603 - npm from PATH with fixed arguments
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=BROWSER_DIR,
            check=True,
            timeout=300,
            # playwright-core never downloads browsers; this makes sure no install script tries.
            env=os.environ | {"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
        )
    return node
