"""What Home Assistant checks before it accepts the integration (what HACS checks: test_hacs.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import re

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "ev_energy"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_says_what_home_assistant_needs() -> None:
    """What HACS requires of the manifest is in test_hacs.py."""
    manifest = _json(COMPONENT / "manifest.json")
    assert manifest["config_flow"] is True
    assert manifest["dependencies"] == ["application_credentials", "webhook"]
    # Cloudhooks for push when Cloud is set up; hourly statistics when the recorder is (it always is by default).
    assert manifest["after_dependencies"] == ["cloud", "recorder"]
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "hub"
    assert manifest["requirements"] == []
    # `loggers` names the loggers of the requirements; the integration has none and its own need no entry.
    assert "loggers" not in manifest


def test_english_translation_is_the_strings_file() -> None:
    """Custom integrations get no translation build step: en.json must be strings.json itself."""
    assert _json(COMPONENT / "translations" / "en.json") == _json(COMPONENT / "strings.json")


def test_every_translation_key_in_the_code_has_a_string() -> None:
    strings = _json(COMPONENT / "strings.json")
    source = "\n".join(path.read_text() for path in COMPONENT.glob("*.py"))
    for key in set(re.findall(r'translation_key="([a-z0-9_]+)"', source)):
        assert (
            key in strings["exceptions"]
            or key in strings["issues"]
            or any(key in platform for platform in strings["entity"].values())
        ), key
    # A flow's abort is the config flow's, or a repair's fix flow's.
    aborts = {*strings["config"]["abort"]}
    for issue in strings["issues"].values():
        aborts |= set(issue.get("fix_flow", {}).get("abort", {}))
    for reason in set(re.findall(r'async_abort\(reason="([a-z_]+)"\)|reason="([a-z_]+)"', source)):
        name = next(part for part in reason if part)
        assert name in aborts, name


def test_license_is_osi_approved() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_official_spec_is_the_unmodified_copy_its_source_note_describes() -> None:
    spec = ROOT / "docs" / "api" / "ev-energy-api-v2-openapi.yaml"
    note = (ROOT / "docs" / "api" / "SOURCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    assert f"`{digest}`" in note, "docs/api/SOURCE.md must give the spec's SHA-256"
