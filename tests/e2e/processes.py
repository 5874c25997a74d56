"""Real simulator and Home Assistant processes for the end-to-end tests.

Each process runs in its own session (process group), writes its output to a log file (no reader
threads, which pytest-homeassistant-custom-component would flag as lingering), is waited for with a
bounded poll, and is stopped with its whole group: SIGTERM, then SIGKILL. Modules run them through
``running``, which checks Home Assistant's logs at the end (``log_problems``: our wrong calls and tracebacks fail
the module). Each module keeps its logs in its own artifacts sub-folder, and its processes' files in its own
temporary folder, so that modules can run at the same time (pytest-xdist, one file per worker).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib
from contextlib import contextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from scripts.devtools.config import prepare_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("EV_ENERGY_ARTIFACTS", ROOT / "artifacts")) / "e2e"
HOST = "127.0.0.1"  # pytest-socket (through the HA test plugin) allows only this host

# Every process started and not yet stopped: failed tests get the tails of their logs attached.
RUNNING: list[Service] = []

# Home Assistant's report of a deprecated or wrong call made by our integration (frame.report_usage).
OUR_WRONG_CALL = "Detected that custom integration 'ev_energy'"
# Home Assistant 2026.x loads every entity domain's triggers once automations are configured, among them
# `infrared` (its requirement, infrared-protocols 10.1, is not on the package registry these machines reach) and
# `tts` -> `ffmpeg` (no ffmpeg binary on the test machines). Neither is ours nor used by the dev config; 2025.4
# loads neither. Any other traceback fails the module that started Home Assistant.
UPSTREAM_ENVIRONMENT_ERRORS = (
    "Setup failed for 'infrared': Unable to import component: No module named 'infrared_protocols'",
    "[haffmpeg.core] FFmpeg fails [Errno 2] No such file or directory: 'ffmpeg'",
)


@dataclass(frozen=True)
class UpstreamTraceback:
    """A traceback known to be upstream's: its innermost frame's file and its final exception line."""

    innermost_file: str
    exception: str


# Races of Home Assistant's own shutdown and of its HTTP server, seen on loaded machines on 2026.11 / Python 3.14.
# A record line such as "Task exception was never retrieved" says nothing about whose task it was, so these are
# told by where the exception was raised; a traceback with a frame of ours is never taken as upstream.
UPSTREAM_TRACEBACKS = (
    # The shutdown raises SystemExit into executor threads still idle after its timeout; the standard library's
    # worker loop logs that (jobs' own exceptions go to their futures, never here).
    UpstreamTraceback("concurrent/futures/thread.py", "SystemExit"),
    # The browser closed its websocket while Home Assistant was still sending to it.
    UpstreamTraceback(
        "aiohttp/_websocket/writer.py",
        "aiohttp.client_exceptions.ClientConnectionResetError: Cannot write to closing transport",
    ),
)
OUR_FRAME = "custom_components/ev_energy/"

# A log record's first line: "2026-11-20 17:30:00.123 ERROR (MainThread) [logger] message".
_RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


def free_port() -> int:
    """Return a TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback URL built by the tests
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Service:
    """A started process, its log file and the URL it serves."""

    name: str
    args: Sequence[str]
    log_path: Path
    url: str
    env: dict[str, str]
    cwd: Path = ROOT
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, ready_path: str, within: float = 60.0) -> None:
        """Start the process and wait until GET url+ready_path gets any HTTP answer."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(
                f"\n===== {time.strftime('%H:%M:%S')} start: {' '.join(self.args)}\n".encode()
            )
            log.flush()
            self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        RUNNING.append(self)
        deadline = time.monotonic() + within
        while not _http_answers(self.url + ready_path):
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.popen.returncode} while starting:\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name} did not answer within {within:.0f} s:\n{self.tail()}"
                )
            time.sleep(0.2)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.popen is not None and self.popen.poll() is None

    def stop(self, within: float = 30.0) -> int | None:
        """Stop the process group: SIGTERM, then SIGKILL after `within` seconds. Return the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(within)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        # Children that ignored SIGTERM (none expected) go with the group.
        _signal_group(self.popen.pid, signal.SIGKILL)
        if self in RUNNING:
            RUNNING.remove(self)
        return self.popen.returncode

    def tail(self, lines: int = 60) -> str:
        """Return the last lines of the log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def base_env() -> dict[str, str]:
    """The environment for child processes: ours, without pytest's and coverage's variables."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_"))
    }


def simulator(
    log_dir: Path,
    *,
    demo_approve: bool,
    speed: float = 1.0,
    seed: int = 7,
    scenario: str = "home",
    extra: Sequence[str] = (),
) -> Service:
    """Describe a simulator process on a free port (start it with .start())."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "simulator",
        "--host",
        HOST,
        "--port",
        str(port),
        "--scenario",
        scenario,
        "--seed",
        str(seed),
        "--speed",
        str(speed),
        *(["--demo-approve"] if demo_approve else []),
        *extra,
    ]
    return Service(
        "simulator", args, log_dir / "simulator.log", f"http://{HOST}:{port}", base_env()
    )


def home_assistant(config_dir: Path, api_url: str) -> Service:
    """Describe a Home Assistant process on a free port with the dev configuration (start with .start())."""
    port = free_port()
    prepare_config(config_dir, replace=True)
    url = f"http://{HOST}:{port}"
    # configuration.yaml reads both: the port to listen on, the URL as Home Assistant's internal URL.
    env = base_env() | {
        "EV_ENERGY_API_URL": api_url,
        "EV_ENERGY_HA_PORT": str(port),
        "EV_ENERGY_HA_URL": url,
    }
    args = [
        sys.executable,
        "-m",
        "homeassistant",
        "-c",
        str(config_dir),
        "--skip-pip",
        "--log-rotate-days",
        "7",
    ]
    return Service("hass", args, config_dir / "hass.stdout.log", url, env)


def log_problems(log: str) -> list[str]:
    """Return what fails a module in a Home Assistant log: our wrong calls, and tracebacks not known upstream.

    A traceback belongs to the log record above it (the nearest line that starts with a timestamp), so the
    chained tracebacks of one record ("During handling of the above exception ...") count as that record's.
    """
    problems = [line for line in log.splitlines() if OUR_WRONG_CALL in line]
    for record, body in _records(log):
        if any(line.startswith("Traceback") for line in body) and not _is_upstream(record, body):
            problems.append(f"{record or '(no log record)'} / Traceback (most recent call last):")
    return problems


def _records(log: str) -> Iterator[tuple[str, list[str]]]:
    """Yield each log record's first line and the lines under it (the text before any record has "")."""
    record, body = "", list[str]()
    for line in log.splitlines():
        if _RECORD_START.match(line):
            yield record, body
            record, body = line, []
        else:
            body.append(line)
    yield record, body


def _is_upstream(record: str, body: list[str]) -> bool:
    if any(known in record for known in UPSTREAM_ENVIRONMENT_ERRORS):
        return True
    frames = [line for line in body if line.lstrip().startswith('File "')]
    if not frames or any(OUR_FRAME in frame for frame in frames):
        return False
    final = next((line for line in reversed(body) if line.strip()), "")
    return any(
        known.innermost_file in frames[-1] and final.startswith(known.exception)
        for known in UPSTREAM_TRACEBACKS
    )


def home_assistant_logs(config_dir: Path) -> list[Path]:
    """Return Home Assistant's logs in config_dir: its own log (with rotated ones) and the process's output."""
    logs = [*sorted(config_dir.glob("home-assistant.log*")), config_dir / "hass.stdout.log"]
    return [path for path in logs if path.exists()]


def check_home_assistant_logs(hass: Service) -> None:
    """Fail (AssertionError) when a log of this Home Assistant shows a wrong call of ours or a traceback.

    Called by every module fixture that starts Home Assistant, after stopping it (see ``running``).
    """
    problems = {}
    for path in home_assistant_logs(hass.log_path.parent):
        if found := log_problems(path.read_text(errors="replace")):
            problems[path.name] = found
    assert not problems, "Home Assistant logged problems:\n" + "\n".join(
        f"{name}: {line}" for name, lines in problems.items() for line in lines
    )


@contextmanager
def running(
    simulator: Service,
    hass: Service,
    *,
    logs_into: Path,
    simulator_within: float = 30.0,
    hass_within: float = 90.0,
) -> Iterator[None]:
    """Run the simulator, then Home Assistant; at the end stop both, keep their logs, and check Home Assistant's.

    Every module that starts Home Assistant starts it in here, in its module-scoped fixture: a wrong call of ours
    or a traceback in Home Assistant's logs then fails the module at the fixture's teardown (not when setting up
    or a test already failed: that error is the one to see).
    """
    try:
        simulator.start("/_admin/state", within=simulator_within)
        hass.start("/auth/providers", within=hass_within)
        yield
    finally:
        try:
            hass.stop()
        finally:
            simulator.stop()
            keep_logs(simulator, hass, into=logs_into)
    check_home_assistant_logs(hass)


def keep_logs(*services: Service, into: Path) -> None:
    """Copy the services' logs (and Home Assistant's own log) into a module's artifacts sub-folder."""
    into.mkdir(parents=True, exist_ok=True)
    for service in services:
        if service.log_path.exists():
            shutil.copyfile(service.log_path, into / f"{service.name}.log")
        ha_log = service.log_path.parent / "home-assistant.log"
        if service.name == "hass" and ha_log.exists():
            shutil.copyfile(ha_log, into / "home-assistant.log")
