"""The check of Home Assistant's logs that every end-to-end module runs at its end (processes.log_problems).

A wrong call of ours that Home Assistant reports ("Detected that custom integration 'ev_energy' ...") or a
traceback fails the module; the tracebacks of the test machines' missing upstream requirements do not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys

import pytest

from . import processes

WRONG_CALL = (
    "2026-11-20 17:30:02.345 WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom "
    "integration 'ev_energy' calls device_registry.async_get_device with device_id at "
    "custom_components/ev_energy/devices.py, line 113: registry.async_get_device(device_id). This will stop "
    "working in Home Assistant 2026.11, please create a bug report at "
    "https://github.com/example/ev_energy/issues"
)
OTHER_WRONG_CALL = WRONG_CALL.replace("'ev_energy'", "'other_integration'")
CLEAN = """\
2026-11-20 17:30:00.001 INFO (MainThread) [homeassistant.bootstrap] Home Assistant initialized in 3.19s
2026-11-20 17:30:01.002 DEBUG (MainThread) [custom_components.ev_energy] Finished fetching ev_energy data
"""
UPSTREAM = """\
2026-12-06 18:03:03.056+00:00 CRITICAL (SyncWorker_7) [concurrent.futures] Exception in worker
Traceback (most recent call last):
  File "/usr/lib/python3.14/concurrent/futures/thread.py", line 109, in _worker
_queue.Empty

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/lib/python3.14/concurrent/futures/thread.py", line 116, in _worker
SystemExit
2026-11-20 17:30:01.100 ERROR (MainThread) [homeassistant.setup] Setup failed for 'infrared': Unable to import \
component: No module named 'infrared_protocols'
Traceback (most recent call last):
  File "/opt/venv/lib/python3.14/site-packages/homeassistant/loader.py", line 1, in _load
ModuleNotFoundError: No module named 'infrared_protocols'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/opt/venv/lib/python3.14/site-packages/homeassistant/setup.py", line 2, in _setup
ImportError: Unable to import component
2026-11-20 17:30:01.200 ERROR (MainThread) [haffmpeg.core] FFmpeg fails [Errno 2] No such file or directory: \
'ffmpeg'
Traceback (most recent call last):
FileNotFoundError: [Errno 2] No such file or directory: 'ffmpeg'
"""
TASK_NEVER_RETRIEVED = """\
2026-12-06 18:20:11.731+00:00 ERROR (MainThread) [homeassistant] Error doing job: Task exception was never \
retrieved (task: None)
Traceback (most recent call last):
  File "/opt/venv-release/lib/python3.14/site-packages/homeassistant/components/websocket_api/http.py", line \
129, in _writer
    await self._wsock.send_str(message)
  File "/opt/venv-release/lib/python3.14/site-packages/aiohttp/_websocket/writer.py", line 84, in send_frame
    raise ClientConnectionResetError("Cannot write to closing transport")
{final}
"""
WEBSOCKET_CLOSED = TASK_NEVER_RETRIEVED.format(
    final="aiohttp.client_exceptions.ClientConnectionResetError: Cannot write to closing transport"
)
OURS = """\
2026-11-20 17:30:05.500 ERROR (MainThread) [custom_components.ev_energy.coordinator] Unexpected error fetching \
ev_energy data
Traceback (most recent call last):
  File "/work/custom_components/ev_energy/coordinator.py", line 161, in _async_update_data
KeyError: 'evses'
"""


def test_a_clean_log_and_the_known_upstream_tracebacks_pass() -> None:
    log = CLEAN + UPSTREAM + WEBSOCKET_CLOSED + OTHER_WRONG_CALL + "\n"
    assert processes.log_problems(log) == []


def test_a_known_record_line_with_another_exception_fails() -> None:
    other = TASK_NEVER_RETRIEVED.format(final="ValueError: something else")
    assert processes.log_problems(CLEAN + other) == [
        f"{other.splitlines()[0]} / Traceback (most recent call last):"
    ]


def test_a_known_upstream_exception_through_a_frame_of_ours_fails() -> None:
    through_ours = WEBSOCKET_CLOSED.replace(
        "homeassistant/components/websocket_api/http.py", "custom_components/ev_energy/webhook.py"
    )
    assert processes.log_problems(through_ours) == [
        f"{through_ours.splitlines()[0]} / Traceback (most recent call last):"
    ]


def test_a_wrong_call_of_ours_fails() -> None:
    assert processes.log_problems(CLEAN + WRONG_CALL + "\n" + UPSTREAM) == [WRONG_CALL]


def test_a_traceback_of_ours_fails_with_its_log_record() -> None:
    problems = processes.log_problems(UPSTREAM + OURS + CLEAN)
    assert problems == [
        f"{OURS.splitlines()[0]} / Traceback (most recent call last):",
    ]


def test_a_traceback_without_a_log_record_fails() -> None:
    assert processes.log_problems("Traceback (most recent call last):\nValueError\n") == [
        "(no log record) / Traceback (most recent call last):"
    ]


@pytest.mark.parametrize(
    "log_name", ["home-assistant.log", "home-assistant.log.1", "hass.stdout.log"]
)
def test_each_log_of_home_assistant_is_checked(tmp_path: Path, log_name: str) -> None:
    hass = processes.Service("hass", [], tmp_path / "hass.stdout.log", "http://127.0.0.1:1", {})
    (tmp_path / "home-assistant.log").write_text(CLEAN + UPSTREAM)
    processes.check_home_assistant_logs(hass)
    (tmp_path / log_name).write_text(CLEAN + WRONG_CALL + "\n")
    with pytest.raises(AssertionError, match=f"{log_name}: .*Detected that custom integration"):
        processes.check_home_assistant_logs(hass)


def _http_server(name: str, folder: Path) -> processes.Service:
    """A stand-in process that answers HTTP (Python's http.server), logging into folder."""
    port = processes.free_port()
    args = [sys.executable, "-m", "http.server", "--bind", processes.HOST, str(port)]
    return processes.Service(
        name, args, folder / f"{name}.log", f"http://{processes.HOST}:{port}", processes.base_env()
    )


def _run_a_module(
    folder: Path, log: str
) -> tuple[processes.Service, processes.Service, Callable[[], None]]:
    """Two stand-in processes, and a run of them as a module fixture does (Home Assistant logs `log` meanwhile)."""
    config_dir = folder / "config"
    config_dir.mkdir(parents=True)
    simulator, hass = _http_server("simulator", folder), _http_server("hass", config_dir)

    def run() -> None:
        with processes.running(simulator, hass, logs_into=folder / "artifacts"):
            assert simulator.running
            assert hass.running
            (config_dir / "home-assistant.log").write_text(log)

    return simulator, hass, run


def test_a_module_whose_home_assistant_logged_a_wrong_call_fails_at_the_end(
    tmp_path: Path,
) -> None:
    """processes.running, which every module fixture runs its processes in, fails on leaving."""
    simulator, hass, run = _run_a_module(tmp_path / "clean", CLEAN + UPSTREAM)
    run()
    assert not simulator.running
    assert not hass.running
    simulator, hass, run = _run_a_module(tmp_path / "wrong", CLEAN + WRONG_CALL + "\n")
    with pytest.raises(AssertionError, match="Detected that custom integration 'ev_energy'"):
        run()
    # The processes were stopped and their logs kept first.
    assert not simulator.running
    assert not hass.running
    assert (tmp_path / "wrong" / "artifacts" / "home-assistant.log").exists()
