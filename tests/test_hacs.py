"""What HACS validates before it lists or installs the integration, checked without GitHub.

The rules are HACS's own (hacs.xyz "Publish": general and integration requirements; the hacs.json and
integration-manifest schemas of HACS's validator) and, for the brand images HACS requires, Home Assistant's
brand image specification. The checks that need GitHub (repository description, topics, releases) are not here.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion
from PIL import Image
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "ev_energy"
BRAND = COMPONENT / "brand"

# hacs.json: every key HACS accepts (it refuses any other) and its type.
HACS_JSON_KEYS: dict[str, type] = {
    "name": str,
    "content_in_root": bool,
    "country": object,  # a code or a list of codes, checked below
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
}
# The images Home Assistant (2026.3 and newer) reads from an integration's brand/ folder; icon.png is the one
# HACS requires.
BRAND_FILES = {
    f"{dark}{kind}{hidpi}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for hidpi in ("", "@2x")
}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _oldest_home_assistant() -> AwesomeVersion:
    pin = re.search(
        r"^homeassistant==(\S+)", (ROOT / "requirements" / "oldest.txt").read_text(), re.MULTILINE
    )
    assert pin is not None, "requirements/oldest.txt pins no homeassistant"
    return AwesomeVersion(pin.group(1))


def test_hacs_json_has_only_keys_hacs_accepts_with_their_types() -> None:
    hacs = _json(ROOT / "hacs.json")
    unknown = sorted(set(hacs) - set(HACS_JSON_KEYS))
    assert not unknown, f"HACS refuses hacs.json keys {unknown}"
    wrong = {
        key: type(value).__name__
        for key, value in hacs.items()
        if not isinstance(value, HACS_JSON_KEYS[key])
    }
    assert not wrong, f"hacs.json values of the wrong type: {wrong}"
    assert hacs["name"] == "ev.energy"
    for code in (
        [hacs["country"]] if isinstance(hacs.get("country"), str) else hacs.get("country", [])
    ):
        assert re.fullmatch(r"[A-Za-z]{2}", code), code


def test_hacs_json_describes_this_repository_layout() -> None:
    hacs = _json(ROOT / "hacs.json")
    # The integration is in custom_components/ev_energy/, not at the root; HACS downloads the folder, not a zip.
    assert hacs.get("content_in_root", False) is False
    assert hacs.get("zip_release", False) is False
    assert "filename" not in hacs, "filename only means something with zip_release"


def test_hacs_json_minimum_home_assistant_is_the_oldest_we_test_on() -> None:
    hacs = AwesomeVersion(_json(ROOT / "hacs.json")["homeassistant"])
    oldest = _oldest_home_assistant()
    assert hacs.valid
    # The oldest release the tests run on is the oldest HACS offers the integration to, and the README's.
    assert hacs == oldest, (hacs, oldest)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Home Assistant {oldest} or newer" in readme
    # Home Assistant's manifest has no minimum-version key: hacs.json is the one place that says it.
    assert "homeassistant" not in _json(COMPONENT / "manifest.json")


def test_information_file_is_there_and_says_something() -> None:
    """HACS shows the README (render_readme) or, without it, info.md; either must exist and not be empty."""
    hacs = _json(ROOT / "hacs.json")
    shown = ROOT / ("README.md" if hacs.get("render_readme") else "info.md")
    assert shown.is_file(), f"HACS shows {shown.name}, which is missing"
    assert shown.read_text(encoding="utf-8").strip(), f"{shown.name} is empty"
    info = ROOT / "info.md"
    if info.exists():  # kept for HACS versions that show info.md
        assert info.read_text(encoding="utf-8").strip()


def test_exactly_one_integration_under_custom_components() -> None:
    """HACS manages only the first folder under custom_components/; there must be exactly one."""
    folders = sorted(
        path.name
        for path in (ROOT / "custom_components").iterdir()
        if path.is_dir() and path.name != "__pycache__"
    )
    assert folders == ["ev_energy"]
    stray = sorted(
        path.name for path in (ROOT / "custom_components").iterdir() if not path.is_dir()
    )
    assert not stray, f"files beside the integration folder: {stray}"


def test_manifest_has_the_keys_hacs_requires() -> None:
    manifest = _json(COMPONENT / "manifest.json")
    for key in ("domain", "name", "documentation", "issue_tracker", "codeowners", "version"):
        assert manifest.get(key), f"manifest.json lacks {key}"
    assert manifest["domain"] == COMPONENT.name
    assert isinstance(manifest["name"], str)
    for key in ("documentation", "issue_tracker"):
        url = urlparse(manifest[key])
        assert url.scheme == "https", (key, manifest[key])
        assert url.netloc, (key, manifest[key])
    assert isinstance(manifest["codeowners"], list)
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in manifest["codeowners"])
    version = AwesomeVersion(manifest["version"])
    assert version.valid, manifest["version"]
    assert version.strategy != "unknown", manifest["version"]


def test_brand_folder_holds_only_images_home_assistant_reads() -> None:
    names = {path.name for path in BRAND.iterdir()}
    # HACS requires icon.png; the logo and the hDPI versions are what Home Assistant shows where it can.
    missing = sorted({"icon.png", "icon@2x.png", "logo.png", "logo@2x.png"} - names)
    assert not missing, f"brand/ lacks {missing}"
    unknown = sorted(names - BRAND_FILES)
    assert not unknown, f"Home Assistant reads none of {unknown} from brand/"


@pytest.mark.parametrize("name", sorted(path.name for path in BRAND.glob("*.png")))
def test_brand_image_follows_home_assistants_brand_rules(name: str) -> None:
    """PNG; icons square at 256 / 512 px; logos 128-256 / 256-512 px on the short side; trimmed."""
    hidpi = 2 if "@2x" in name else 1
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        if "icon" in name:
            assert image.size == (256 * hidpi, 256 * hidpi)
        else:
            assert 128 * hidpi <= min(image.size) <= 256 * hidpi, image.size
            assert image.width >= image.height, "a landscape logo is preferred"
        if image.mode == "RGBA":
            # "The image should be trimmed": no fully transparent margin.
            assert image.getbbox() == (0, 0, *image.size), (image.getbbox(), image.size)
