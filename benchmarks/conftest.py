"""The benchmarks reuse the integration tests' fixtures (Home Assistant against the simulator).

They report through the ``report`` fixture: ``report.table(title, headers, rows, notes)`` collects a table,
printed at the end of the run and written as Markdown to ``benchmarks/RESULTS.md``. Logs stay off (Home
Assistant's INFO lines, asyncio's slow-callback warnings from the frozen clock's jumps) unless
``EV_ENERGY_BENCHMARK_LOGS=1``.

What every benchmark does around a run is here too: ``start_simulator(scenario, **options)`` starts a simulator
with Home Assistant's clock at its time and the integration pointed at it, ``remove_entry`` unloads and removes
an entry after its run, and ``busiest_hour`` counts the busiest rolling hour of request times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import os
from pathlib import Path
import platform
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import const as ha_const
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_energy.const import API_ORIGIN_ENV
from simulator.testing import Simulator, run_simulator
from tests.conftest import local_sockets, simulator, simulator_factory  # noqa: F401
from tests.integration.conftest import auto_enable_custom_integrations, credentials, sim  # noqa: F401

LOGS_ENV = "EV_ENERGY_BENCHMARK_LOGS"
RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass(frozen=True)
class Table:
    """One titled table of figures, with notes explaining its columns."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    notes: Sequence[str] = ()

    def markdown(self, measured: str) -> list[str]:
        """Return the table as Markdown, columns padded so it also reads well in a terminal, under its date."""
        cells = [[str(cell) for cell in row] for row in [self.headers, *self.rows]]
        widths = [max(len(row[column]) for row in cells) for column in range(len(self.headers))]

        def line(row: Sequence[str]) -> str:
            padded = [
                cell.ljust(width) if column == 0 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            return "| " + " | ".join(padded) + " |"

        rule = [":" + "-" * (widths[0] - 1)] + ["-" * (width - 1) + ":" for width in widths[1:]]
        body = [line(cells[0]), "| " + " | ".join(rule) + " |", *(line(row) for row in cells[1:])]
        notes = ["", *(f"- {note}" for note in self.notes)] if self.notes else []
        return [f"## {self.title}", "", f"Measured {measured}.", "", *body, *notes]


@dataclass
class Report:
    """The tables of one benchmark run."""

    tables: list[Table] = field(default_factory=list)

    def table(
        self,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        notes: Sequence[str] = (),
    ) -> None:
        """Add a table (the first column is a label, the others are figures)."""
        self.tables.append(Table(title, headers, rows, notes))

    def markdown(self, earlier: str = "") -> list[str]:
        """Return every table as one Markdown document, after (or in place of) the tables of ``earlier``'s.

        A table of ``earlier`` (an earlier RESULTS.md) with the title of one of this run's is replaced where it
        stands; the others are kept as they were, under the date they were measured.
        """
        measured = (
            f"on {datetime.now(UTC):%Y-%m-%d} (Python {platform.python_version()}, Home Assistant"
            f" {ha_const.__version__})"
        )
        sections = _sections(earlier)
        for table in self.tables:
            sections[table.title] = table.markdown(measured)
        lines = ["# Benchmark results", "", WRITTEN]
        for section in sections.values():
            lines += ["", *section]
        return lines


WRITTEN = (
    "Written by `scripts/benchmark`: a run replaces the tables of the benchmarks it ran and keeps the others."
    " Figures, not pass/fail: compare runs made on the same machine."
)


def _sections(markdown: str) -> dict[str, list[str]]:
    """Return the tables of a RESULTS.md by title, in their order, each as its lines (its heading first)."""
    sections: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            lines = sections[line.removeprefix("## ")] = [line]
        elif lines is not None:
            lines.append(line)
    for section in sections.values():
        while section[-1] == "":
            section.pop()
    return sections


_report = Report()

type StartSimulator = Callable[..., AbstractAsyncContextManager[Simulator]]


@pytest.fixture
def start_simulator(
    local_sockets: None,  # noqa: F811 - the fixture, imported above
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> StartSimulator:
    """Return ``start(scenario, at=None, **options)``: ``async with start("fleet", fleet_size=20) as sim``.

    The simulator runs the scenario (``options`` as ``run_simulator`` takes them), its clock first moved on to
    ``at`` when given; Home Assistant's clock is set to the simulator's and the integration pointed at it.
    """

    @asynccontextmanager
    async def start(
        scenario: str = "home", *, at: datetime | None = None, **options: Any
    ) -> AsyncIterator[Simulator]:
        async with run_simulator(scenario, **options) as started:
            if at is not None:
                started.clock.advance((at - started.clock.now()).total_seconds())
            freezer.move_to(started.clock.now())
            monkeypatch.setenv(API_ORIGIN_ENV, started.origin)
            yield started

    return start


async def remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Unload and remove an entry after its run, so the next run starts from none."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)


def busiest_hour(times: Sequence[datetime]) -> int:
    """Return how many of ``times`` (oldest first) the busiest rolling hour holds."""
    return max(
        (
            sum(1 for later in times[index:] if later - first < timedelta(hours=1))
            for index, first in enumerate(times)
        ),
        default=0,
    )


@pytest.fixture(scope="session")
def report() -> Report:
    """Collect the run's tables: ``report.table(title, headers, rows, notes)``."""
    return _report


def pytest_configure(config: pytest.Config) -> None:
    """Keep logs off unless asked for, so the tables are all a run prints."""
    if os.environ.get(LOGS_ENV) != "1":
        logging.disable(logging.WARNING)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tables of a run that passed to benchmarks/RESULTS.md, keeping those of the benchmarks not run."""
    if _report.tables and exitstatus == pytest.ExitCode.OK:
        earlier = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        RESULTS.write_text("\n".join(_report.markdown(earlier)) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the tables."""
    if _report.tables:
        terminalreporter.write_line("")
        for text in _report.markdown()[2:]:
            terminalreporter.write_line(text)
