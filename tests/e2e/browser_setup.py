"""What the browser tests share: Chromium and playwright-core, a signed-in Home Assistant, scripts, screenshots.

Debian's Chromium and npm's playwright-core (no browser download) are installed when missing: once, before a
parallel run, with ``python -m tests.e2e.browser_setup`` (idempotent; it says what it did). The browser tests
install them too when they are missing, under a lock, so that two workers never install at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
import fcntl
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import aiohttp

from scripts.devtools.hass import Hass

from . import processes

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
SCREENSHOTS = processes.ROOT / "docs" / "screenshots"
# A browser script's whole run, at most (each takes well under a minute).
BROWSER_TIMEOUT = 180
# One install at a time on this machine (apt-get and npm ci in one folder cannot run twice at once).
INSTALL_LOCK = Path(tempfile.gettempdir()) / "ev_energy-browser-setup.lock"

type StepHandler = Callable[[dict[str, Any]], Awaitable[None]]


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


@contextmanager
def _install_lock() -> Iterator[None]:
    """Hold the machine-wide install lock (another worker waits for the install under way, then finds it)."""
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_chromium() -> str:
    """Return Chromium's path, installing Debian's package first when it is missing and we may."""
    if found := find_chromium():
        return found
    with _install_lock():
        return _install_chromium()


def _install_chromium() -> str:
    if found := find_chromium():
        return found  # another worker installed it while this one waited
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


def _playwright_installed() -> bool:
    wanted = json.loads((BROWSER_DIR / "package.json").read_text())["dependencies"][
        "playwright-core"
    ]
    installed = BROWSER_DIR / "node_modules" / "playwright-core" / "package.json"
    return installed.exists() and json.loads(installed.read_text())["version"] == wanted


def ensure_playwright() -> str:
    """Install the pinned playwright-core with npm ci when missing or different; return node's path."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BrowserUnavailableError(
            "Node.js and npm are needed for the browser test (playwright-core)"
        )
    if _playwright_installed():
        return node
    with _install_lock():
        if not _playwright_installed():  # another worker may have installed it meanwhile
            subprocess.run(  # noqa: S603 - npm from PATH with fixed arguments
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=BROWSER_DIR,
                check=True,
                timeout=300,
                # playwright-core never downloads browsers; this makes sure no install script tries.
                env=os.environ | {"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
            )
    return node


async def run_browser_script(
    node: str,
    script: str,
    settings: dict[str, str],
    *,
    out_dir: Path,
    within: float,
    on_step: StepHandler | None = None,
) -> list[dict[str, Any]]:
    """Run browser/<script> with its settings in the environment; return the JSON lines it printed, one per step.

    on_step, when given, is awaited with each step as the script prints it (the script goes on meanwhile): the
    test acts in the middle of the script's run. A script that fails (or runs longer than `within` seconds)
    fails the test with its output; its failure screenshots are in out_dir.
    """
    process = await asyncio.create_subprocess_exec(
        node,
        str(BROWSER_DIR / script),
        cwd=BROWSER_DIR,
        env=processes.base_env() | settings,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr = asyncio.create_task(process.stderr.read())
    lines: list[str] = []
    steps: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within):
            async for raw in process.stdout:
                lines.append(line := raw.decode(errors="replace").rstrip("\n"))
                if line.startswith("{"):
                    steps.append(step := json.loads(line))
                    if on_step is not None:
                        await on_step(step)
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        errors = (await stderr).decode(errors="replace")
    output = "\n".join(lines)
    assert process.returncode == 0, (
        f"{script} failed (screenshots in {out_dir}):\n{output}\n{errors}"
    )
    return steps


async def signed_in_with_credentials(url: str, session: aiohttp.ClientSession) -> Hass:
    """Onboard (or sign in to) the Home Assistant at url and register the simulator's OAuth client.

    Onboarding and the credentials are not what the browser tests are about: the API does them.
    """
    hass = Hass(url, session)
    await hass.sign_in()
    await hass.ensure_application_credentials(
        "ev_energy", "ha-test-client", "ha-test-secret", "simulator"
    )
    return hass


@contextmanager
def simulator_and_home_assistant(
    base: Path, *, logs_into: Path, simulator_args: tuple[str, ...] = ()
) -> Iterator[tuple[processes.Service, processes.Service]]:
    """Run the simulator (real time, with its consent page) and a fresh Home Assistant; keep their logs after.

    simulator_args are extra command line options (report interval, history hours). Home Assistant's logs are
    checked at the end (processes.running).
    """
    simulator = processes.simulator(base, demo_approve=False, speed=1, extra=simulator_args)
    hass = processes.home_assistant(base / "config", simulator.url)
    with processes.running(simulator, hass, logs_into=logs_into):
        yield simulator, hass


def publish_screenshot(screenshot: Path) -> None:
    """Copy a documentation screenshot into docs/screenshots/ when missing or asked for (EV_ENERGY_UPDATE_SCREENSHOTS=1).

    Only then, so that test runs don't dirty the tree. A picture under 10 kB is a blank page.
    """
    assert screenshot.stat().st_size > 10_000, f"{screenshot} looks blank"
    target = SCREENSHOTS / screenshot.name
    if not target.exists() or os.environ.get("EV_ENERGY_UPDATE_SCREENSHOTS") == "1":
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, target)


def main() -> int:
    """Install Chromium and playwright-core when missing (before a parallel test run); say what was done."""
    had_chromium, had_playwright = find_chromium() is not None, _playwright_installed()
    try:
        chromium = ensure_chromium()
        node = ensure_playwright()
    except (BrowserUnavailableError, subprocess.SubprocessError) as err:
        print(f"browser prerequisites: {err}", file=sys.stderr)  # noqa: T201 - the command's report
        return 1
    version = json.loads(
        (BROWSER_DIR / "node_modules" / "playwright-core" / "package.json").read_text()
    )["version"]
    print(  # noqa: T201 - the command's report
        f"Chromium: {'already installed' if had_chromium else 'installed with apt-get'} ({chromium})\n"
        f"playwright-core {version}: {'already installed' if had_playwright else 'installed with npm ci'}"
        f" in {BROWSER_DIR / 'node_modules'} (node {node})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
