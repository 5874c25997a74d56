"""Prepare a Home Assistant configuration folder for development (used by scripts/develop and the e2e tests).

The committed files of config/ are copied in when missing, the integration is linked in, and onboarding's
location step is marked done before the first start: that step sets up radio browser, Met.no weather and
Google Translate text-to-speech, which only fail offline (tracebacks at every start) and are not what the
development server is for. configuration.yaml sets the location settings that step would ask for.
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ("configuration.yaml", "automations.yaml", "scripts.yaml", "scenes.yaml")
# Home Assistant's onboarding store (homeassistant/components/onboarding, storage version 4).
ONBOARDING_STORE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config"]},
}


def prepare_config(config_dir: Path, *, replace: bool = False) -> None:
    """Make config_dir a development configuration (replace: overwrite the committed files too)."""
    (config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
    for name in COMMITTED:
        target = config_dir / name
        if replace or not target.exists():
            shutil.copyfile(ROOT / "config" / name, target)
    link = config_dir / "custom_components" / "ev_energy"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(ROOT / "custom_components" / "ev_energy", target_is_directory=True)
    storage = config_dir / ".storage"
    # Only before the first start: an onboarded server (auth exists) keeps its own record.
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        storage.mkdir(exist_ok=True)
        (storage / "onboarding").write_text(json.dumps(ONBOARDING_STORE, indent=2))
