"""The README's Troubleshooting section explains every message the integration can show."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRINGS = ROOT / "custom_components" / "ev_energy" / "strings.json"
# Not problems: shown when a step went well.
NOT_TROUBLE = {"create_entry"}


def _troubleshooting() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Troubleshooting\n", 1)[1]
    return section.split("\n## ", 1)[0]


def _messages() -> set[str]:
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    config = strings["config"]
    return {
        *strings.get("exceptions", {}),
        *strings.get("issues", {}),
        *config.get("abort", {}),
        *config.get("error", {}),
        *(step for step in config.get("step", {}) if step.startswith("reauth")),
    } - NOT_TROUBLE


def test_troubleshooting_explains_every_error_repair_and_reauthentication() -> None:
    section = _troubleshooting()
    missing = sorted(key for key in _messages() if f"`{key}`" not in section)
    assert not missing, f"README Troubleshooting does not explain: {missing}"
