"""scripts/bump_pins: the pins of CI's newer legs follow the newest releases, and the README says which."""

from __future__ import annotations

import pytest

from scripts.devtools.pins import Release, changes, plan, repin, updated_readme

NEWEST = "# harness\nhomeassistant==2026.10.4\nrf-protocols==4.3.0\npytest-homeassistant-custom-component==0.13.375\n"
RELEASE = "# release\nhomeassistant==2026.11.0\npytest==9.0.3\n"
README = (
    "Intro mentions 2026.10.4 elsewhere.\n"
    "**Compatibility:** Home Assistant 2025.4.4 (oldest), 2026.10.4 (whole\n"
    "suite) and 2026.11.0 (newest).\n"
    "\nLater text names 2026.11.0 too.\n"
)


def _harness(version: str, core: str) -> Release:
    return Release(version, {"homeassistant": core, "pytest": "9.0.3"})


def test_new_releases_move_both_legs_and_the_compatibility_line() -> None:
    after = plan(_harness("0.13.380", "2026.11.1"), Release("2026.12.0", {}), NEWEST, RELEASE)
    assert "pytest-homeassistant-custom-component==0.13.380" in after["newest.txt"]
    assert "homeassistant==2026.11.1" in after["newest.txt"]
    assert "rf-protocols==4.3.0" in after["newest.txt"], "other pins are left alone"
    assert after["release.txt"] == RELEASE.replace("2026.11.0", "2026.12.0")
    before = {"newest.txt": NEWEST, "release.txt": RELEASE}
    assert changes(before, after) == [
        "newest.txt: pytest-homeassistant-custom-component 0.13.375 -> 0.13.380",
        "newest.txt: homeassistant 2026.10.4 -> 2026.11.1",
        "release.txt: homeassistant 2026.11.0 -> 2026.12.0",
    ]
    readme = updated_readme(README, before, after)
    assert readme.splitlines()[0] == "Intro mentions 2026.10.4 elsewhere."
    assert "2025.4.4 (oldest), 2026.11.1 (whole\nsuite) and 2026.12.0 (newest)" in readme
    assert readme.endswith("Later text names 2026.11.0 too.\n")


def test_nothing_new_changes_nothing() -> None:
    after = plan(_harness("0.13.375", "2026.10.4"), Release("2026.11.0", {}), NEWEST, RELEASE)
    assert after == {"newest.txt": NEWEST, "release.txt": RELEASE}
    assert changes({"newest.txt": NEWEST, "release.txt": RELEASE}, after) == []


def test_the_release_leg_never_falls_behind_the_harness() -> None:
    # PyPI's newest release can lag a harness that pins a version published minutes later.
    after = plan(_harness("0.13.390", "2026.12.1"), Release("2026.12.0", {}), NEWEST, RELEASE)
    assert "homeassistant==2026.12.1" in after["release.txt"]


def test_a_missing_or_doubled_pin_is_an_error_not_a_silent_no_op() -> None:
    with pytest.raises(ValueError, match="pinned 0 times"):
        repin("pytest==1\n", "homeassistant", "2026.1.0")
    with pytest.raises(ValueError, match="pins no homeassistant"):
        plan(Release("0.13.999", {}), Release("2026.12.0", {}), NEWEST, RELEASE)
