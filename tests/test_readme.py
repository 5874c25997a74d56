"""docs/troubleshooting.md explains every message the integration can show."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRINGS = ROOT / "custom_components" / "ev_energy" / "strings.json"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
# Not problems: shown when a step went well.
NOT_TROUBLE = {"create_entry"}


def _messages() -> set[str]:
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
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
    text = TROUBLESHOOTING.read_text(encoding="utf-8")
    missing = sorted(key for key in _messages() if f"`{key}`" not in text)
    assert not missing, f"docs/troubleshooting.md does not explain: {missing}"
