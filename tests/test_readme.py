"""The documentation keeps its promises: every message explained, links that work, versions that match CI.

README.md is for users and stays short; CONTRIBUTING.md and docs/ hold the rest. docs/troubleshooting.md explains
every message the integration can show.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re

import pytest

from custom_components.ev_energy.kinds import SCOPES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
STRINGS = ROOT / "custom_components" / "ev_energy" / "strings.json"
REQUIREMENTS = ROOT / "requirements"
MAX_README_LINES = 300
MAX_INFO_LINES = 12
# Not problems: shown when a step went well.
NOT_TROUBLE = {"create_entry"}
# The Markdown files whose relative links must lead somewhere.
LINKED_DOCS = sorted(
    [
        README,
        ROOT / "CONTRIBUTING.md",
        ROOT / "info.md",
        ROOT / "simulator" / "README.md",
        *(ROOT / "docs").rglob("*.md"),
    ]
)
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"`[^`\n]*`")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _prose_lines(path: Path) -> Iterator[str]:
    """The lines outside fenced code blocks."""
    fenced = False
    for line in _text(path).splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            yield line


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose_lines(path):
        if match := HEADING.match(line):
            slug = re.sub(r"[^\w\- ]", "", match[2].lower()).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(path: Path) -> Iterator[str]:
    for line in _prose_lines(path):
        # A label may be code (`[`x.md`](x.md)`): code spans are unwrapped, not dropped.
        for match in LINK.finditer(CODE_SPAN.sub(lambda span: span[0][1:-1], line)):
            yield match[1]


def _pin(name: str) -> str:
    match = re.search(r"^homeassistant==(\S+)", _text(REQUIREMENTS / name), re.MULTILINE)
    assert match is not None, f"requirements/{name} pins no homeassistant"
    return match[1]


def _paragraph_starting(text: str, start: str) -> str:
    """The paragraph (up to a blank line) that starts with `start`, on one line."""
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.startswith(start):
            return " ".join(paragraph.split())
    pytest.fail(f"no paragraph starts with {start!r}")


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _messages() -> set[str]:
    strings = json.loads(_text(STRINGS))
    config = strings["config"]
    return {
        *strings.get("exceptions", {}),
        *strings.get("issues", {}),
        *(
            key
            for issue in strings.get("issues", {}).values()
            for key in issue.get("fix_flow", {}).get("abort", {})
        ),
        *config.get("abort", {}),
        *config.get("error", {}),
        *(step for step in config.get("step", {}) if step.startswith("reauth")),
        *strings.get("options", {}).get("abort", {}),
        *strings.get("options", {}).get("error", {}),
    } - NOT_TROUBLE


def test_troubleshooting_explains_every_error_repair_and_reauthentication() -> None:
    text = _text(TROUBLESHOOTING)
    missing = sorted(key for key in _messages() if f"`{key}`" not in text)
    assert not missing, f"docs/troubleshooting.md does not explain: {missing}"


def test_readme_stays_short() -> None:
    lines = len(_text(README).splitlines())
    assert lines < MAX_README_LINES, f"README.md has {lines} lines; move details to docs/"


@pytest.mark.parametrize("path", LINKED_DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_lead_to_files_and_headings_that_exist(path: Path) -> None:
    broken = []
    for target in _links(path):
        if SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        ):
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} links to what does not exist: {broken}"


def test_compatibility_line_names_the_versions_ci_runs() -> None:
    line = _paragraph_starting(_text(README), "**Compatibility**")
    oldest, newest, release = _pin("oldest.txt"), _pin("newest.txt"), _pin("release.txt")
    assert f"Home Assistant {oldest} or newer" in line
    assert f"{oldest} (oldest supported)" in line
    assert f"{newest} (newest supported by the test harness, whole suite)" in line
    assert (
        f"{release} (newest release, real-process tests and the hassfest and HACS rule checks)"
        in line
    )


def test_info_md_is_short_and_agrees_with_the_readme() -> None:
    info = _text(ROOT / "info.md")
    assert len(info.splitlines()) <= MAX_INFO_LINES
    assert f"Home Assistant {_pin('oldest.txt')} or newer" in info
    assert "README" in info


def test_readme_asks_for_the_scopes_the_integration_requests() -> None:
    # Built from the device kinds' scopes (kinds.py): the README lists them in the order they are asked.
    section = " ".join(_section(_text(README), "Prerequisites").split())
    listed = re.search(r"\*\*Scopes\*\*: `([^`]+)`", section)
    assert listed is not None
    assert listed[1].split() == list(SCOPES)


def test_readme_keeps_the_two_development_commands() -> None:
    section = _section(_text(README), "Development")
    assert "scripts/develop" in section
    assert "scripts/test" in section
    assert "(CONTRIBUTING.md)" in section
