"""Move the Home Assistant pins of CI's two newer legs to the newest releases on PyPI, and say what changed.

- requirements/newest.txt: the newest pytest-homeassistant-custom-component and the Home Assistant it pins
  (the whole suite runs there);
- requirements/release.txt: the newest Home Assistant release (the real-process tests and hassfest run there);
- README.md: the compatibility line, which names the three versions.

The oldest supported version (requirements/oldest.txt) moves only by decision, never by this script.
Usage: scripts/bump_pins [--dry-run]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
from pathlib import Path
import re
import sys
import urllib.request

ROOT = Path(__file__).resolve().parents[2]
PYPI = "https://pypi.org/pypi/{}/json"
HARNESS = "pytest-homeassistant-custom-component"
CORE = "homeassistant"


@dataclass(frozen=True)
class Release:
    """A package's newest release on PyPI and the exact pins it requires."""

    version: str
    pins: dict[str, str]


def newest_release(package: str) -> Release:
    """Ask PyPI for the newest (non pre-release) version of a package and its ``==`` requirements."""
    with urllib.request.urlopen(PYPI.format(package), timeout=60) as reply:  # noqa: S310 - fixed https URL
        info = json.load(reply)["info"]
    pins = {}
    for requirement in info.get("requires_dist") or ():
        if match := re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement.strip()):
            pins[match[1].lower()] = match[2]
    return Release(info["version"], pins)


def pinned(text: str, package: str) -> str | None:
    """Return the version ``package==X`` pins in a requirements text, or None."""
    match = re.search(rf"^{re.escape(package)}==(\S+)", text, flags=re.MULTILINE)
    return match[1] if match else None


def repin(text: str, package: str, version: str) -> str:
    """Return the requirements text with ``package`` pinned to ``version`` (the line must exist)."""
    new, count = re.subn(
        rf"^({re.escape(package)}==)\S+", rf"\g<1>{version}", text, flags=re.MULTILINE
    )
    if count != 1:
        raise ValueError(f"{package} is pinned {count} times, expected once")
    return new


def version_key(version: str) -> tuple[int, ...]:
    """Order release versions such as 2026.11.0 numerically."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def plan(harness: Release, core: Release, newest_txt: str, release_txt: str) -> dict[str, str]:
    """Return the new texts of requirements/newest.txt and release.txt (keys: file names)."""
    harness_core = harness.pins.get(CORE)
    if harness_core is None:
        raise ValueError(f"{HARNESS} {harness.version} pins no {CORE}")
    newest_txt = repin(repin(newest_txt, HARNESS, harness.version), CORE, harness_core)
    # The harness can be ahead of the release pin only for a moment: the release leg never runs older.
    release = max(core.version, harness_core, key=version_key)
    return {"newest.txt": newest_txt, "release.txt": repin(release_txt, CORE, release)}


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Describe each pin that moved, as 'file: package old -> new'."""
    moved = []
    for name, text in after.items():
        for package in (HARNESS, CORE):
            old, new = pinned(before[name], package), pinned(text, package)
            if old != new:
                moved.append(f"{name}: {package} {old} -> {new}")
    return moved


def updated_readme(readme: str, before: dict[str, str], after: dict[str, str]) -> str:
    """Return README.md with its compatibility paragraph naming the new versions (nothing else changes)."""
    match = re.search(r"^\S*[Cc]ompatib.*?(?:\n\s*\n|\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise ValueError("README.md has no compatibility paragraph")
    paragraph = match[0]
    for name in ("newest.txt", "release.txt"):
        old, new = pinned(before[name], CORE), pinned(after[name], CORE)
        if old and new and old != new:
            paragraph = paragraph.replace(old, new, 1)
    return readme[: match.start()] + paragraph + readme[match.end() :]


def main(argv: list[str] | None = None) -> int:
    """Bump the pins (or only show what would change with --dry-run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    args = parser.parse_args(argv)
    folder = ROOT / "requirements"
    before = {name: (folder / name).read_text() for name in ("newest.txt", "release.txt")}
    after = plan(
        newest_release(HARNESS), newest_release(CORE), before["newest.txt"], before["release.txt"]
    )
    moved = changes(before, after)
    if not moved:
        print("The pins are the newest releases already: nothing changed.")
        return 0
    print("\n".join(moved))
    if args.dry_run:
        return 0
    for name, text in after.items():
        (folder / name).write_text(text)
    readme = ROOT / "README.md"
    readme.write_text(updated_readme(readme.read_text(), before, after))
    print(
        "Written. Now run scripts/newest scripts/test and scripts/release scripts/test: "
        "other pins in those files (packages the new frontend needs) may have to follow."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
